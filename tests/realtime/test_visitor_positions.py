"""A widget socket keeps a position per conversation and never skips a reply.

The position is what the socket knows the client holds: named in ``hello`` (clamped to
the conversation's end), or nothing — then the socket catches up from the database
from the start before forwarding anything live.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from sangdam.config import Settings
from sangdam.contacts.models import Contact
from sangdam.contacts.schemas import PageContext
from sangdam.widget.service import receive_message
from tests.fixtures.factories import Socket, Visitor, World, make_world, new_client_id
from tests.fixtures.server import RunningServer, start_server

SKIP = ("ping", "typing", "conversation.created", "conversation.updated", "contact.updated")


async def _reply(world: World, login: Any, conversation_id: int, body: str) -> int:
    response = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": body, "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["seq"])


async def _messages_until(sock: Socket, body: str) -> list[dict[str, Any]]:
    """Every message frame up to and including the one with ``body``."""
    seen = [f["data"]["message"] for f in sock.replayed if f["type"] == "message.created"]
    while not any(m["body"] == body for m in seen):
        frame = await sock.expect("message.created", skip=(*SKIP, "ack"))
        seen.append(frame["data"]["message"])
    return seen


async def test_a_conversation_missing_from_hello_is_caught_up_from_its_start(
    world: World,
) -> None:
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("first"))["conversation"]["id"]
    await _reply(world, login, conversation_id, "reply while the widget was away")
    # A socket that was never told about the conversation.
    sock = await visitor.socket({})
    await _reply(world, login, conversation_id, "live reply")

    seen = await _messages_until(sock, "live reply")
    bodies = [m["body"] for m in seen]
    assert "reply while the widget was away" in bodies
    assert bodies.index("reply while the widget was away") < bodies.index("live reply")
    seqs = [m["seq"] for m in seen]
    assert seqs == sorted(seqs)
    await sock.close()


async def test_a_retried_first_message_brings_the_replies_that_came_meanwhile(
    world: World,
) -> None:
    """The issue's reproducer: the first message committed, the ack was lost, an agent
    answered, the widget reconnected and retried. Nothing live follows the retry."""
    login = await world.login()
    visitor = await world.visitor()
    first = {
        "type": "message.send",
        "conversation_id": None,
        "client_id": new_client_id(),
        "body": "is anyone there?",
        "ref": "first",
    }
    sock = await visitor.socket({})
    await sock.send(first)
    ack = await sock.expect("ack", skip=(*SKIP, "message.created"))
    conversation_id = ack["conversation"]["id"]
    await sock.close()  # as if the ack had been lost with the connection

    await _reply(world, login, conversation_id, "yes, how can I help?")

    again = await visitor.socket({})
    await again.send(first)
    retried = await again.expect("ack", skip=(*SKIP, "message.created"))
    assert retried["message"]["seq"] == ack["message"]["seq"]
    seen = await _messages_until(again, "yes, how can I help?")
    assert seen[-1]["sender_type"] == "agent"
    await again.close()


async def test_a_hello_position_beyond_the_end_is_clamped(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hello"))["conversation"]["id"]
    sock = await visitor.socket({conversation_id: 10**6})
    seq = await _reply(world, login, conversation_id, "you must still get this")
    frame = await sock.expect("message.created", skip=SKIP)
    assert frame["data"]["message"]["body"] == "you must still get this"
    assert frame["data"]["message"]["seq"] == seq
    await sock.close()


async def test_each_conversation_resumes_from_its_own_position(world: World) -> None:
    login = await world.login()
    visitor: Visitor = await world.visitor()
    one = (await visitor.start("one"))["conversation"]["id"]
    two = (await visitor.start("two"))["conversation"]["id"]
    await _reply(world, login, one, "one: a")
    await _reply(world, login, two, "two: a")
    await _reply(world, login, two, "two: b")

    # The widget holds conversation one up to the reply, and two only up to its start.
    sock = await visitor.socket({one: 2, two: 1})
    replayed = [
        f["data"]["message"]["body"] for f in sock.replayed if f["type"] == "message.created"
    ]
    assert replayed == ["two: a", "two: b"]
    await sock.close()


async def test_a_hello_naming_too_many_conversations_is_refused_clearly(world: World) -> None:
    visitor = await world.visitor()
    ws = await connect(f"{world.server.ws_url}/ws/widget", max_size=None)
    sock = Socket(ws)
    # 55 KB of ids: under the frame limit, far over what one widget can hold.
    await sock.send(
        {
            "type": "hello",
            "token": visitor.token,
            "conversations": {n: 0 for n in range(1, 5001)},
        }
    )
    error = await sock.expect("error")
    assert error["code"] == "too_many_conversations"
    assert str(world.server.settings.realtime.max_hello_conversations) in error["message"]
    with pytest.raises(ConnectionClosed) as closed:
        await sock.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


@pytest.fixture
async def quiet_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server of its own with its periodic sweeps out of the way of statement counts."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", redis_url=None)
    settings.routing.sweep_seconds = 3600
    settings.outbound.job_poll_seconds = 3600
    running = await start_server(settings)
    yield running
    await running.stop()


async def _conversations_of(world: World, visitor: Visitor, count: int) -> list[int]:
    """``count`` conversations of the visitor, each with a reply, made through the services."""
    ids = []
    async with world.server.db.transaction() as session:
        contact = await session.get(Contact, visitor.contact_id)
        assert contact is not None
        for n in range(count):
            conversation, _, _ = await receive_message(
                session,
                inbox_id=world.inbox.id,
                contact=contact,
                conversation_id=None,
                body=f"question {n}",
                client_id=new_client_id(),
                button=None,
                context=PageContext(),
                max_chars=5000,
                base_url=world.server.base_url,
            )
            ids.append(conversation.id)
    return ids


async def test_the_replay_for_many_conversations_runs_a_fixed_number_of_queries(
    quiet_server: RunningServer,
) -> None:
    world = await make_world(quiet_server)
    visitor = await world.visitor()
    ids = await _conversations_of(world, visitor, 12)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        lowered = statement.lower()
        if "conversations" in lowered or "messages" in lowered:
            statements.append(statement)

    engine = quiet_server.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        counts = []
        for named in (ids[:2], ids):
            statements.clear()
            sock = await visitor.socket({conversation_id: 0 for conversation_id in named})
            replayed = [f for f in sock.replayed if f["type"] == "message.created"]
            assert {f["data"]["message"]["conversation_id"] for f in replayed} == set(named)
            counts.append(len(statements))
            await sock.close()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    few, many = counts
    assert many == few, statements
