"""In real Chromium: an admin builds a segment from controls (no JSON), sees how many
customers match while editing, saves it, and sends a campaign to it; the one customer in
the segment gets the message, and the campaign's row shows it sent."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.campaigns.conftest import add_contact, ago
from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def test_an_admin_builds_a_segment_and_sends_a_campaign(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    await add_contact(
        world, name="최근 프리미엄", attributes={"plan": "premium"}, last_seen_at=ago(2)
    )
    await add_contact(
        world, name="오래된 프리미엄", attributes={"plan": "premium"}, last_seen_at=ago(40)
    )
    await add_contact(world, name="무료", attributes={"plan": "free"}, last_seen_at=ago(1))
    context, page, errors = await sign_in(browser, world, world.owner.id)
    try:
        await page.goto(f"{world.server.base_url}/inbox/{world.workspace.id}/settings/campaigns")
        form = page.locator("#segment-form")
        await expect(page.locator("#segment-count")).to_have_text("조건에 맞는 고객 3명")
        await form.locator("input[name=name]").fill("최근 본 프리미엄")

        # plan is premium
        await form.get_by_role("button", name="+ 조건", exact=True).click()
        plan = form.locator(".segment-condition").nth(0)
        await plan.locator("input").nth(0).fill("plan")
        await plan.locator("input").nth(1).fill("premium")
        await expect(page.locator("#segment-count")).to_have_text("조건에 맞는 고객 2명")
        # and (seen in the last 10 days), as a group
        await form.get_by_role("button", name="+ 조건 묶음 (AND/OR)").click()
        await expect(page.locator("#segment-count")).to_have_text("조건에 맞는 고객 1명")
        await expect(page.locator("#segment-preview li")).to_have_text(["최근 프리미엄"])
        await form.get_by_role("button", name="세그먼트 저장").click()
        await expect(page.locator("#segment-rows tr")).to_have_count(1)

        campaign = page.locator("#campaign-form")
        await campaign.locator("input[name=name]").fill("결제 오류 안내")
        await campaign.locator("select[name=sender]").select_option(str(world.owner.id))
        await campaign.locator("textarea[name=body]").fill(
            "어제 결제 오류가 있었어요. 도와드릴까요?"
        )
        await campaign.get_by_role("button", name="임시 저장").click()
        row = page.locator("#campaign-rows tr")
        await expect(row).to_have_count(1)
        await expect(row.locator("td").nth(1)).to_have_text("임시 저장됨")
        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await row.get_by_role("button", name="지금 보내기").click()

        # The server's job worker sends it; the page shows it on the next load.
        login = await world.login()
        for _ in range(100):
            listed = (
                await login.client.get(f"{world.base}/campaigns", headers=login.headers())
            ).json()
            if listed[0]["status"] == "sent":
                break
            await asyncio.sleep(0.1)
        assert listed[0]["status"] == "sent"
        assert listed[0]["stats"]["sent"] == 1
        await page.reload()
        await expect(row.locator("td").nth(1)).to_have_text("보냄")
        await expect(row.locator("td").nth(2)).to_have_text("1")
        assert errors == []
    except Exception:
        await page.screenshot(path=str(artifacts / "campaign-builder.png"), full_page=True)
        raise
    finally:
        await context.close()
