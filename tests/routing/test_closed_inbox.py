"""An agent who closes the inbox (the last socket goes) gets no new chat at once."""

from __future__ import annotations

import asyncio

from sangdam.db import utcnow
from sangdam.routing.service import is_present
from sangdam.workspaces.models import Agent
from tests.fixtures.factories import World, agent_socket
from tests.routing.test_assignment import _auto_team, _online, _state


async def _present(world: World, agent_id: int) -> bool:
    async with world.server.db.read() as session:
        agent = await session.get(Agent, agent_id)
        assert agent is not None
        return is_present(agent, utcnow())


async def test_closing_the_last_inbox_socket_stops_new_chats(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    await _auto_team(owner, world, member_ids=[world.agent.id])
    await _online(agent, world, cap=5)
    first = await agent_socket(world, agent)
    await first.until_ready()
    second = await agent_socket(world, agent)
    await second.until_ready()
    await first.close()  # another tab is still open: still present
    visitor = await world.visitor()
    taken = (await visitor.start("첫 문의"))["conversation"]["id"]
    assert dict(await _state(world))[taken] == agent.agent_id

    await second.close()  # the browser is closed
    for _ in range(200):  # the server sees the close shortly after
        if not await _present(world, agent.agent_id):
            break
        await asyncio.sleep(0.05)
    late = await world.visitor()
    waiting = (await late.start("두 번째 문의"))["conversation"]["id"]
    assert dict(await _state(world))[waiting] is None
    assert dict(await _state(world))[taken] == agent.agent_id  # held through a reload's time
