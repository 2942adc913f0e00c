"""The hub's per-socket rules that a live race can trigger but a test can't time."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from sangdam.realtime.hub import AgentConnection, newer_than


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
