"""In real Chromium: the settings are pages in a side menu, usable from the keyboard and
named for screen readers; an agent is told which pages are theirs; an admin makes an API
token whose secret is shown once, and revokes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def test_the_menu_works_from_the_keyboard(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    context, page, errors = await sign_in(browser, world, world.owner.id)
    settings = f"{world.server.base_url}/inbox/{world.workspace.id}/settings"
    await page.goto(f"{settings}/teams")
    menu = page.get_by_role("navigation", name="설정")
    await expect(menu.get_by_role("link", name="팀과 상담 시간")).to_have_attribute(
        "aria-current", "page"
    )
    for name in ("일반", "팀원", "자동화 규칙", "API 토큰", "API 문서", "내 정보"):
        await expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    # The first Tab reaches "skip to the settings", which moves focus past the menu.
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="설정 내용으로 건너뛰기")
    await expect(skip).to_be_focused()
    await page.screenshot(path=str(artifacts / "settings-shell-skip-link-ko.png"))
    await page.keyboard.press("Enter")
    await expect(page.locator("main#section")).to_be_focused()
    # A section is opened from the menu with the keyboard alone.
    await menu.get_by_role("link", name="태그", exact=True).focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{settings}/tags")
    await expect(page.get_by_role("heading", level=1)).to_have_text("태그")
    await expect(menu.get_by_role("link", name="태그", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    await page.screenshot(path=str(artifacts / "settings-shell-ko.png"))
    assert errors == []
    await context.close()


async def test_an_agent_is_told_settings_are_for_admins(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    context, page, errors = await sign_in(browser, world, world.agent.id)
    settings = f"{world.server.base_url}/inbox/{world.workspace.id}/settings"
    response = await page.goto(settings)
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "소유자와 관리자만 열 수 있는 페이지예요"
    )
    menu = page.get_by_role("navigation", name="설정")
    await expect(menu.get_by_role("link")).to_have_count(3)
    await page.screenshot(path=str(artifacts / "settings-forbidden-ko.png"))
    await menu.get_by_role("link", name="자주쓰는문구").click()
    await page.wait_for_url(f"{settings}/canned")
    await expect(page.locator("#canned-form")).to_be_visible()
    assert errors == []
    await context.close()

    english = await browser.new_context(locale="en-US")
    page = await english.new_page()
    login = await world.login(world.agent)
    await login.client.put("/api/v1/me/locale", json={"locale": "en"}, headers=login.headers())
    await english.add_cookies(
        [{"name": "sangdam_session", "value": login.cookie, "url": world.server.base_url}]
    )
    response = await page.goto(f"{settings}/automation")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Only owners and admins can open this page"
    )
    await page.screenshot(path=str(artifacts / "settings-forbidden-en.png"))
    # An address that is no page at all is a page too, not JSON.
    response = await page.goto(f"{world.server.base_url}/inbox/{world.workspace.id}/nothing")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("This page does not exist")
    await english.close()


async def test_an_api_token_is_made_shown_once_and_revoked(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    context, page, errors = await sign_in(browser, world, world.owner.id)
    page.on("dialog", lambda dialog: dialog.accept())
    await page.goto(f"{world.server.base_url}/inbox/{world.workspace.id}/settings/api-tokens")
    form = page.locator("#token-form")
    await form.locator("input[name=name]").fill("주문 시스템")
    await form.get_by_label("읽기").check()  # read only; write and admin stay off
    await form.locator("select[name=expiry]").select_option("30")
    await form.get_by_role("button", name="토큰 만들기").click()
    secret_box = page.locator("#token-secret")
    await expect(secret_box).to_be_visible()
    await expect(secret_box).to_be_focused()
    secret = await page.locator("#token-secret-value").input_value()
    assert secret.startswith("sda_")
    row = page.locator("#token-rows tr", has_text="주문 시스템")
    await expect(row).to_contain_text("읽기")
    await expect(row).not_to_contain_text("쓰기")
    await expect(row).to_contain_text("아직 안 씀")
    await page.screenshot(path=str(artifacts / "settings-api-tokens-ko.png"), full_page=True)

    async with httpx.AsyncClient(
        base_url=world.server.base_url, headers={"Authorization": f"Bearer {secret}"}
    ) as api:
        assert (await api.get(f"{world.base}/conversations")).status_code == 200
        changed = await api.post(f"{world.base}/tags", json={"name": "x", "color": "#000000"})
        assert changed.status_code == 403
        # Shown once: after a reload the page has the token's start only, and its last use.
        await page.reload()
        await expect(page.locator("#token-secret")).to_be_hidden()
        assert secret not in await page.content()
        await expect(row).to_contain_text(secret[:10])
        await expect(row).not_to_contain_text("아직 안 씀")
        await row.get_by_role("button", name="토큰 폐기 주문 시스템").click()
        await expect(page.locator("#token-rows tr", has_text="주문 시스템")).to_have_count(0)
        assert (await api.get(f"{world.base}/conversations")).status_code == 401
    assert errors == []
    await context.close()
