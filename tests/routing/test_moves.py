"""When a chat moves, the customer is told; an agent whose inbox closed gets no new chats."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from sangdam.conversations.models import Conversation
from sangdam.routing import service as routing
from sangdam.routing.tasks import sweep_all
from sangdam.workspaces.models import Agent
from sangdam.workspaces.repository import AgentRepository
from tests.fixtures.factories import Visitor, World
from tests.routing.test_assignment import _auto_team, _online, _state


async def _customer_sees(visitor: Visitor, conversation_id: int) -> list[dict[str, Any]]:
    response = await visitor.client.get(f"/api/widget/v1/conversations/{conversation_id}/messages")
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def _moves(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if (m.get("content") or {}).get("activity") == "moved"]


async def test_the_customer_is_told_when_the_chat_moves(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    await _auto_team(owner, world, no_answer_minutes=2)
    await _online(owner, world, cap=1)
    visitor = await world.visitor()
    conversation_id = (await visitor.start("아무도 답을 안 하네요"))["conversation"]["id"]
    assert dict(await _state(world))[conversation_id] == owner.agent_id
    assert _moves(await _customer_sees(visitor, conversation_id)) == []
    await _online(agent, world, cap=1)

    # Nobody answered in time: it goes to the other agent, and the customer sees it move.
    three_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(assigned_at=three_minutes_ago, waiting_since=three_minutes_ago)
        )
    await sweep_all(world.server.db)
    assert dict(await _state(world))[conversation_id] == agent.agent_id
    (moved,) = _moves(await _customer_sees(visitor, conversation_id))
    assert moved["kind"] == "activity" and moved["sender_type"] == "system"

    # A transfer to a colleague moves it too; the internal note stays internal.
    transferred = await agent.client.post(
        f"{world.base}/conversations/{conversation_id}/transfer",
        json={"agent_id": owner.agent_id, "note": "VIP 고객입니다"},
        headers=agent.headers(),
    )
    assert transferred.status_code == 200, transferred.text
    seen = await _customer_sees(visitor, conversation_id)
    assert len(_moves(seen)) == 2 and not any("VIP" in m["body"] for m in seen)


async def test_an_agent_whose_inbox_closed_gets_no_new_chats(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    await _auto_team(owner, world)
    await _online(owner, world, cap=1)
    await _online(agent, world, cap=5)
    first = await world.visitor()
    held = (await first.start("첫 번째 문의"))["conversation"]["id"]
    second = await world.visitor()
    also_held = (await second.start("두 번째 문의"))["conversation"]["id"]
    assert {dict(await _state(world))[c] for c in (held, also_held)} == {
        owner.agent_id,
        agent.agent_id,
    }
    mine = held if dict(await _state(world))[held] == agent.agent_id else also_held

    # The agent's last socket closed (browser closed): well inside the heartbeat's grace.
    async with world.server.db.transaction() as session:
        gone = await AgentRepository(session, world.workspace.id).get(agent.agent_id)
        await routing.agent_disconnected(session, gone)
    third = await world.visitor()
    waiting = (await third.start("세 번째 문의"))["conversation"]["id"]
    assert dict(await _state(world))[waiting] is None  # not theirs (and the owner is full)
    # The chat they hold is still theirs for a reload's time...
    await sweep_all(world.server.db)
    assert dict(await _state(world))[mine] == agent.agent_id

    # ...and a socket that comes back makes them present: the waiting chat is theirs.
    async with world.server.db.transaction() as session:
        back = await AgentRepository(session, world.workspace.id).get(agent.agent_id)
        await routing.touch_presence(session, back)
    assert dict(await _state(world))[waiting] == agent.agent_id

    # Gone again and not back within the reconnect grace: their chats go back to the queue.
    async with world.server.db.transaction() as session:
        gone = await AgentRepository(session, world.workspace.id).get(agent.agent_id)
        await routing.agent_disconnected(session, gone)
        await session.execute(
            update(Agent)
            .where(Agent.id == agent.agent_id)
            .values(
                presence_seen_at=dt.datetime.now(dt.UTC)
                - routing.PRESENCE_GRACE
                - routing.RECONNECT_GRACE
                - dt.timedelta(seconds=1)
            )
        )
    await sweep_all(world.server.db)
    assert dict(await _state(world))[mine] is None
    assert dict(await _state(world))[waiting] is None
