"""Settings: one page per section under /inbox/{id}/settings/<section>, a side menu of the
sections the viewer may open, and a page (not the API's JSON) saying so when they may not."""

from __future__ import annotations

import re

import httpx

from sangdam.web.pages import SETTINGS_SECTIONS
from tests.fixtures.factories import AgentLogin, World

# Sections served by this shell today (the lead's "general" and "members" join when their
# templates land; the menu lists them already).
SECTIONS = [s.slug for s in SETTINGS_SECTIONS if s.href is None and s.exists]


def _menu(html: str) -> list[str]:
    """The side menu's links, in order."""
    nav = html.split('<nav class="settings-menu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', nav)


async def _english(login: AgentLogin) -> None:
    response = await login.client.put(
        "/api/v1/me/locale", json={"locale": "en"}, headers=login.headers()
    )
    assert response.status_code == 200, response.text


async def test_each_section_is_its_own_page_with_the_menu(world: World) -> None:
    owner = await world.login()
    settings = f"/inbox/{world.workspace.id}/settings"
    assert {"teams", "email", "bot", "faq", "help-center", "bot-report", "tags"} <= set(SECTIONS)
    assert {"automation", "canned", "member-verification", "external-data", "github"} <= set(
        SECTIONS
    )
    for slug in SECTIONS:
        page = await owner.client.get(f"{settings}/{slug}")
        assert page.status_code == 200, (slug, page.text[:300])
        html = page.text
        # Its own script, and the menu marks it as the current page.
        assert f'src="/static/inbox/settings/{slug}.js"' in html
        current = f'href="{settings}/{slug}" data-section="{slug}" aria-current="page"'
        assert current in html
        assert "script-src 'self'" in page.headers["content-security-policy"]
        script = await owner.client.get(f"/static/inbox/settings/{slug}.js")
        assert script.status_code == 200, slug
    menu = _menu((await owner.client.get(f"{settings}/teams")).text)
    # Every section, the lead's members and workspace pages and the profile included.
    assert f"{settings}/general" in menu and f"{settings}/members" in menu
    assert f"/inbox/{world.workspace.id}/profile" in menu
    assert "/api/docs" in menu
    served = [m for m in menu if m.rsplit("/", 1)[1] in SECTIONS]
    assert served == [f"{settings}/{slug}" for slug in SECTIONS]
    # /settings opens the first section.
    first = await owner.client.get(settings)
    assert first.status_code == 303
    assert first.headers["location"] in menu


async def test_the_menu_and_headings_speak_the_agents_language(world: World) -> None:
    owner = await world.login()
    korean = (await owner.client.get(f"/inbox/{world.workspace.id}/settings/tags")).text
    assert "<h1>태그</h1>" in korean and "팀과 채널" in korean and "내 정보" in korean
    await _english(owner)
    english = (await owner.client.get(f"/inbox/{world.workspace.id}/settings/tags")).text
    assert "<h1>Tags</h1>" in english and "Team and channels" in english
    assert "Your profile" in english and '<html lang="en">' in english


async def test_an_agent_gets_a_page_saying_settings_are_for_admins(world: World) -> None:
    agent = await world.login(world.agent)
    settings = f"/inbox/{world.workspace.id}/settings"
    for path in (settings, f"{settings}/automation", f"{settings}/github"):
        page = await agent.client.get(path)
        assert page.status_code == 403, path
        assert page.headers["content-type"].startswith("text/html")
        assert "소유자와 관리자만 열 수 있는 페이지예요" in page.text
        # No section's script (its API calls would all fail) and no admin entries in the menu.
        assert "/static/inbox/settings/" not in page.text
        assert _menu(page.text) == [
            f"{settings}/canned",
            "/api/docs",
            f"/inbox/{world.workspace.id}/profile",
        ]
    await _english(agent)
    page = await agent.client.get(f"{settings}/tags")
    assert page.status_code == 403
    assert "Only owners and admins can open this page" in page.text
    # Their own canned responses are a settings page they may open.
    canned = await agent.client.get(f"{settings}/canned")
    assert canned.status_code == 200
    assert 'aria-current="page">Canned responses</a>' in canned.text


async def test_unknown_sections_and_strangers(world: World, other_world: World) -> None:
    owner = await world.login()
    missing = await owner.client.get(f"/inbox/{world.workspace.id}/settings/nothing-here")
    assert missing.status_code == 404
    stranger = await other_world.login()
    refused = await stranger.client.get(f"/inbox/{world.workspace.id}/settings/tags")
    assert refused.status_code == 404
    async with httpx.AsyncClient(base_url=world.server.base_url) as anonymous:
        signed_out = await anonymous.get(f"/inbox/{world.workspace.id}/settings/tags")
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"


async def test_errors_on_pages_are_pages_in_the_browsers_language(
    world: World, other_world: World
) -> None:
    stranger = await other_world.login()
    korean = {"Accept": "text/html,*/*;q=0.8", "Accept-Language": "ko-KR,ko;q=0.9"}
    english = {"Accept": "text/html,*/*;q=0.8", "Accept-Language": "en-US,en;q=0.9"}
    for path in (
        f"/inbox/{world.workspace.id}",  # not theirs
        f"/inbox/{other_world.workspace.id}/settings/nothing-here",
        "/no/such/page",
    ):
        page = await stranger.client.get(path, headers=korean)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html"), path
        assert "없는 페이지예요" in page.text and '"code"' not in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        page = await stranger.client.get(path, headers=english)
        assert "This page does not exist" in page.text
    # The API answers JSON whatever the client accepts.
    api = await stranger.client.get(f"/api/v1/workspaces/{world.workspace.id}/tags", headers=korean)
    assert api.status_code == 404 and api.json()["code"] == "not_found"


async def test_the_api_docs_page_and_its_files(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as anonymous:
        page = await anonymous.get("/api/docs", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<script>" not in page.text and "cdn" not in page.text.lower()
        assert 'src="/api/docs/assets/swagger-ui-bundle.js"' in page.text
        script = await anonymous.get("/api/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert "SwaggerUIBundle" in script.text
        css = await anonymous.get("/api/docs/assets/swagger-ui.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert (await anonymous.get("/api/docs/assets/..%2F__init__.py")).status_code == 404
        assert (await anonymous.get("/api/docs/assets/redoc.standalone.js")).status_code == 404
