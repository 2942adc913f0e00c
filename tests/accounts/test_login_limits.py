"""Sign-in limits: per address (password spraying), per email+address and per account,
and a lock-out that never shuts the real user out of a browser they signed in with."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from sangdam.config import SecuritySettings
from tests.fixtures.factories import PASSWORD, World


def new_address() -> str:
    return f"2001:db8:{secrets.token_hex(2)}::{secrets.token_hex(2)}"


PER_ADDRESS = SecuritySettings().login_max_failures_per_address  # the default, 20


@pytest.fixture
async def behind_proxy(world: World) -> AsyncIterator[None]:
    """The test client is a trusted proxy: each test signs in from addresses of its own,
    with the default limits (the shared test server raises the per-address one)."""
    settings = world.server.settings
    saved = list(settings.server.trusted_proxies), settings.security.login_max_failures_per_address
    settings.server.trusted_proxies = ["127.0.0.1"]
    settings.security.login_max_failures_per_address = PER_ADDRESS
    try:
        yield
    finally:
        settings.server.trusted_proxies, settings.security.login_max_failures_per_address = saved


def _browser(world: World, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=world.server.base_url, headers={"X-Forwarded-For": address}, timeout=20
    )


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/login", json={"email": email, "password": password})


async def test_spraying_many_emails_from_one_address_is_stopped(
    world: World, behind_proxy: None
) -> None:
    limit = PER_ADDRESS
    address = new_address()
    statuses = []
    async with _browser(world, address) as attacker:
        for n in range(30):
            response = await _login(
                attacker, f"user{n}-{secrets.token_hex(3)}@example.com", "x" * 12
            )
            statuses.append(response.status_code)
        assert statuses[:limit] == [401] * limit
        assert set(statuses[limit:]) == {429}
        # Even a right password is refused from there now (its owner, on a new browser)...
        real = await _login(attacker, world.emails[world.agent.id], PASSWORD)
        assert real.status_code == 429 and int(real.headers["Retry-After"]) >= 1
    # ...while another address is not affected.
    async with _browser(world, new_address()) as elsewhere:
        assert (await _login(elsewhere, world.emails[world.agent.id], PASSWORD)).status_code == 200


async def test_guessing_cannot_lock_the_real_user_out_of_their_browser(
    world: World, behind_proxy: None
) -> None:
    """Behind a proxy Sangdam doesn't know, everyone shares one address: five guesses at
    someone's email used to lock that person out."""
    email = world.emails[world.agent.id]
    shared = new_address()
    async with _browser(world, shared) as usual, _browser(world, shared) as attacker:
        assert (await _login(usual, email, PASSWORD)).status_code == 200
        assert usual.cookies.get("sangdam_device")
        for _ in range(world.server.settings.security.login_max_failures):
            assert (await _login(attacker, email, "not-the-password")).status_code == 401
        locked = await _login(attacker, email, PASSWORD)
        assert locked.status_code == 429
        assert "browser you used before" in locked.json()["message"]
        # The user's own browser, same address, still signs in.
        assert (await _login(usual, email, PASSWORD)).status_code == 200


async def test_a_trusted_browser_has_its_own_limit(world: World, behind_proxy: None) -> None:
    email = world.emails[world.agent.id]
    async with _browser(world, new_address()) as browser:
        assert (await _login(browser, email, PASSWORD)).status_code == 200
        for _ in range(world.server.settings.security.login_max_failures):
            assert (await _login(browser, email, "not-the-password")).status_code == 401
        assert (await _login(browser, email, PASSWORD)).status_code == 429


async def test_a_device_cookie_only_vouches_for_its_own_user(
    world: World, behind_proxy: None
) -> None:
    """The attacker's own trusted cookie does not exempt guesses at someone else."""
    attacker_email, victim = world.emails[world.owner.id], world.emails[world.agent.id]
    async with _browser(world, new_address()) as attacker:
        assert (await _login(attacker, attacker_email, PASSWORD)).status_code == 200
        for _ in range(world.server.settings.security.login_max_failures):
            assert (await _login(attacker, victim, "guess-guess-guess")).status_code == 401
        assert (await _login(attacker, victim, PASSWORD)).status_code == 429


async def test_a_spoofed_forwarded_for_does_not_reset_the_count(world: World) -> None:
    """Without a trusted proxy, X-Forwarded-For is the caller's to invent: ignored."""
    email = world.emails[world.agent.id]
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        for _ in range(world.server.settings.security.login_max_failures):
            wrong = await client.post(
                "/api/v1/login",
                json={"email": email, "password": "not-the-password"},
                headers={"X-Forwarded-For": new_address()},
            )
            assert wrong.status_code == 401
        locked = await client.post(
            "/api/v1/login",
            json={"email": email, "password": PASSWORD},
            headers={"X-Forwarded-For": new_address()},
        )
    assert locked.status_code == 429
