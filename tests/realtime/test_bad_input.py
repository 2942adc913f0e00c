"""Bad input gets a clear error, the connection stays usable, nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from sangdam.messages.models import Message
from tests.fixtures.factories import Socket, World, new_client_id


async def _messages(world: World) -> int:
    async with world.server.db.read() as session:
        stmt = (
            select(func.count())
            .select_from(Message)
            .where(Message.workspace_id == world.workspace.id)
        )
        return int((await session.execute(stmt)).scalar_one())


async def test_bad_frames_get_errors_and_the_socket_keeps_working(world: World) -> None:
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    sock = await visitor.socket({conversation_id: 1})
    before = await _messages(world)
    limit = world.server.settings.realtime.max_message_chars

    cases = [
        ("not json at all", "bad_frame"),
        ("[1, 2, 3]", "bad_frame"),
        ({"type": "launch_missiles"}, "bad_frame"),
        (
            {"type": "message.send", "conversation_id": conversation_id, "body": "no client id"},
            "bad_frame",
        ),
        (
            {
                "type": "message.send",
                "conversation_id": conversation_id,
                "client_id": "ok1",
                "body": "   ",
            },
            "empty_body",
        ),
        (
            {
                "type": "message.send",
                "conversation_id": conversation_id,
                "client_id": "ok2",
                "body": "가" * (limit + 1),
            },
            "message_too_long",
        ),
        (
            {
                "type": "message.send",
                "conversation_id": 99_999_999,
                "client_id": "ok3",
                "body": "x",
            },
            "not_found",
        ),
        (
            {
                "type": "message.send",
                "conversation_id": conversation_id,
                "client_id": "bad id with spaces",
                "body": "x",
            },
            "invalid_client_id",
        ),
        (
            {
                "type": "message.send",
                "conversation_id": conversation_id,
                "client_id": "ok4",
                "body": "x",
                "private": True,
            },
            "bad_frame",
        ),
        ({"type": "read", "conversation_id": conversation_id, "seq": 5000}, "bad_seq"),
        ("x" * (world.server.settings.realtime.max_frame_bytes + 10), "frame_too_large"),
    ]
    for frame, code in cases:
        await sock.send(frame)
        error = await sock.expect("error")
        assert error["code"] == code, (frame if isinstance(frame, dict) else str(frame)[:40], error)
        assert error["message"] and len(error["message"]) < 400
    assert await _messages(world) == before

    # Still usable.
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "body": "still here",
        }
    )
    ack = await sock.expect("ack", skip=("ping", "message.created", "conversation.updated"))
    assert ack["message"]["body"] == "still here"
    await sock.close()


async def test_wrong_visitor_token_closes_with_a_reason(world: World) -> None:
    ws = await connect(f"{world.server.ws_url}/ws/widget")
    sock = Socket(ws)
    await sock.send({"type": "hello", "token": "sdv_forged"})
    error = await sock.expect("error")
    assert error["code"] == "bad_visitor_token"
    with pytest.raises(ConnectionClosed) as closed:
        await sock.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_http_bad_input_gets_actionable_4xx(world: World) -> None:
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    base = f"/api/widget/v1/conversations/{conversation_id}/messages"
    before = await _messages(world)
    limit = world.server.settings.realtime.max_message_chars

    too_long = await visitor.client.post(base, json={"body": "a" * (limit + 1), "client_id": "c1"})
    assert too_long.status_code == 413 and str(limit) in too_long.json()["message"]
    missing = await visitor.client.post(base, json={"body": "x"})
    assert missing.status_code == 422 and "client_id" in missing.json()["message"]
    broken = await visitor.client.post(
        base, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    wrong_type = await visitor.client.post(base, json={"body": 5, "client_id": "c2"})
    assert wrong_type.status_code == 422
    unknown = await visitor.client.post(
        "/api/widget/v1/conversations/424242/messages", json={"body": "x", "client_id": "c3"}
    )
    assert unknown.status_code == 404
    no_token = await visitor.client.post(
        base, json={"body": "x", "client_id": "c4"}, headers={"Authorization": ""}
    )
    assert no_token.status_code == 401
    bad_key = await visitor.client.post(
        "/api/widget/v1/visitors", json={"inbox_key": "sdk_unknown"}
    )
    assert bad_key.status_code == 404 and "script tag" in bad_key.json()["message"]
    assert await _messages(world) == before

    login = await world.login()
    cursor = await login.client.get(f"{world.base}/conversations?before=garbage")
    assert cursor.status_code == 400 and "next_before" in cursor.json()["message"]
    status = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/status",
        json={"status": "exploded"},
        headers=login.headers(),
    )
    assert status.status_code == 422
