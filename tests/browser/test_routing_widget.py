"""The customer's side of routing: a place in line, and the offline form outside hours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def _general(login: Any, world: World) -> dict[str, Any]:
    teams = (await login.client.get(f"{world.base}/teams")).json()
    return next(t for t in teams if t["everyone"])


async def _widget(browser: Any, world: World) -> tuple[Any, Any, Any]:
    context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    page = await context.new_page()
    await page.goto(f"{world.server.base_url}/demo?key={world.inbox.public_key}")
    await page.locator("[data-sangdam] button.launcher").click()
    frame = page.frame_locator("[data-sangdam] iframe")
    return context, page, frame


async def test_queue_position_and_offline_form(browser: Any, world: World, artifacts: Path) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the widget is the same on every backend; one run is enough")
    login = await world.login()
    general = await _general(login, world)
    body = {"name": general["name"], "auto_assign": True, "no_answer_minutes": 5, "member_ids": []}
    assert (
        await login.client.put(
            f"{world.base}/teams/{general['id']}", json=body, headers=login.headers()
        )
    ).status_code == 200
    # Nobody is online: the customer waits in line and sees where.
    for agent_login in (login, await world.login(world.agent)):
        await agent_login.client.put(
            f"{world.base}/me/availability",
            json={"availability": "offline"},
            headers=agent_login.headers(),
        )

    context, page, frame = await _widget(browser, world)
    await frame.get_by_role("button", name="문의하기").click()
    await frame.locator("#input").fill("기다리고 있어요")
    await frame.locator("#input").press("Enter")
    await expect(frame.locator("#queue")).to_contain_text("대기 순서 1번째")
    await page.screenshot(path=str(artifacts / "widget-queue-ko.png"))
    await context.close()

    # Outside business hours the widget says so and asks for an email.
    never = {"timezone": "Asia/Seoul", "weekly": {}, "holidays": "KR", "closed_dates": []}
    assert (
        await login.client.put(
            f"{world.base}/teams/{general['id']}/hours", json=never, headers=login.headers()
        )
    ).status_code == 200
    context, page, frame = await _widget(browser, world)
    await expect(frame.locator("#offline")).to_contain_text("지금은 상담 시간이 아니에요")
    await frame.get_by_role("button", name="문의하기").click()
    await expect(frame.locator("#email")).to_be_visible()
    await frame.locator("#email").fill("night-owl@example.com")
    await frame.locator("#input").fill("밤에 남기는 문의입니다")
    await frame.locator("#input").press("Enter")
    await expect(frame.locator(".message.mine:not(.pending)")).to_have_count(1)
    await page.screenshot(path=str(artifacts / "widget-offline-ko.png"))
    listing = (await login.client.get(f"{world.base}/conversations?status=open")).json()[
        "conversations"
    ]
    offline = [c for c in listing if c["origin"].get("offline")]
    assert len(offline) == 1 and offline[0]["origin"]["email"] == "night-owl@example.com"
    await context.close()
