"""The hub's per-socket rules that a live race can trigger but a test can't time."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from sangdam.realtime.hub import AgentConnection, VisitorConnection, newer_than


class _Recorder:
    """Where an agent socket's frames would be written (the hub only calls send_bytes)."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send_bytes(self, data: bytes) -> None:
        self.frames.append(orjson.loads(data))


def _event(event_id: str | None, body: str) -> dict[str, Any]:
    return {
        "type": "message.created" if event_id else "typing",
        "workspace_id": 1,
        "data": {"body": body},
        "id": event_id,
        "epoch": "e1",
    }


async def test_an_event_older_than_ready_never_reaches_the_agent_late() -> None:
    socket = _Recorder()
    agent = AgentConnection(socket, workspace_id=1, agent_id=7)  # type: ignore[arg-type]
    agent.offer(_event("1700000000000-0", "held, before the snapshot"))
    agent.offer(_event("1700000000005-0", "held, after it"))
    agent.release(newer_than("1700000000003-0"))
    # Through pub/sub an event already in the stream at "ready" can still arrive now.
    agent.offer(_event("1700000000002-0", "late copy of an old event"))
    agent.offer(_event("1700000000009-0", "new"))
    agent.offer(_event(None, "typing"))
    await asyncio.sleep(0.01)
    assert [f["data"]["body"] for f in socket.frames] == ["held, after it", "new", "typing"]
    assert agent.last_event_id == "1700000000009-0"
    await agent.stop()


class _Socket(_Recorder):
    """Also records how the hub closed it."""

    def __init__(self) -> None:
        super().__init__()
        self.closed_with: int | None = None

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = code


def _visitor_message(seq: int) -> dict[str, Any]:
    message = {"conversation_id": 9, "seq": seq, "body": f"m{seq}"}
    return {
        "type": "message.created",
        "workspace_id": 1,
        "contact_id": 5,
        "data": {"message": message},
        "visitor_data": {"message": message},
        "id": f"0-{seq}",
        "epoch": "e1",
    }


async def test_a_long_gap_reaches_the_widget_whole_and_in_order() -> None:
    """A conversation the socket has no position for is caught up from its start, page by
    page, until nothing is missing."""
    socket = _Socket()
    asked: list[dict[int, int]] = []

    async def fetch(positions: dict[int, int], limit: int) -> dict[int, list[dict[str, Any]]]:
        asked.append(dict(positions))
        after = positions[9]
        last = min(after + limit, 1200)
        return {
            9: [
                {"conversation_id": 9, "seq": s, "body": f"m{s}"}
                for s in range(after + 1, last + 1)
            ]
        }

    visitor = VisitorConnection(socket, 1, 5, fetch)  # type: ignore[arg-type]
    visitor.release(lambda envelope: True)
    visitor.offer(_visitor_message(1200))
    visitor.offer(_visitor_message(1201))
    for _ in range(100):
        if len(socket.frames) == 1201:
            break
        await asyncio.sleep(0.01)
    seqs = [f["data"]["message"]["seq"] for f in socket.frames]
    assert seqs == list(range(1, 1202))
    assert asked[0] == {9: 0}
    await visitor.stop()


async def test_a_catch_up_that_fails_closes_the_socket_so_the_widget_resumes() -> None:
    socket = _Socket()

    async def fetch(positions: dict[int, int], limit: int) -> dict[int, list[dict[str, Any]]]:
        raise ConnectionError("the database is unreachable")

    visitor = VisitorConnection(socket, 1, 5, fetch)  # type: ignore[arg-type]
    visitor.release(lambda envelope: True)
    visitor.offer(_visitor_message(3))
    for _ in range(100):
        if socket.closed_with is not None:
            break
        await asyncio.sleep(0.01)
    # Never a silent socket, never message 3 without 1 and 2.
    assert socket.closed_with == 1013
    assert socket.frames == []
    await visitor.stop()
