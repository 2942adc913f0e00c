"""Transfer from the conversation: to a colleague or to a team, with a note."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def test_transfer_to_a_colleague_then_to_a_team(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    owner = await world.login()
    billing = await owner.client.post(
        f"{world.base}/teams",
        json={"name": "결제팀", "auto_assign": False, "member_ids": [world.owner.id]},
        headers=owner.headers(),
    )
    assert billing.status_code == 201, billing.text
    visitor = await world.visitor(locale="ko-KR")
    await visitor.start("세금계산서를 다시 받고 싶어요")

    context, page, errors = await sign_in(browser, world, world.agent.id)
    await page.set_viewport_size({"width": 1440, "height": 900})
    await page.locator("#conversation-list li", has_text="세금계산서").click()
    await page.locator("#assign-me").click()
    await expect(page.locator("#thread-assignee")).to_contain_text("담당자: ")

    # To a colleague, with a note only the team sees.
    await page.get_by_role("button", name="넘기기").click()
    panel = page.locator("#transfer-panel")
    await expect(panel).to_be_visible()
    options = page.locator("#transfer-target option")
    await expect(options).to_have_count(3)  # the owner; the General and 결제 teams
    owner_name = (await owner.client.get(f"{world.base}/agents")).json()
    owner_name = next(a["name"] for a in owner_name if a["id"] == world.owner.id)
    await page.locator("#transfer-target").select_option(f"agent:{world.owner.id}")
    await page.locator("#transfer-note").fill("사업자번호 확인했어요. 재발행만 하면 돼요")
    await page.screenshot(path=str(artifacts / "inbox-transfer-ko.png"))
    await panel.get_by_role("button", name="넘기기").click()
    await expect(panel).to_be_hidden()
    await expect(page.locator("#thread-assignee")).to_have_text(f"담당자: {owner_name}")
    await expect(page.locator("#messages .message.note .bubble").last).to_have_text(
        "사업자번호 확인했어요. 재발행만 하면 돼요"
    )
    await expect(page.locator("#assignment-list")).to_contain_text(f"님이 {owner_name} 님에게 넘김")

    # Then to a team's queue, without a note.
    await page.get_by_role("button", name="넘기기").click()
    await page.locator("#transfer-target").select_option(f"team:{billing.json()['id']}")
    await panel.get_by_role("button", name="넘기기").click()
    await expect(page.locator("#thread-assignee")).to_have_text("담당자 없음")
    await expect(page.locator("#assignment-list")).to_contain_text("결제팀(으)로 넘김")
    conversation = (await owner.client.get(f"{world.base}/conversations")).json()
    assert conversation["conversations"][0]["assignee_id"] is None
    assert errors == []
    await context.close()


async def test_transfer_panel_in_english(browser: Any, world: World, artifacts: Path) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    visitor = await world.visitor(locale="en-US")
    await visitor.start("Can I get my invoice again?")
    owner = await world.login()
    assert (
        await owner.client.put("/api/v1/me/locale", json={"locale": "en"}, headers=owner.headers())
    ).status_code == 200
    context, page, errors = await sign_in(browser, world, world.owner.id)
    await page.set_viewport_size({"width": 1440, "height": 900})
    await page.locator("#conversation-list li", has_text="invoice").click()
    await page.get_by_role("button", name="Transfer").click()
    await expect(page.locator("#transfer-panel")).to_contain_text("Note for them")
    await expect(page.locator("#transfer-agents")).to_have_attribute("label", "Teammates")
    await page.screenshot(path=str(artifacts / "inbox-transfer-en.png"))
    await page.get_by_role("button", name="Cancel").click()
    await expect(page.locator("#transfer-panel")).to_be_hidden()
    assert errors == []
    await context.close()
