"""A visitor and an agent chat in real Chromium, in Korean, and both keep the history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.factories import PASSWORD, World

pytestmark = pytest.mark.browser


async def _open_widget(page: Any) -> Any:
    await page.locator("[data-sangdam] button.launcher").click()
    return page.frame_locator("[data-sangdam] iframe")


async def test_visitor_and_agent_chat_live(browser: Any, world: World, artifacts: Path) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    base = world.server.base_url
    visitor_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    agent_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    visitor = await visitor_context.new_page()
    agent = await agent_context.new_page()
    errors: list[str] = []
    for page in (visitor, agent):
        page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The agent signs in first and waits in the inbox.
    await agent.goto(f"{base}/login")
    await agent.fill("input[name=email]", world.emails[world.agent.id])
    await agent.fill("input[name=password]", PASSWORD)
    await agent.click("button[type=submit]")
    await agent.wait_for_url(f"{base}/inbox/{world.workspace.id}")
    await expect(agent.locator("#conn-state")).to_have_text("실시간")

    # A customer on the company site opens the widget and writes in Korean.
    await visitor.goto(f"{base}/demo?key={world.inbox.public_key}")
    frame = await _open_widget(visitor)
    await frame.get_by_role("button", name="문의하기").click()
    question = "안녕하세요! 정기구독 배송일을 바꾸고 싶어요 🙏"
    await frame.locator("#input").fill(question)
    await frame.locator("#input").press("Enter")
    await expect(frame.locator(".message.mine:not(.pending) .bubble")).to_have_text(question)

    # It arrives live in the inbox; the agent opens it and replies.
    item = agent.locator("#conversation-list li", has_text="정기구독 배송일")
    await expect(item).to_be_visible()
    await item.click()
    await expect(agent.locator("#messages .message.theirs .bubble")).to_have_text(question)
    await expect(agent.locator("#customer-facts")).to_contain_text(await visitor.title())
    await expect(agent.locator("#customer-facts")).to_contain_text("Asia/Seoul")
    reply = "네, 마이페이지 > 구독 관리에서 바꾸실 수 있어요."
    await agent.locator("#composer-input").fill(reply)
    await agent.locator("#composer-input").press("Enter")
    await expect(agent.locator("#messages .message.mine:not(.pending) .bubble")).to_have_text(reply)

    # The visitor sees the reply without reloading.
    await expect(frame.locator(".message.theirs .bubble")).to_have_text(reply)
    await visitor.screenshot(path=str(artifacts / "widget-ko.png"))
    await agent.screenshot(path=str(artifacts / "inbox-ko.png"))

    # Markup typed by a customer is shown as text, never run.
    await frame.locator("#input").fill('<img src=x onerror="window.__xss=1">')
    await frame.locator("#input").press("Enter")
    await expect(agent.locator("#messages .message.theirs .bubble").last).to_have_text(
        '<img src=x onerror="window.__xss=1">'
    )
    assert await agent.evaluate("window.__xss") is None
    assert await agent.locator("#messages img").count() == 0

    # Both reload and see the same history.
    await visitor.reload()
    frame = await _open_widget(visitor)
    await expect(frame.locator(".message .bubble")).to_have_count(3)
    await expect(frame.locator(".message .bubble").nth(1)).to_have_text(reply)
    await agent.reload()
    await expect(agent.locator("#messages .message .bubble")).to_have_count(3)
    await expect(agent.locator("#messages .message .bubble").first).to_have_text(question)
    assert errors == []
    await visitor_context.close()
    await agent_context.close()
