"""An admin sets up a survey in Settings › Surveys; a chat ends; the widget shows the survey
card (sent by the job runner); the customer answers it; the admin reads the answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def test_a_survey_is_configured_answered_in_the_widget_and_reported(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    owner_context, owner, errors = await sign_in(browser, world, world.owner.id)
    settings = f"{world.server.base_url}/inbox/{world.workspace.id}/settings/surveys"
    await owner.goto(settings)
    form = owner.locator("#survey-form")
    await form.locator("[name=name]").fill("상담 만족도")
    first = owner.locator("#question-rows .question-row").first
    await first.locator("[name=text]").fill("상담에 만족하셨나요?")
    await first.locator("[name=required]").check()
    await owner.locator("#question-add").click()
    second = owner.locator("#question-rows .question-row").nth(1)
    await second.locator("[name=kind]").select_option("choice")
    await second.locator("[name=text]").fill("문제가 해결되었나요?")
    await second.locator("[name=options]").fill("네, 아니요")
    await form.get_by_role("button", name="설문 저장").click()
    await expect(owner.locator("#survey-rows tr")).to_have_count(1)
    await expect(owner.locator("#survey-rows tr td").nth(1)).to_have_text("종료 즉시")

    # A customer chats; the agent resolves it.
    login = await world.login()
    visitor_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    page = await visitor_context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{world.server.base_url}/demo?key={world.inbox.public_key}")
    await page.locator("[data-sangdam] button.launcher").click()
    frame = page.frame_locator("[data-sangdam] iframe")
    await frame.get_by_role("button", name="문의하기").click()
    await frame.locator("#input").fill("주문을 취소하고 싶어요")
    await frame.locator("#input").press("Enter")
    await expect(frame.locator(".message.mine:not(.pending) .bubble").last).to_have_text(
        "주문을 취소하고 싶어요"
    )
    listed = await login.client.get(f"{world.base}/conversations")
    conversation_id = listed.json()["conversations"][0]["id"]
    resolved = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert resolved.status_code == 200, resolved.text

    # The job runner sends the survey at resolve: a card in the widget, answered once.
    card = frame.locator(".survey-card")
    await expect(card).to_contain_text("이번 상담에 대한 짧은 설문에 답해 주세요.")
    await card.get_by_role("button", name="설문에 답하기").click()
    await card.get_by_label("4").check()
    await card.get_by_label("네").check()
    await page.screenshot(path=str(artifacts / "widget-survey-ko.png"))
    await card.get_by_role("button", name="답변 보내기").click()
    await expect(card).to_have_text("설문에 답해 주셔서 감사합니다.")

    # The admin sees the answer.
    await owner.reload()
    await expect(owner.locator("#survey-rows tr td").nth(3)).to_have_text("1 / 1")
    await owner.get_by_role("button", name="결과").click()
    results = owner.locator("#survey-results")
    await expect(results).to_contain_text("4: 1")
    await expect(results).to_contain_text("네: 1 · 아니요: 0")
    await owner.screenshot(path=str(artifacts / "settings-surveys-ko.png"), full_page=True)
    assert errors == []
    await visitor_context.close()
    await owner_context.close()
