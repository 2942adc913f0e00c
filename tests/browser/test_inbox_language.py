"""The inbox's language: the browser's on first sign-in, the agent's once they pick one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.factories import PASSWORD, World

pytestmark = pytest.mark.browser


async def _sign_in(browser: Any, world: World, agent_id: int, locale: str) -> tuple[Any, Any]:
    context = await browser.new_context(
        locale=locale, timezone_id="Asia/Seoul", viewport={"width": 1440, "height": 900}
    )
    page = await context.new_page()
    await page.goto(f"{world.server.base_url}/login")
    await page.fill("input[name=email]", world.emails[agent_id])
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{world.server.base_url}/inbox/{world.workspace.id}")
    return context, page


async def test_first_sign_in_follows_the_browser_then_the_agents_choice(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    # An agent whose browser asks for English gets the English inbox on first sign-in.
    context, page = await _sign_in(browser, world, world.agent.id, "en-US")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#conn-state")).to_have_text("Live")
    await expect(page.locator("[data-tab=resolved]")).to_contain_text("Resolved")
    await page.screenshot(path=str(artifacts / "inbox-first-sign-in-en.png"))

    # They pick Korean; it sticks, even when they sign in again from the English browser.
    await page.locator("#locale-select").select_option("ko")
    await expect(page.locator("#conn-state")).to_have_text("실시간")
    await page.locator("#logout").click()
    await page.wait_for_url(f"{world.server.base_url}/login")
    await context.close()
    context, page = await _sign_in(browser, world, world.agent.id, "en-US")
    await expect(page.locator("html")).to_have_attribute("lang", "ko")
    await expect(page.locator("[data-tab=resolved]")).to_contain_text("해결됨")
    await context.close()

    # A Korean browser's agent gets Korean, as before.
    context, page = await _sign_in(browser, world, world.owner.id, "ko-KR")
    await expect(page.locator("html")).to_have_attribute("lang", "ko")
    await context.close()
