"""Delivery: live fan-out, resume after a disconnect, and resync when history is gone."""

from __future__ import annotations

from sqlalchemy import func, select

from sangdam.messages.models import Message
from tests.fixtures.factories import World, agent_socket, new_client_id


async def test_visitor_and_agent_see_each_other_live(world: World) -> None:
    login = await world.login()
    agent_ws = await agent_socket(world, login)
    ready = await agent_ws.expect("ready")
    assert ready["epoch"] and ready["last_event_id"]
    visitor = await world.visitor(url="https://shop.example/pricing", locale="ko-KR")
    started = await visitor.start("안녕하세요, 환불 문의드려요")
    conversation_id = started["conversation"]["id"]

    created = await agent_ws.expect("conversation.created")
    assert created["data"]["conversation"]["id"] == conversation_id
    message = await agent_ws.expect("message.created", skip=("ping", "conversation.updated"))
    assert message["data"]["message"]["body"] == "안녕하세요, 환불 문의드려요"
    assert message["event_id"] and message["epoch"] == ready["epoch"]

    visitor_ws = await visitor.socket({conversation_id: 1})
    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "네, 도와드릴게요!", "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert reply.status_code == 201, reply.text
    frame = await visitor_ws.expect("message.created", skip=("ping", "conversation.updated"))
    assert frame["data"]["message"]["body"] == "네, 도와드릴게요!"
    assert frame["data"]["message"]["sender_type"] == "agent"
    assert "sender_id" not in frame["data"]["message"]
    await visitor_ws.close()
    await agent_ws.close()


async def test_visitor_resumes_with_exactly_the_missed_messages_in_order(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    started = await visitor.start("first")
    conversation_id = started["conversation"]["id"]
    visitor_ws = await visitor.socket({conversation_id: 1})
    await visitor_ws.close()

    for n in range(5):
        response = await login.client.post(
            f"{world.base}/conversations/{conversation_id}/messages",
            json={"body": f"reply {n}", "client_id": new_client_id()},
            headers=login.headers(),
        )
        assert response.status_code == 201
    # A note in between must not show up, and must not break the order.
    note = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "internal", "private": True, "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert note.status_code == 201 and note.json()["kind"] == "note"

    resumed = await visitor.socket({conversation_id: 1})
    frames = resumed.replayed + await resumed.collect()
    bodies = [f["data"]["message"]["body"] for f in frames if f["type"] == "message.created"]
    assert bodies == [f"reply {n}" for n in range(5)]
    seqs = [f["data"]["message"]["seq"] for f in frames if f["type"] == "message.created"]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    await resumed.close()


async def test_agent_resumes_from_last_event_id(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    started = await visitor.start("hello")
    conversation_id = started["conversation"]["id"]
    agent_ws = await agent_socket(world, login)
    ready = await agent_ws.expect("ready")
    await agent_ws.close()

    for n in range(3):
        response = await visitor.client.post(
            f"/api/widget/v1/conversations/{conversation_id}/messages",
            json={"body": f"while away {n}", "client_id": new_client_id()},
        )
        assert response.status_code == 201

    resumed = await agent_socket(
        world, login, epoch=ready["epoch"], last_event_id=ready["last_event_id"]
    )
    assert (await resumed.until_ready())["resumed"] is True
    frames = resumed.replayed
    bodies = [f["data"]["message"]["body"] for f in frames if f["type"] == "message.created"]
    assert bodies == [f"while away {n}" for n in range(3)]
    ids = [f["event_id"] for f in frames if "event_id" in f]
    assert len(ids) == len(set(ids))
    await resumed.close()


async def test_agent_from_another_epoch_is_told_to_resync(world: World) -> None:
    login = await world.login()
    sock = await agent_socket(world, login, epoch="not-this-one", last_event_id="1-0")
    first = await sock.expect("resync_required")
    assert first["epoch"]
    ready = await sock.expect("ready")
    assert ready["resumed"] is False
    await sock.close()


async def test_ack_means_committed(world: World) -> None:
    visitor = await world.visitor()
    started = await visitor.start("one")
    conversation_id = started["conversation"]["id"]
    sock = await visitor.socket({conversation_id: 1})
    client_id = new_client_id()
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": client_id,
            "body": "acked?",
        }
    )
    ack = await sock.expect("ack", skip=("ping", "message.created", "conversation.updated"))
    assert ack["message"]["seq"] == 2
    async with world.server.db.read() as session:
        count = (
            await session.execute(
                select(func.count()).select_from(Message).where(Message.client_id == client_id)
            )
        ).scalar_one()
    assert count == 1
    await sock.close()


async def test_agent_resuming_with_an_id_this_history_never_issued_resyncs(world: World) -> None:
    """Both halves of an event id count, on every broker: an id from another run (or
    made up) with the current epoch is not a position in this history."""
    login = await world.login()
    visitor = await world.visitor()
    await visitor.start("history to replay")
    first = await agent_socket(world, login)
    ready = await first.until_ready()
    await first.close()
    for foreign in ("99999999999999-0", "1712345678901-7", "0-99999999", "garbage"):
        sock = await agent_socket(world, login, epoch=ready["epoch"], last_event_id=foreign)
        await sock.expect("resync_required")
        again = await sock.expect("ready")
        assert again["resumed"] is False and not sock.replayed, foreign
        await sock.close()
