"""An error on one frame costs that frame, never the connection.

Whatever goes wrong while a frame is handled — the database refusing a value, a
statement failing — the client gets an ``error`` frame with the ref its ack would have
carried, and the socket keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import text

from tests.fixtures.factories import Socket, World, agent_socket, new_client_id

SKIP = ("ping", "message.created", "conversation.created", "conversation.updated", "typing")
BEYOND_64_BITS = 2**63


async def _answer(sock: Socket) -> dict[str, Any]:
    """The ack or error that a frame caused."""
    while True:
        frame = await sock.recv()
        if frame["type"] in ("ack", "error"):
            return frame
        assert frame["type"] in (*SKIP, "contact.updated", "queue.updated", "agent.updated"), frame


async def _still_usable(sock: Socket, conversation_id: int) -> None:
    client_id = new_client_id()
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": client_id,
            "body": "still here",
        }
    )
    ack = await sock.expect("ack", skip=SKIP)
    assert ack["ref"] == client_id
    assert ack["message"]["body"] == "still here"


async def test_visitor_frames_the_database_would_refuse_cost_only_that_frame(world: World) -> None:
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    sock = await visitor.socket({conversation_id: 1})
    frames: list[dict[str, Any]] = [
        {"type": "typing", "conversation_id": BEYOND_64_BITS, "ref": "t"},
        {"type": "read", "conversation_id": BEYOND_64_BITS, "seq": 1, "ref": "r"},
        {
            "type": "message.send",
            "conversation_id": BEYOND_64_BITS,
            "client_id": "big1",
            "body": "x",
            "ref": "s",
        },
        {
            "type": "message.send",
            "conversation_id": BEYOND_64_BITS,
            "client_id": "big2",
            "body": "x",
        },
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": "nul1",
            "body": "a\u0000b",
            "ref": "nul",
        },
    ]
    for frame in frames:
        await sock.send(frame)
        # Refused at the edge or by the database (or NUL replaced and stored): either
        # way an answer with the frame's ref, on a socket that stays open.
        answer = await _answer(sock)
        assert answer["ref"] == frame.get("ref", frame.get("client_id")), (frame, answer)
    await _still_usable(sock, conversation_id)
    await sock.close()


async def test_agent_frames_the_database_would_refuse_cost_only_that_frame(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    sock = await agent_socket(world, login)
    await sock.until_ready()
    frames: list[dict[str, Any]] = [
        {"type": "typing", "conversation_id": BEYOND_64_BITS, "ref": "t"},
        {"type": "read", "conversation_id": BEYOND_64_BITS, "seq": 1, "ref": "r"},
        {
            "type": "message.send",
            "conversation_id": BEYOND_64_BITS,
            "client_id": "big1",
            "body": "x",
        },
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": "nul1",
            "body": "a\u0000b",
            "ref": "nul",
        },
    ]
    for frame in frames:
        await sock.send(frame)
        answer = await _answer(sock)
        assert answer["ref"] == frame.get("ref", frame.get("client_id")), (frame, answer)
    await _still_usable(sock, conversation_id)
    await sock.close()


async def test_an_error_carries_the_ref_the_ack_would_carry(world: World) -> None:
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    sock = await visitor.socket({conversation_id: 1})
    # No ref: the ack would name the client_id, so the error does too.
    too_long = "가" * (world.server.settings.realtime.max_message_chars + 1)
    for body, code in (("   ", "empty_body"), (too_long, "message_too_long")):
        client_id = new_client_id()
        await sock.send(
            {
                "type": "message.send",
                "conversation_id": conversation_id,
                "client_id": client_id,
                "body": body,
            }
        )
        error = await sock.expect("error", skip=SKIP)
        assert (error["code"], error["ref"]) == (code, client_id)
    # A ref given wins, as in the ack.
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "body": " ",
            "ref": "mine",
        }
    )
    assert (await sock.expect("error", skip=SKIP))["ref"] == "mine"
    await sock.close()


@asynccontextmanager
async def _failing_contact_updates(world: World, contact_id: int) -> AsyncIterator[None]:
    """A trigger that makes the database refuse any change to one contact."""
    async with world.server.db.transaction() as session:
        if world.server.db.dialect == "postgresql":
            await session.execute(
                text(
                    "CREATE FUNCTION sangdam_test_refuse() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'refused by a test trigger'; END $$ LANGUAGE plpgsql"
                )
            )
            await session.execute(
                text(
                    "CREATE TRIGGER sangdam_test_refuse BEFORE UPDATE ON contacts FOR EACH ROW "
                    f"WHEN (NEW.id = {int(contact_id)}) EXECUTE FUNCTION sangdam_test_refuse()"
                )
            )
        else:
            await session.execute(
                text(
                    "CREATE TRIGGER sangdam_test_refuse BEFORE UPDATE ON contacts "
                    f"WHEN NEW.id = {int(contact_id)} "
                    "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
                )
            )
    try:
        yield
    finally:
        async with world.server.db.transaction() as session:
            if world.server.db.dialect == "postgresql":
                await session.execute(text("DROP TRIGGER sangdam_test_refuse ON contacts"))
                await session.execute(text("DROP FUNCTION sangdam_test_refuse()"))
            else:
                await session.execute(text("DROP TRIGGER sangdam_test_refuse"))


async def test_an_unexpected_failure_is_an_error_frame_and_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    sock = await visitor.socket({conversation_id: 1})
    async with _failing_contact_updates(world, visitor.contact_id):
        with caplog.at_level(logging.ERROR, logger="sangdam.realtime.api"):
            await sock.send(
                {"type": "page", "context": {"url": "https://shop.example/"}, "ref": "p"}
            )
            error = await sock.expect("error", skip=(*SKIP, "contact.updated"))
    assert error["ref"] == "p"
    assert error["code"] == "internal_error"
    # Generic for the client; the details stay in the server's log.
    assert "trigger" not in error["message"]
    assert any(
        record.exc_info and "refused by a test trigger" in str(record.exc_info[1])
        for record in caplog.records
    )
    await _still_usable(sock, conversation_id)
    await sock.send({"type": "page", "context": {"url": "https://shop.example/2"}, "ref": "p2"})
    assert (await sock.expect("ack", skip=(*SKIP, "contact.updated")))["ref"] == "p2"
    await sock.close()
