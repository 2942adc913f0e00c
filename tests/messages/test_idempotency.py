"""A retried send is one message; a reused id with other content is refused."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from sangdam.messages.models import Message
from tests.fixtures.factories import World, new_client_id


async def _count(world: World, conversation_id: int) -> int:
    async with world.server.db.read() as session:
        stmt = (
            select(func.count())
            .select_from(Message)
            .where(Message.conversation_id == conversation_id)
        )
        return int((await session.execute(stmt)).scalar_one())


async def test_http_retry_returns_the_original(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    client_id = new_client_id()
    url = f"{world.base}/conversations/{conversation_id}/messages"
    first = await login.client.post(
        url, json={"body": "답변", "client_id": client_id}, headers=login.headers()
    )
    again = await login.client.post(
        url, json={"body": "답변", "client_id": client_id}, headers=login.headers()
    )
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert await _count(world, conversation_id) == 2

    clash = await login.client.post(
        url, json={"body": "다른 내용", "client_id": client_id}, headers=login.headers()
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "idempotency_conflict"
    assert "client_id" in clash.json()["message"]
    assert await _count(world, conversation_id) == 2


async def test_websocket_retry_and_concurrent_duplicates(world: World) -> None:
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    sockets = [await visitor.socket({conversation_id: 1}) for _ in range(3)]
    client_id = new_client_id()
    frame = {
        "type": "message.send",
        "conversation_id": conversation_id,
        "client_id": client_id,
        "body": "once",
    }
    # The same send from three tabs at once, and a retry on the first.
    await asyncio.gather(*(s.send(frame) for s in sockets))
    await sockets[0].send(frame)
    acks = [
        await s.expect("ack", skip=("ping", "message.created", "conversation.updated"))
        for s in sockets
    ]
    acks.append(
        await sockets[0].expect("ack", skip=("ping", "message.created", "conversation.updated"))
    )
    assert len({a["message"]["id"] for a in acks}) == 1
    assert await _count(world, conversation_id) == 2
    for s in sockets:
        await s.close()


async def test_starting_a_conversation_is_idempotent(world: World) -> None:
    visitor = await world.visitor()
    client_id = new_client_id()
    body = {"body": "처음 문의", "client_id": client_id}
    first = await visitor.client.post("/api/widget/v1/conversations", json=body)
    second = await visitor.client.post("/api/widget/v1/conversations", json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["conversation"]["id"] == second.json()["conversation"]["id"]
    listing = await visitor.client.post("/api/widget/v1/session", json={})
    assert len(listing.json()["conversations"]) == 1


async def test_a_burst_commits_together_and_a_bad_send_fails_alone(world: World) -> None:
    """Sends arriving together share a commit; one bad send must not sink the others."""
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    sockets = [await visitor.socket({conversation_id: 1}) for _ in range(4)]
    taken = new_client_id()
    await sockets[0].send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": taken,
            "body": "original",
        }
    )
    await sockets[0].expect("ack", skip=("message.created", "conversation.updated"))

    frames = []
    for n in range(20):
        frames.append(
            {
                "type": "message.send",
                "conversation_id": conversation_id,
                "client_id": f"burst-{n}",
                "body": f"burst {n}",
            }
        )
    frames.insert(
        7,
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": taken,
            "body": "reused id",
        },
    )
    await asyncio.gather(*(sockets[n % 4].send(frame) for n, frame in enumerate(frames)))

    outcomes: list[dict] = []  # type: ignore[type-arg]
    for sock in sockets:
        while len([o for o in outcomes if o["sock"] is sock]) < len(
            [f for n, f in enumerate(frames) if n % 4 == sockets.index(sock)]
        ):
            frame = await sock.recv()
            if frame["type"] in ("ack", "error"):
                outcomes.append({"sock": sock, **frame})
    errors = [o for o in outcomes if o["type"] == "error"]
    assert [e["code"] for e in errors] == ["idempotency_conflict"]
    acked = [o for o in outcomes if o["type"] == "ack"]
    assert len(acked) == 20
    seqs = sorted(o["message"]["seq"] for o in acked)
    assert seqs == list(range(3, 23))  # contiguous, no gaps, no duplicates
    assert await _count(world, conversation_id) == 22
    for sock in sockets:
        await sock.close()


async def test_concurrent_duplicate_starts_make_one_conversation(world: World) -> None:
    visitor = await world.visitor()
    sockets = [await visitor.socket() for _ in range(3)]
    frame = {
        "type": "message.send",
        "conversation_id": None,
        "client_id": new_client_id(),
        "body": "처음이에요",
    }
    await asyncio.gather(*(s.send(frame) for s in sockets))
    acks = [
        await s.expect(
            "ack", skip=("message.created", "conversation.created", "conversation.updated")
        )
        for s in sockets
    ]
    assert len({a["conversation"]["id"] for a in acks}) == 1
    assert len({a["message"]["id"] for a in acks}) == 1
    listing = await visitor.client.post("/api/widget/v1/session", json={})
    assert len(listing.json()["conversations"]) == 1
    for s in sockets:
        await s.close()
