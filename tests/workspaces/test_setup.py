"""A company's own installation: first-run setup (page, API, CLI), more workspaces, general settings."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sangdam.config import Settings
from tests.fixtures.factories import World
from tests.fixtures.server import RunningServer, start_server
from tests.fixtures.services import POSTGRES_URL, backends, fresh_postgres_database

OWNER = {
    "owner_name": "김민준",
    "email": "minjun@cloudcoffee.kr",
    "password": "blue hippo coffee lamp",
    "name": "클라우드커피",
    "website": "https://www.cloudcoffee.kr/shop",
    "locale": "ko",
    "timezone": "Asia/Seoul",
}


@pytest.fixture(params=backends())
async def empty(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server on an empty database: nobody has an account yet."""
    if request.param == "postgres":
        assert POSTGRES_URL
        url = POSTGRES_URL.rsplit("/", 1)[0] + "/sangdam_test_empty"
        await fresh_postgres_database(url)
        settings = Settings(database_url=url, redis_url=None)
    else:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}", redis_url=None)
    settings.demo.seed = False
    running = await start_server(settings)
    yield running
    await running.stop()


async def test_the_first_visitor_sets_up_the_company_and_is_signed_in(
    empty: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=empty.base_url) as browser:
        for page in ("/", "/login", "/inbox"):
            response = await browser.get(page)
            assert response.status_code in (303, 307)
            if page != "/inbox":
                assert response.headers["location"] == "/setup"
        setup_page = await browser.get("/setup?lang=ko")
        assert setup_page.status_code == 200 and "setup-form" in setup_page.text
        assert (await browser.get("/api/v1/setup")).json() == {"needed": True}

        created = await browser.post("/api/v1/setup", json=OWNER)
        assert created.status_code == 201, created.text
        workspace = created.json()
        assert workspace["name"] == "클라우드커피"
        assert workspace["website"] == "www.cloudcoffee.kr"
        assert workspace["timezone"] == "Asia/Seoul"
        me = (await browser.get("/api/v1/me")).json()
        assert me["email"] == "minjun@cloudcoffee.kr"
        assert me["locale"] == "ko"
        assert me["workspaces"][0]["role"] == "owner"
        welcome = await browser.get(f"/inbox/{workspace['id']}/welcome")
        assert welcome.status_code == 200
        checklist = (await browser.get(f"/api/v1/workspaces/{workspace['id']}/checklist")).json()
        assert checklist == {
            "widget_installed": False,
            "teammates_invited": False,
            "hours_set": False,
            "faq_added": False,
            "snippet": f'<script src="{empty.base_url}/widget.js" '
            f'data-key="{workspace["widget_key"]}" async></script>',
        }
    # The language chosen at setup stays when the owner signs in from an English browser.
    async with httpx.AsyncClient(
        base_url=empty.base_url, headers={"Accept-Language": "en-US,en;q=0.9"}
    ) as english:
        signed_in = await english.post(
            "/api/v1/login", json={"email": OWNER["email"], "password": OWNER["password"]}
        )
        assert signed_in.status_code == 200 and signed_in.json()["locale"] == "ko"
    # Once set up, nobody can do it again, and the page sends people to sign in.
    async with httpx.AsyncClient(base_url=empty.base_url) as stranger:
        again = await stranger.post(
            "/api/v1/setup", json={**OWNER, "email": "attacker@example.com"}
        )
        assert again.status_code == 409 and again.json()["code"] == "already_set_up"
        page = await stranger.get("/setup")
        assert page.status_code == 303 and page.headers["location"] == "/login"
        assert (await stranger.get("/api/v1/setup")).json() == {"needed": False}


async def test_two_setups_at_once_make_one_owner(empty: RunningServer) -> None:
    async def attempt(email: str) -> int:
        async with httpx.AsyncClient(base_url=empty.base_url, timeout=30) as browser:
            response = await browser.post("/api/v1/setup", json={**OWNER, "email": email})
            return response.status_code

    codes = await asyncio.gather(*(attempt(f"owner{i}@cloudcoffee.kr") for i in range(4)))
    assert sorted(codes) == [201, 409, 409, 409]


