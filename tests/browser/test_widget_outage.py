"""The widget keeps messages typed during an outage and sends each exactly once."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from sangdam.messages.models import Message
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def _bodies(world: World) -> list[str]:
    async with world.server.db.read() as session:
        stmt = (
            select(Message.body)
            .where(Message.workspace_id == world.workspace.id)
            .order_by(Message.id)
        )
        return list((await session.execute(stmt)).scalars())


async def test_messages_survive_a_lost_ack_an_outage_and_a_reload(
    browser: Any, world: World
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the widget is the same on every backend; one run is enough")
    context = await browser.new_context(locale="ko-KR")
    state = {"mode": "pass"}  # pass | drop-ack | down
    sockets: list[Any] = []

    def route(ws: Any) -> None:
        sockets.append(ws)
        if state["mode"] == "down":
            return  # looks open to the page, but nothing answers: a dead server
        server = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if state["mode"] == "drop-ack" and '"type":"ack"' in str(message):
                # The server stored the message; its ack is lost with the connection.
                state["mode"] = "pass"
                asyncio.get_running_loop().create_task(ws.close(code=1006))
                return
            ws.send(message)

        server.on_message(from_server)
        ws.on_message(server.send)

    await context.route_web_socket(re.compile(r".*/ws/widget$"), route)
    page = await context.new_page()
    await page.goto(f"{world.server.base_url}/demo?key={world.inbox.public_key}")
    await page.locator("[data-sangdam] button.launcher").click()
    frame = page.frame_locator("[data-sangdam] iframe")
    await frame.get_by_role("button", name="문의하기").click()
    box = frame.locator("#input")

    # 1. The ack is lost after the server stored the message: the retry is a duplicate, not a copy.
    state["mode"] = "drop-ack"
    await box.fill("첫 번째 메시지")
    await box.press("Enter")
    await expect(frame.locator(".message.mine:not(.pending)")).to_have_count(1, timeout=15000)
    assert await _bodies(world) == ["첫 번째 메시지"]
    assert len(sockets) >= 2, "the widget should have reconnected after losing the ack"

    # 2. The server goes away: messages wait in the widget, and survive a reload.
    state["mode"] = "down"
    for ws in list(sockets):
        await ws.close(code=1006)
    await box.fill("서버가 없을 때 보낸 메시지")
    await box.press("Enter")
    await expect(frame.locator(".message.pending")).to_have_count(1)
    await page.reload()
    await page.locator("[data-sangdam] button.launcher").click()
    frame = page.frame_locator("[data-sangdam] iframe")
    await expect(frame.locator(".message.pending")).to_have_count(1)
    assert await _bodies(world) == ["첫 번째 메시지"]

    # 3. It comes back: the queued message goes out once, in order.
    state["mode"] = "pass"
    for ws in list(sockets):
        await ws.close(code=1006)
    await expect(frame.locator(".message.pending")).to_have_count(0, timeout=20000)
    await expect(frame.locator(".message.mine .bubble")).to_have_text(
        ["첫 번째 메시지", "서버가 없을 때 보낸 메시지"]
    )
    assert await _bodies(world) == ["첫 번째 메시지", "서버가 없을 때 보낸 메시지"]
    await context.close()
