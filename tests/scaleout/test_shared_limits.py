"""Two real server processes on PostgreSQL + Redis share one count for each rate limit:
a visitor can't double their allowance by landing on another node."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fixtures.factories import World, new_client_id
from tests.fixtures.server import RunningServer, free_port

pytestmark = pytest.mark.scaleout

MESSAGES_PER_MINUTE = 4


async def _node(server: RunningServer) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "SANGDAM_DATABASE_URL": server.settings.database_url,
        "SANGDAM_REDIS_URL": server.settings.redis_url or "",
        "SANGDAM_LOG_LEVEL": "warning",
        "SANGDAM_DEMO__SEED": "false",
        "SANGDAM_RATE_LIMITS__MESSAGES_PER_VISITOR_PER_MINUTE": str(MESSAGES_PER_MINUTE),
        "SANGDAM_SERVER__TRUSTED_PROXIES": json.dumps(["127.0.0.1"]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sangdam.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{base_url}/api/openapi.json")).status_code == 200:
                    return process, base_url
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError("node did not start")


@pytest.fixture
async def nodes(server: RunningServer) -> AsyncIterator[list[str]]:
    if getattr(server, "backend", "") != "postgres":
        pytest.skip("scale-out needs PostgreSQL and Redis")
    started = await asyncio.gather(_node(server), _node(server))
    yield [url for _, url in started]
    for process, _ in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(10)


async def test_two_nodes_share_a_visitors_message_limit(world: World, nodes: list[str]) -> None:
    headers = {"X-Forwarded-For": f"2001:db8:5ca1::{os.getpid() % 65536:x}"}
    async with httpx.AsyncClient(base_url=nodes[0], headers=headers) as first:
        created = await first.post(
            "/api/widget/v1/visitors", json={"inbox_key": world.inbox.public_key, "context": {}}
        )
        assert created.status_code == 201, created.text
        first.headers["Authorization"] = f"Bearer {created.json()['token']}"
        started = await first.post(
            "/api/widget/v1/conversations", json={"body": "1", "client_id": new_client_id()}
        )
        assert started.status_code == 201, started.text
        path = f"/api/widget/v1/conversations/{started.json()['conversation']['id']}/messages"
        async with httpx.AsyncClient(base_url=nodes[1], headers=first.headers) as second:
            statuses = []
            # Alternating nodes: each alone would allow MESSAGES_PER_MINUTE.
            for n in range(2, MESSAGES_PER_MINUTE + 2):
                client = second if n % 2 == 0 else first
                sent = await client.post(path, json={"body": str(n), "client_id": new_client_id()})
                statuses.append(sent.status_code)
            assert statuses == [201] * (MESSAGES_PER_MINUTE - 1) + [429]
            refused = await first.post(path, json={"body": "x", "client_id": new_client_id()})
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
