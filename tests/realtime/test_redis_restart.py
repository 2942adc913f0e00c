"""After Redis restarts, sockets are caught up and keep delivering (cf. chatwoot#14703)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from sangdam.config import Settings
from tests.fixtures.factories import World, agent_socket, make_world, new_client_id
from tests.fixtures.server import RunningServer, free_port, start_server
from tests.fixtures.services import unavailable

REDIS_SERVER = shutil.which("redis-server")


class PrivateRedis:
    """A throwaway redis-server that keeps nothing on disk, like a restarted cache."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        assert REDIS_SERVER
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                await client.ping()
                break
            except redis.ConnectionError:
                await asyncio.sleep(0.05)
        await client.aclose()

    def kill(self) -> None:
        assert self.process
        self.process.kill()
        self.process.wait(5)


@pytest.fixture
async def redis_stack() -> AsyncIterator[tuple[PrivateRedis, RunningServer]]:
    if REDIS_SERVER is None:
        unavailable("redis-server is not installed")
    private = PrivateRedis()
    await private.start()
    directory = Path(tempfile.mkdtemp(prefix="sangdam-redis-"))
    running = await start_server(
        Settings(database_url=f"sqlite:///{directory / 'db.sqlite3'}", redis_url=private.url)
    )
    yield private, running
    await running.stop()
    private.kill()


async def test_sockets_recover_after_a_redis_restart(
    redis_stack: tuple[PrivateRedis, RunningServer],
) -> None:
    private, running = redis_stack
    world: World = await make_world(running)
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("before the restart"))["conversation"]["id"]
    agent_ws = await agent_socket(world, login)
    ready = await agent_ws.until_ready()
    visitor_ws = await visitor.socket({conversation_id: 1})

    private.kill()
    # The reply is committed even though it can't be fanned out right now.
    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "sent while Redis was down", "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert reply.status_code == 201
    await private.start()

    # The visitor is caught up from the database once the feed is back.
    caught = await visitor_ws.expect(
        "message.created", timeout=20, skip=("ping", "conversation.updated")
    )
    assert caught["data"]["message"]["body"] == "sent while Redis was down"
    # The agent is told to resume; its old position is from a lost epoch, so it resyncs.
    await agent_ws.expect("resume_required", timeout=20, skip=("ping",))
    await agent_ws.close()
    again = await agent_socket(
        world, login, epoch=ready["epoch"], last_event_id=ready["last_event_id"]
    )
    await again.expect("resync_required")
    fresh = await again.expect("ready")
    assert fresh["epoch"] != ready["epoch"] and fresh["resumed"] is False

    # And live delivery works again, both ways.
    await visitor_ws.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "body": "after the restart",
        }
    )
    live = await again.expect("message.created", timeout=10, skip=("ping", "conversation.updated"))
    assert live["data"]["message"]["body"] == "after the restart"
    assert live["epoch"] == fresh["epoch"]
    await again.close()
    await visitor_ws.close()
