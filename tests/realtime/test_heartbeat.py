"""Heartbeats: the server pings, and closes sockets that went silent."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from sangdam.config import RealtimeSettings, Settings
from tests.fixtures.factories import make_world
from tests.fixtures.server import RunningServer, start_server


@pytest.fixture
async def fast_heartbeat_server() -> AsyncIterator[RunningServer]:
    directory = Path(tempfile.mkdtemp(prefix="sangdam-heartbeat-"))
    settings = Settings(
        database_url=f"sqlite:///{directory / 'db.sqlite3'}",
        realtime=RealtimeSettings(heartbeat_seconds=0.2, idle_timeout_seconds=0.7),
    )
    running = await start_server(settings)
    yield running
    await running.stop()


async def test_silent_sockets_are_closed_and_answering_ones_kept(
    fast_heartbeat_server: RunningServer,
) -> None:
    world = await make_world(fast_heartbeat_server)
    visitor = await world.visitor()
    silent = await visitor.socket()
    lively = await visitor.socket()

    async def answer_pings() -> None:
        while True:
            frame = await lively.recv(5)
            if frame["type"] == "ping":
                await lively.send({"type": "pong"})

    keeper = asyncio.create_task(answer_pings())
    assert (await silent.recv(2))["type"] == "ping"
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(20):
            await silent.recv(2)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000
    await asyncio.sleep(1.0)
    assert not keeper.done()  # still connected and being pinged
    keeper.cancel()
    await asyncio.gather(keeper, return_exceptions=True)
    await lively.send({"type": "ping", "ref": "p"})
    while (frame := await lively.recv(2))["type"] != "pong":
        pass
    assert frame == {"type": "pong", "ref": "p"}
    await lively.close()
