"""An agent resolves a chat: the customer sees it ended, and can write again or start anew."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser

TEXTS = {
    "ko": {
        "open": "문의하기",
        "ended": "상담이 종료되었어요.",
        "again": "이어서 문의하기",
        "new": "새 상담 시작하기",
    },
    "en": {
        "open": "Send us a message",
        "ended": "This conversation has ended.",
        "again": "Write again",
        "new": "Start a new conversation",
    },
}


async def _widget(browser: Any, world: World, lang: str) -> tuple[Any, Any, Any]:
    context = await browser.new_context(
        locale="ko-KR" if lang == "ko" else "en-US",
        timezone_id="Asia/Seoul",
        viewport={"width": 1440, "height": 900},
    )
    page = await context.new_page()
    await page.goto(f"{world.server.base_url}/demo?key={world.inbox.public_key}")
    await page.locator("[data-sangdam] button.launcher").click()
    frame = page.frame_locator("[data-sangdam] iframe")
    await frame.get_by_role("button", name=TEXTS[lang]["open"]).click()
    return context, page, frame


async def _say(frame: Any, text: str) -> None:
    await frame.locator("#input").fill(text)
    await frame.locator("#input").press("Enter")
    await expect(frame.locator(".message.mine:not(.pending) .bubble").last).to_have_text(text)


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_resolving_ends_the_chat_for_the_customer(
    browser: Any, world: World, artifacts: Path, lang: str
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    texts = TEXTS[lang]
    agent_context, agent, errors = await sign_in(browser, world, world.agent.id)
    await agent.set_viewport_size({"width": 1440, "height": 900})
    visitor_context, page, frame = await _widget(browser, world, lang)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await _say(frame, "주문 취소했어요, 확인 부탁드려요")

    item = agent.locator("#conversation-list li", has_text="주문 취소했어요")
    await item.click()
    await expect(agent.locator("#toggle-status")).to_have_text("해결")
    await agent.locator("#toggle-status").click()
    await expect(agent.locator("#messages .message.system")).to_contain_text(
        "고객에게 상담 종료를 알렸어요"
    )

    # The customer sees that the chat ended; the composer gives way to two choices.
    await expect(frame.locator(".message.system")).to_contain_text(texts["ended"])
    await expect(frame.locator("#composer")).to_be_hidden()
    await expect(frame.get_by_role("button", name=texts["again"])).to_be_visible()
    await expect(frame.get_by_role("button", name=texts["new"])).to_be_visible()
    await page.screenshot(path=str(artifacts / f"widget-chat-ended-{lang}.png"))
    await agent.screenshot(path=str(artifacts / "inbox-resolved-line-ko.png"))

    # Writing again reopens the same conversation, for the agent too.
    await frame.get_by_role("button", name=texts["again"]).click()
    await expect(frame.locator("#composer")).to_be_visible()
    await _say(frame, "하나 더 있어요")
    await expect(agent.locator("#thread-status")).to_have_text("진행 중")
    await expect(frame.locator("#ended")).to_be_hidden()

    # After the next resolve, "start a new conversation" opens a fresh one.
    await agent.locator("#toggle-status").click()
    await expect(frame.locator("#ended")).to_be_visible()
    await frame.get_by_role("button", name=texts["new"]).click()
    await expect(frame.locator(".message.system")).to_have_count(0)
    await expect(frame.locator("#composer")).to_be_visible()
    await _say(frame, "새로운 문의입니다")
    await expect(
        agent.locator("#conversation-list li", has_text="새로운 문의입니다")
    ).to_be_visible()
    assert errors == []
    await visitor_context.close()
    await agent_context.close()