async def test_bad_setup_input_is_refused_and_leaves_nothing_behind(empty: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=empty.base_url) as browser:
        for bad, code in (
            ({"website": "not a website"}, "bad_website"),
            ({"timezone": "Mars/Olympus"}, "bad_timezone"),
            ({"locale": "fr"}, "bad_locale"),
            ({"password": "12345678"}, "weak_password"),
        ):
            refused = await browser.post("/api/v1/setup", json={**OWNER, **bad})
            assert refused.status_code == 400 and refused.json()["code"] == code, refused.text
        missing = await browser.post("/api/v1/setup", json={"email": "x@example.com"})
        assert missing.status_code == 422
        # No half-made account or workspace: setup is still open.
        assert (await browser.get("/api/v1/setup")).json() == {"needed": True}


def _cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANGDAM_DATABASE_URL": database_url, "SANGDAM_LOG_LEVEL": "warning"}
    return subprocess.run(
        [sys.executable, "-m", "sangdam.cli", "admin", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_scripted_install_creates_the_owner_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scripted.sqlite3'}"
    args = (
        "create-owner",
        "--email",
        "ops@example.com",
        "--name",
        "Ops",
        "--workspace",
        "Example Shop",
        "--locale",
        "en",
        "--password-file",
        "-",
    )
    done = await asyncio.to_thread(_cli, url, *args, stdin="blue hippo coffee lamp\n")
    assert done.returncode == 0, done.stderr
    assert "Example Shop" in done.stdout
    # Only once; then people join by invitation.
    twice = await asyncio.to_thread(_cli, url, *args, stdin="blue hippo coffee lamp\n")
    assert twice.returncode != 0 and "set up already" in twice.stderr
    # The password-reset link, for an installation without a mail server.
    reset = await asyncio.to_thread(_cli, url, "reset-password", "--email", "ops@example.com")
    assert reset.returncode == 0 and "/reset-password/sdr_" in reset.stdout
    unknown = await asyncio.to_thread(_cli, url, "reset-password", "--email", "no@example.com")
    assert unknown.returncode != 0 and "No account" in unknown.stderr

    settings = Settings(database_url=url, redis_url=None)
    running = await start_server(settings)
    try:
        async with httpx.AsyncClient(base_url=running.base_url) as browser:
            login = await browser.post(
                "/api/v1/login",
                json={"email": "ops@example.com", "password": "blue hippo coffee lamp"},
            )
            assert login.status_code == 200
            link = reset.stdout.strip().splitlines()[-1]
            secret = link.rsplit("/", 1)[1]
            changed = await browser.post(
                f"/api/v1/password-reset/{secret}", json={"password": "green otter violin dusk"}
            )
            assert changed.status_code == 204
            old = await browser.post(
                "/api/v1/login",
                json={"email": "ops@example.com", "password": "blue hippo coffee lamp"},
            )
            assert old.status_code == 401
    finally:
        await running.stop()


async def test_owners_and_admins_create_more_workspaces_and_switch(world: World) -> None:
    owner = await world.login()
    created = await owner.client.post(
        "/api/v1/workspaces",
        json={"name": "Second Brand", "locale": "en", "timezone": "Europe/Berlin"},
        headers=owner.headers(),
    )
    assert created.status_code == 201, created.text
    new = created.json()
    me = (await owner.client.get("/api/v1/me")).json()
    assert {m["workspace_id"] for m in me["workspaces"]} == {world.workspace.id, new["id"]}
    # The top bar lists both.
    page = await owner.client.get(f"/inbox/{new['id']}")
    assert page.status_code == 200
    assert "workspace-switch" in page.text and world.workspace.name in page.text
    # An agent only answers; they can't create workspaces.
    agent = await world.login(world.agent)
    refused = await agent.client.post(
        "/api/v1/workspaces", json={"name": "Mine now"}, headers=agent.headers()
    )
    assert refused.status_code == 403
    # And the new workspace is the owner's alone.
    assert (await agent.client.get(f"/api/v1/workspaces/{new['id']}")).status_code == 404


async def test_general_settings(world: World) -> None:
    owner = await world.login()
    saved = await owner.client.put(
        world.base,
        json={
            "name": "  Cloud   Coffee  ",
            "locale": "en",
            "timezone": "America/New_York",
            "website": "shop.example.com",
        },
        headers=owner.headers(),
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["name"] == "Cloud Coffee"
    assert saved.json()["website"] == "shop.example.com"
    bad = await owner.client.put(
        world.base,
        json={"name": "x", "locale": "en", "timezone": "Nowhere/Town"},
        headers=owner.headers(),
    )
    assert bad.status_code == 400
    assert (await owner.client.get(world.base)).json()["timezone"] == "America/New_York"
