"""A customer who writes faster than the limits allow is told so in their language, and the
widget sends the held-back message by itself once the wait is over."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.fixtures.factories import World, new_client_id

pytestmark = pytest.mark.browser


async def test_too_fast_is_explained_in_korean_and_sent_later(browser: Any, world: World) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    limits = world.server.settings.rate_limits
    previous = limits.messages_per_visitor_per_minute
    # One message every 10 s after a burst of 6: the held-back one goes out within 10 s.
    limits.messages_per_visitor_per_minute = 6
    context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        base = world.server.base_url
        await page.goto(f"{base}/demo?key={world.inbox.public_key}")
        await page.locator("[data-sangdam] button.launcher").click()
        frame = page.frame_locator("[data-sangdam] iframe")
        await frame.get_by_role("button", name="문의하기").click()
        await frame.locator("#input").fill("첫 메시지")
        await frame.locator("#input").press("Enter")
        await expect(frame.locator(".message.mine:not(.pending) .bubble")).to_have_text("첫 메시지")

        # The same visitor (its token, from the widget's storage) uses up the rest over HTTP.
        token = await page.evaluate(
            "Object.entries(localStorage).find(([k]) => k.endsWith(':token'))?.[1] ?? null"
        )
        if token is None:  # the widget's storage is the frame's, on the same origin here
            token = await frame.locator("body").evaluate(
                "() => Object.entries(localStorage).find(([k]) => k.endsWith(':token'))[1]"
            )
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            session = (await client.post("/api/widget/v1/session", json={})).json()
            url = f"/api/widget/v1/conversations/{session['conversations'][0]['id']}/messages"
            for _ in range(20):
                sent = await client.post(url, json={"body": "빠르게", "client_id": new_client_id()})
                if sent.status_code == 429:
                    break
                assert sent.status_code == 201, sent.text
            assert sent.status_code == 429

        await frame.locator("#input").fill("잠시 후에 가도 돼요")
        await frame.locator("#input").press("Enter")
        await expect(frame.locator("#error")).to_contain_text("메시지를 너무 빠르게 보내고 있어요")
        # Held back, not failed: it shows as sending, and goes out once the wait is over.
        held = frame.locator(".message.mine.pending", has_text="잠시 후에 가도 돼요")
        await expect(held).to_be_visible()
        assert "failed" not in (await held.get_attribute("class") or "")
        delivered = frame.locator(".message.mine:not(.pending) .bubble", has_text="잠시 후에")
        await expect(delivered).to_be_visible(timeout=20_000)
        assert errors == []
    finally:
        limits.messages_per_visitor_per_minute = previous
        await context.close()
