"""Automatic assignment under caps and presence, the queue, claims, requeues and transfers."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import func, select, update

from sangdam.accounts.service import create_user
from sangdam.conversations.models import Conversation
from sangdam.routing.models import AssignmentEvent
from sangdam.routing.tasks import sweep_all
from sangdam.workspaces.models import Agent
from sangdam.workspaces.service import add_agent
from tests.fixtures.factories import PASSWORD, AgentLogin, World, new_client_id


async def _third_agent(world: World) -> Agent:
    async with world.server.db.transaction() as session:
        user = await create_user(
            session,
            email=f"third-{new_client_id()}@example.com",
            name="세번째 상담사",
            password=PASSWORD,
        )
        agent = await add_agent(session, world.workspace.id, user)
    world.emails[agent.id] = user.email
    return agent


async def _auto_team(login: AgentLogin, world: World, **changes: Any) -> dict[str, Any]:
    teams = (await login.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    body = {
        "name": general["name"],
        "auto_assign": True,
        "no_answer_minutes": 5,
        "member_ids": [],
        **changes,
    }
    response = await login.client.put(
        f"{world.base}/teams/{general['id']}", json=body, headers=login.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _online(login: AgentLogin, world: World, cap: int) -> None:
    response = await login.client.put(
        f"{world.base}/me/availability",
        json={"availability": "online", "max_concurrent": cap},
        headers=login.headers(),
    )
    assert response.status_code == 200, response.text


async def _state(world: World) -> list[tuple[int, int | None]]:
    async with world.server.db.read() as session:
        stmt = (
            select(Conversation.id, Conversation.assignee_id)
            .where(Conversation.workspace_id == world.workspace.id)
            .order_by(Conversation.id)
        )
        return [(c, a) for c, a in (await session.execute(stmt)).all()]


async def test_ten_handoffs_three_agents_cap_two(world: World) -> None:
    owner = await world.login()
    third = await _third_agent(world)
    logins = [owner, await world.login(world.agent), await world.login(third)]
    await _auto_team(owner, world)
    for login in logins:
        await _online(login, world, cap=2)

    visitors = [await world.visitor() for _ in range(10)]
    started = await asyncio.gather(*(v.start(f"문의 {n}") for n, v in enumerate(visitors)))
    ids = sorted(s["conversation"]["id"] for s in started)

    state = dict(await _state(world))
    assigned = [c for c in ids if state[c] is not None]
    waiting = [c for c in ids if state[c] is None]
    assert len(assigned) == 6 and len(waiting) == 4
    loads: dict[int, int] = {}
    for c in assigned:
        loads[state[c]] = loads.get(state[c], 0) + 1  # type: ignore[index]
    assert sorted(loads.values()) == [2, 2, 2]
    # Every assignment says why, with the candidates and their loads.
    history = (
        await owner.client.get(f"{world.base}/conversations/{assigned[0]}/assignments")
    ).json()
    assert history[0]["kind"] == "assigned" and "least-loaded" in history[0]["reason"]
    # ... and says it in a form the inbox translates: the key and its values.
    assert history[0]["detail"]["key"] == "least_loaded"
    assert set(history[0]["detail"]["params"]) == {"team", "load", "cap"}
    assert {c["agent_id"] for c in history[0]["candidates"]} == {login.agent_id for login in logins}

    # The customers waiting see their place in line (first come, first served).
    async with world.server.db.read() as session:
        queued = (
            (
                await session.execute(
                    select(Conversation.id)
                    .where(Conversation.id.in_(waiting))
                    .order_by(Conversation.queued_at, Conversation.id)
                )
            )
            .scalars()
            .all()
        )
    for position, conversation_id in enumerate(queued, start=1):
        visitor = next(
            v
            for v, s in zip(visitors, started, strict=True)
            if s["conversation"]["id"] == conversation_id
        )
        session_view = (await visitor.client.post("/api/widget/v1/session", json={})).json()
        mine = next(c for c in session_view["conversations"] if c["id"] == conversation_id)
        assert mine["queue_position"] == position and mine["estimated_wait_minutes"] >= 1

    # Resolving frees a seat: the queue drains in order.
    for n, conversation_id in enumerate(assigned[:4]):
        agent_login = next(login for login in logins if login.agent_id == state[conversation_id])
        resolved = await agent_login.client.post(
            f"{world.base}/conversations/{conversation_id}/status",
            json={"status": "resolved"},
            headers=agent_login.headers(),
        )
        assert resolved.status_code == 200
        now = dict(await _state(world))
        assert now[queued[n]] is not None, f"{queued[n]} should be assigned after {n + 1} resolved"
        assert all(now[c] is None for c in queued[n + 1 :])


async def test_presence_and_availability_decide_who_gets_chats(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    await _auto_team(owner, world)
    await _online(owner, world, cap=5)
    await _online(agent, world, cap=5)
    away = await agent.client.put(
        f"{world.base}/me/availability", json={"availability": "away"}, headers=agent.headers()
    )
    assert away.json()["availability"] == "away"
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hello"))["conversation"]["id"]
    assert dict(await _state(world))[conversation_id] == owner.agent_id

    # The owner goes offline: the chat goes back to the queue and to nobody (the other is away).
    await owner.client.put(
        f"{world.base}/me/availability", json={"availability": "offline"}, headers=owner.headers()
    )
    assert dict(await _state(world))[conversation_id] is None
    history = (
        await owner.client.get(f"{world.base}/conversations/{conversation_id}/assignments")
    ).json()
    assert history[-1]["kind"] == "requeued" and "offline" in history[-1]["reason"]
    assert history[-1]["detail"]["key"] == "went_offline"
    # The other agent comes back: it's theirs.
    await _online(agent, world, cap=5)
    assert dict(await _state(world))[conversation_id] == agent.agent_id

    # An agent whose inbox vanished (no heartbeat past the grace period) loses it at the next sweep.
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Agent)
            .where(Agent.id == agent.agent_id)
            .values(presence_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        )
    await sweep_all(world.server.db)
    assert dict(await _state(world))[conversation_id] is None


async def test_no_answer_timeout_reassigns_to_someone_else(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    await _auto_team(owner, world, no_answer_minutes=2)
    await _online(owner, world, cap=1)
    visitor = await world.visitor()
    conversation_id = (await visitor.start("아무도 답을 안 하네요"))["conversation"]["id"]
    assert dict(await _state(world))[conversation_id] == owner.agent_id
    await _online(agent, world, cap=1)

    three_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(assigned_at=three_minutes_ago, waiting_since=three_minutes_ago)
        )
    await sweep_all(world.server.db)
    assert dict(await _state(world))[conversation_id] == agent.agent_id
    kinds = [
        e["kind"]
        for e in (
            await owner.client.get(f"{world.base}/conversations/{conversation_id}/assignments")
        ).json()
    ]
    assert kinds == ["assigned", "requeued", "assigned"]

    # Once answered, the timeout no longer applies.
    await agent.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "답변드릴게요", "client_id": new_client_id()},
        headers=agent.headers(),
    )
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(assigned_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30))
        )
    await sweep_all(world.server.db)
    assert dict(await _state(world))[conversation_id] == agent.agent_id


async def test_claims_race_and_one_wins(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    visitor = await world.visitor()
    conversation_id = (await visitor.start("누구든 받아주세요"))["conversation"]["id"]
    responses = await asyncio.gather(
        *(
            login.client.post(
                f"{world.base}/conversations/{conversation_id}/claim", headers=login.headers()
            )
            for login in (owner, agent)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert "Someone else" in loser.json()["message"]
    async with world.server.db.read() as session:
        claims = (
            await session.execute(
                select(func.count())
                .select_from(AssignmentEvent)
                .where(AssignmentEvent.conversation_id == conversation_id)
            )
        ).scalar_one()
    assert claims == 1


async def test_transfer_to_another_team_with_a_note(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    billing = await owner.client.post(
        f"{world.base}/teams",
        json={"name": "결제팀", "auto_assign": True, "member_ids": [agent.agent_id]},
        headers=owner.headers(),
    )
    assert billing.status_code == 201
    await _online(agent, world, cap=3)
    visitor = await world.visitor()
    conversation_id = (await visitor.start("환불 건이요"))["conversation"]["id"]
    await owner.client.post(
        f"{world.base}/conversations/{conversation_id}/claim", headers=owner.headers()
    )
    moved = await owner.client.post(
        f"{world.base}/conversations/{conversation_id}/transfer",
        json={"team_id": billing.json()["id"], "note": "환불 규정 확인 부탁드려요"},
        headers=owner.headers(),
    )
    assert moved.status_code == 200 and moved.json()["assignee_id"] == agent.agent_id
    history = (
        await owner.client.get(f"{world.base}/conversations/{conversation_id}/messages")
    ).json()["messages"]
    assert history[-1]["kind"] == "note" and "환불 규정" in history[-1]["body"]
    visitor_view = await visitor.client.get(
        f"/api/widget/v1/conversations/{conversation_id}/messages"
    )
    assert "환불 규정" not in visitor_view.text
