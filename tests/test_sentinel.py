"""The suite's negative realtime checks end at a sentinel (tests/fixtures/sentinel.py).

These show the helper can fail: an event published for a socket before ``collect`` is
always in what it returns, however the broker carries it; it never waits for quiet.
"""

from __future__ import annotations

from typing import Any

from tests.fixtures.factories import World, agent_socket
from tests.fixtures.sentinel import SENTINEL


def _envelope(world: World, contact_id: int | None, body: str) -> dict[str, Any]:
    return {
        "type": "conversation.updated",
        "workspace_id": world.workspace.id,
        "conversation_id": None,
        "contact_id": contact_id,
        "data": {"conversation": {"body": body}},
        "visitor_data": {"conversation": {"body": body}} if contact_id is not None else None,
        "exclude_agent_id": None,
    }


async def test_an_event_published_before_the_sentinel_is_always_collected(world: World) -> None:
    visitor = await world.visitor()
    other = await world.visitor()
    visitor_ws = await visitor.socket()
    other_ws = await other.socket()
    login = await world.login()
    agent_ws = await agent_socket(world, login)
    await agent_ws.until_ready()
    broker = world.server.sangdam.realtime.broker
    # A "leak" to the visitor, published with no await between it and the sentinel.
    await broker.publish(_envelope(world, visitor.contact_id, "late leak"), durable=False)
    frames = await visitor_ws.collect()
    assert [f["data"]["conversation"]["body"] for f in frames] == ["late leak"]
    # The agent socket gets it too (same workspace), and other_ws never (another contact).
    assert "late leak" in str(await agent_ws.collect())
    assert await other_ws.collect() == []
    # Sentinels for other sockets never reach a test's own reads.
    await visitor_ws.collect()
    await other_ws.send({"type": "ping", "ref": "after"})
    pong = await other_ws.recv()
    assert pong["type"] == "pong" and SENTINEL not in str(pong)
    for sock in (visitor_ws, other_ws, agent_ws):
        await sock.close()
