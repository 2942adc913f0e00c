"""Outside business hours the widget never loses the customer's address: a topic or
"talk to a person" first, the address after, and nothing promises a quick answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.factories import World, import_demo_faq
from tests.widget.test_offline_intake import close_until_the_day_after_tomorrow

pytestmark = pytest.mark.browser

TEXTS = {
    "ko": {
        "open": "문의하기",
        "topic": "이용가격",
        "human": "상담원 연결",
        "away": "지금은 상담 시간이 아니에요",
        "by_email": "이메일로",
        "quick": "몇 분",
        "save": "저장",
        "saved": "답변은 night-owl@example.com(으)로 보내드릴게요.",
        "nine": "오전 9시",
        "own": "고객님 시간으로",
        "seven_pm": "오후 7시",
    },
    "en": {
        "open": "Send us a message",
        "topic": "이용가격",
        "human": "Talk to a person",
        "away": "We're away",
        "by_email": "by email",
        "quick": "few minutes",
        "save": "Save",
        "saved": "We'll send our answer to night-owl@example.com.",
        "nine": "9 AM",
        "own": "your time",
        "seven_pm": "7 PM",
    },
}


async def _widget(
    browser: Any, world: World, lang: str, timezone: str = "Asia/Seoul"
) -> tuple[Any, Any, Any]:
    context = await browser.new_context(
        locale="ko-KR" if lang == "ko" else "en-US",
        timezone_id=timezone,
        viewport={"width": 1440, "height": 900},
    )
    page = await context.new_page()
    await page.goto(f"{world.server.base_url}/demo?key={world.inbox.public_key}")
    await page.locator("[data-sangdam] button.launcher").click()
    return context, page, page.frame_locator("[data-sangdam] iframe")


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_closed_widget_keeps_asking_for_an_address(
    browser: Any, world: World, artifacts: Path, lang: str
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the widget is the same on every backend; one run is enough")
    texts = TEXTS[lang]
    login = await import_demo_faq(world)
    await close_until_the_day_after_tomorrow(login, world)
    context, page, frame = await _widget(browser, world, lang)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The header says the team is away and when it is back: no "few minutes".
    await expect(frame.locator("#subtitle")).to_contain_text(texts["away"])
    await expect(frame.locator("#subtitle")).to_contain_text(texts["nine"])
    await expect(frame.locator(".panel")).not_to_contain_text(texts["quick"])

    # In Seoul nothing more is needed; a customer abroad also reads it in their own time.
    await expect(frame.locator("#subtitle")).not_to_contain_text(texts["own"])
    abroad, _abroad_page, abroad_frame = await _widget(browser, world, lang, "America/New_York")
    await expect(abroad_frame.locator("#subtitle")).to_contain_text(texts["nine"])
    await expect(abroad_frame.locator("#subtitle")).to_contain_text(texts["own"])
    await expect(abroad_frame.locator("#subtitle")).to_contain_text(texts["seven_pm"])
    await abroad.close()

    # A topic first, then a person: the bot says when people are back and that the answer
    # comes by email, and the address field is still offered.
    await frame.get_by_role("button", name=texts["open"]).click()
    await expect(frame.locator("#email-field")).to_be_visible()
    await frame.get_by_role("button", name=texts["topic"]).click()
    await frame.get_by_role("button", name=texts["human"]).click()
    said = frame.locator(".message.bot .bubble").last
    await expect(said).to_contain_text(texts["away"])
    await expect(said).to_contain_text(texts["by_email"])
    await expect(said).to_contain_text(texts["nine"])
    await expect(frame.locator("#email-field")).to_be_visible()
    await expect(frame.locator(".panel")).not_to_contain_text(texts["quick"])
    await page.screenshot(path=str(artifacts / f"widget-offline-handoff-{lang}.png"))

    await frame.locator("#email").fill("Night-Owl@example.com")
    await frame.get_by_role("button", name=texts["save"]).click()
    await expect(frame.locator("#email-saved")).to_have_text(texts["saved"])
    await expect(frame.locator("#email-field")).to_be_hidden()
    await page.screenshot(path=str(artifacts / f"widget-offline-email-saved-{lang}.png"))

    conversations = (await login.client.get(f"{world.base}/conversations")).json()
    origin = conversations["conversations"][0]["origin"]
    assert origin["offline"] is True and origin["email"] == "night-owl@example.com"

    # Coming back later: the address is known, so it is not asked for again.
    await page.reload()
    await page.locator("[data-sangdam] button.launcher").click()
    await expect(frame.locator("#email-saved")).to_have_text(texts["saved"])
    await expect(frame.locator("#email-field")).to_be_hidden()
    assert errors == []
    await context.close()
