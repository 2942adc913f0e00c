from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from sangdam.jobs.service import run_one
from tests.fixtures.factories import AgentLogin, World
from tests.fixtures.jobs import driving_jobs


class Jobs:
    """Runs due jobs on demand, so a test decides when outgoing calls happen."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def run_due(self) -> None:
        while await run_one(self.world.server.db):
            pass


@pytest.fixture
async def jobs(world: World) -> AsyncIterator[Jobs]:
    async with driving_jobs(world.server):
        try:
            yield Jobs(world)
        finally:
            world.server.settings.outbound.allow_private = False


async def make_rule(login: AgentLogin, world: World, **rule: Any) -> dict[str, Any]:
    body = {"name": "rule", **rule}
    response = await login.client.post(
        f"{world.base}/automation/rules", json=body, headers=login.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def make_tag(login: AgentLogin, world: World, name: str) -> int:
    response = await login.client.post(
        f"{world.base}/tags", json={"name": name}, headers=login.headers()
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def conversation(login: AgentLogin, world: World, conversation_id: int) -> dict[str, Any]:
    response = await login.client.get(f"{world.base}/conversations/{conversation_id}")
    return response.json()  # type: ignore[no-any-return]


async def messages(login: AgentLogin, world: World, conversation_id: int) -> list[dict[str, Any]]:
    response = await login.client.get(f"{world.base}/conversations/{conversation_id}/messages")
    return response.json()["messages"]  # type: ignore[no-any-return]
