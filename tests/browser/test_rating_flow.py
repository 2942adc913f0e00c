"""Done when (issue 16): customer chats → agent resolves → customer rates in the widget → the
rating appears in the conversation, the report and the monitor, in Korean and in English."""

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
        "ask": "상담은 어떠셨나요?",
        "four": "5점 중 4점",
        "send": "평가 보내기",
        "thanks": "평가해 주셔서 감사합니다!",
        "rated": "이 상담을 ★★★★☆(으)로 평가하셨어요.",
    },
    "en": {
        "open": "Send us a message",
        "ask": "How was this conversation?",
        "four": "4 out of 5",
        "send": "Send rating",
        "thanks": "Thanks for your rating!",
        "rated": "You rated this conversation ★★★★☆.",
    },
}
AGENT_TEXTS = {
    "ko": {"resolve": "해결", "rating": "고객 평가: ★★★★☆ 4/5 · “빨리 답해 주셨어요”"},
    "en": {"resolve": "Resolve", "rating": "Customer rating: ★★★★☆ 4/5 · “빨리 답해 주셨어요”"},
}
# What the owner reads in the live monitor and in Settings › Reports.
OWNER_TEXTS = {
    "ko": {"csat_today": "오늘 CSAT", "all": "전체", "live": "실시간"},
    "en": {"csat_today": "CSAT today", "all": "All", "live": "Live"},
}


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_a_rating_given_in_the_widget_reaches_the_agent(
    browser: Any, world: World, artifacts: Path, lang: str
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    texts, agent_texts = TEXTS[lang], AGENT_TEXTS[lang]
    owner_texts = OWNER_TEXTS[lang]
    for member in (world.agent, world.owner):
        login = await world.login(member)
        switched = await login.client.put(
            "/api/v1/me/locale", json={"locale": lang}, headers=login.headers()
        )
        assert switched.status_code == 200, switched.text
    agent_context, agent, errors = await sign_in(browser, world, world.agent.id)
    # The owner watches the live monitor meanwhile.
    owner_context, owner, owner_errors = await sign_in(browser, world, world.owner.id)
    await owner.goto(f"{world.server.base_url}/inbox/{world.workspace.id}/settings/monitor")
    await expect(owner.locator("#monitor-conn")).to_have_text(owner_texts["live"])
    await expect(owner.locator("[data-tile=csat] strong")).to_have_text("–")
    await agent.set_viewport_size({"width": 1440, "height": 900})

    visitor_context = await browser.new_context(
        locale="ko-KR" if lang == "ko" else "en-US",
        timezone_id="Asia/Seoul",
        viewport={"width": 1280, "height": 900},
    )
    page = await visitor_context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{world.server.base_url}/demo?key={world.inbox.public_key}")
    await page.locator("[data-sangdam] button.launcher").click()
    frame = page.frame_locator("[data-sangdam] iframe")
    await frame.get_by_role("button", name=texts["open"]).click()
    await frame.locator("#input").fill("환불 문의드려요")
    await frame.locator("#input").press("Enter")
    await expect(frame.locator(".message.mine:not(.pending) .bubble").last).to_have_text(
        "환불 문의드려요"
    )

    # The agent takes it and resolves it.
    await agent.locator("#conversation-list li", has_text="환불 문의드려요").click()
    await agent.locator("#assign-me").click()
    await expect(agent.locator("#assign-me")).to_be_hidden()
    await expect(agent.locator("#toggle-status")).to_have_text(agent_texts["resolve"])
    await agent.locator("#toggle-status").click()

    # The widget asks how it was; the customer gives 4 of 5 with a comment.
    await expect(frame.get_by_text(texts["ask"])).to_be_visible()
    await frame.get_by_role("button", name=texts["four"]).click()
    await frame.locator("#rating-comment").fill("빨리 답해 주셨어요")
    await page.screenshot(path=str(artifacts / f"widget-rating-{lang}.png"))
    await frame.get_by_role("button", name=texts["send"]).click()
    await expect(frame.get_by_text(texts["thanks"])).to_be_visible()
    await expect(frame.locator(".message.system").last).to_contain_text(texts["rated"])
    await expect(frame.locator("#rating")).to_be_hidden()

    # The conversation shows it to the agent, live.
    await expect(agent.locator("#messages .message.system.rated")).to_contain_text(
        agent_texts["rating"]
    )
    await expect(agent.locator("#thread-rating")).to_have_text("★★★★☆ 4/5")
    await agent.screenshot(path=str(artifacts / f"inbox-rating-{lang}.png"))

    # The monitor counts it without a reload; the report shows it by agent and overall.
    csat_tile = owner.locator("dt", has_text=owner_texts["csat_today"])
    await expect(csat_tile).to_be_visible()
    await expect(owner.locator("[data-tile=csat] strong")).to_have_text("100% (1)")
    await owner.screenshot(path=str(artifacts / f"monitor-rating-{lang}.png"), full_page=True)
    await owner.goto(f"{world.server.base_url}/inbox/{world.workspace.id}/settings/reports")
    overall = owner.locator("#csat-rows tr.total")
    await expect(overall).to_contain_text(owner_texts["all"])
    await expect(overall.locator("td")).to_have_text(["1", "100%", "4"])
    rated_agent = owner.locator("#agents-rows tr", has_text=world.agent.display_name)
    await expect(rated_agent.locator("td").last).to_have_text("100%")
    await owner.screenshot(path=str(artifacts / f"reports-rating-{lang}.png"), full_page=True)
    # Behind the heatmap's one busy hour: this conversation.
    await owner.locator("#heatmap td[tabindex]").click()
    await expect(owner.locator("#drill-list li")).to_contain_text("환불 문의드려요")
    assert errors == [] and owner_errors == []
    await visitor_context.close()
    await agent_context.close()
    await owner_context.close()
