"""The widget resumes each conversation from what it really holds, not from its newest ack.

With two processes an ack can overtake a reply that another process committed first (the
reply's event is still crossing Redis). If the connection then dies, the reply must come
with the reconnect: the widget's position only moves with the in-order stream.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from sangdam.conversations.models import Conversation
from tests.fixtures.factories import World, new_client_id

pytestmark = pytest.mark.browser


async def test_a_reply_overtaken_by_an_ack_arrives_after_a_reconnect(
    browser: Any, world: World
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the widget is the same on every backend; one run is enough")
    context = await browser.new_context(locale="ko-KR")
    state = {"mode": "pass"}  # pass | acks-only (everything else is still in flight)
    sockets: list[Any] = []

    def route(ws: Any) -> None:
        sockets.append(ws)
        server = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if state["mode"] == "acks-only" and '"type":"ack"' not in str(message):
                return  # on its way when the connection dies: never delivered
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
    await box.fill("환불 문의드려요")
    await box.press("Enter")
    await expect(frame.locator(".message.mine:not(.pending)")).to_have_count(1, timeout=15000)
    async with world.server.db.read() as session:
        query = select(Conversation.id).where(Conversation.workspace_id == world.workspace.id)
        conversation_id = (await session.execute(query)).scalar_one()

    # An agent answers; the widget's next message is acked before that answer reaches it.
    state["mode"] = "acks-only"
    login = await world.login()
    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "상담원 답변입니다", "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert reply.status_code == 201, reply.text
    await box.fill("혹시 계세요?")
    await box.press("Enter")
    await expect(frame.locator(".message.mine:not(.pending)")).to_have_count(2, timeout=15000)
    assert await frame.locator(".message.agent").count() == 0

    # The connection dies with the answer still in flight; the reconnect brings it.
    state["mode"] = "pass"
    for ws in list(sockets):
        await ws.close(code=1006)
    await expect(frame.locator(".message.agent .bubble")).to_have_text(
        ["상담원 답변입니다"], timeout=20000
    )
    await expect(frame.locator(".message .bubble")).to_have_text(
        ["환불 문의드려요", "상담원 답변입니다", "혹시 계세요?"]
    )
    await context.close()
