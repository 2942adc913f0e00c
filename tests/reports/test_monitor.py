"""The live monitor against hand-computed numbers.

Moments are fixed (T0 = 1 Jan 2026 00:00 UTC, whole seconds) and every wait is checked
against the ``at`` the monitor reports, so the numbers are exact whenever the test runs.

  Q1  General, in the queue since T0           waiting since T0
  Q2  General, in the queue since T0 + 10 min  waiting since T0 + 10 min
  Q3  결제팀, in the queue since T0 + 20 min   waiting since T0 + 20 min
  A1  with the owner                          waiting since T0 + 5 min
  B1  with the bot (helped today, never handed over: resolved by the bot)
  R1, R2, R3  resolved, rated 5 and 2 today, and 4 two days ago
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update

from sangdam.bot.models import BotEvent
from sangdam.conversations.models import Conversation
from sangdam.csat.models import Rating
from sangdam.db import utcnow
from sangdam.workspaces.models import Agent
from tests.fixtures.factories import World

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def after(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


async def _set(world: World, conversation_id: int, **values: Any) -> None:
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(**values)
        )


async def test_monitor_counts_the_queue_agents_chats_and_todays_ratings(world: World) -> None:
    owner = await world.login()
    teams = (await owner.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    billing = await owner.client.post(
        f"{world.base}/teams", json={"name": "결제팀", "member_ids": []}, headers=owner.headers()
    )
    assert billing.status_code == 201, billing.text
    billing_id = billing.json()["id"]

    ids: dict[str, int] = {}
    visitors: dict[str, Any] = {}
    for name in ("Q1", "Q2", "Q3", "A1", "B1", "R1", "R2", "R3"):
        visitors[name] = await world.visitor()
        ids[name] = int((await visitors[name].start(f"{name} 문의"))["conversation"]["id"])
    # Resolved and rated through the API, as customers do.
    for name, score in (("R1", 5), ("R2", 2), ("R3", 4)):
        resolved = await owner.client.post(
            f"{world.base}/conversations/{ids[name]}/status",
            json={"status": "resolved"},
            headers=owner.headers(),
        )
        assert resolved.status_code == 200, resolved.text
        rated = await visitors[name].client.post(
            f"/api/widget/v1/conversations/{ids[name]}/rating", json={"score": score}
        )
        assert rated.status_code == 201, rated.text
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Rating)
            .where(Rating.conversation_id == ids["R3"])
            .values(created_at=utcnow() - dt.timedelta(days=2))
        )
    queue = {"status": "open", "assignee_id": None}
    await _set(world, ids["Q1"], **queue, team_id=general["id"], queued_at=T0, waiting_since=T0)
    await _set(
        world,
        ids["Q2"],
        **queue,
        team_id=general["id"],
        queued_at=after(10),
        waiting_since=after(10),
    )
    await _set(
        world, ids["Q3"], **queue, team_id=billing_id, queued_at=after(20), waiting_since=after(20)
    )
    await _set(
        world,
        ids["A1"],
        status="open",
        assignee_id=world.owner.id,
        team_id=general["id"],
        queued_at=None,
        waiting_since=after(5),
    )
    await _set(world, ids["B1"], status="bot", assignee_id=None, queued_at=None, waiting_since=None)
    async with world.server.db.transaction() as session:
        session.add(
            BotEvent(
                workspace_id=world.workspace.id,
                conversation_id=ids["B1"],
                kind="helpful",
                created_at=utcnow(),
            )
        )
        await session.execute(
            update(Agent).where(Agent.id == world.agent.id).values(availability="away")
        )
        await session.execute(
            update(Agent)
            .where(Agent.id == world.owner.id)
            .values(availability="online", presence_seen_at=utcnow(), max_concurrent=4)
        )

    response = await owner.client.get(f"{world.base}/monitor")
    assert response.status_code == 200, response.text
    monitor = response.json()
    at = dt.datetime.fromisoformat(monitor["at"])

    def waited(since: dt.datetime) -> float:
        return (at - since).total_seconds()

    by_team = {row["team"]: row for row in monitor["waiting"]}
    assert set(by_team) == {general["name"], "결제팀"}
    assert by_team[general["name"]]["waiting"] == 2
    assert by_team[general["name"]]["longest_wait_s"] == pytest.approx(waited(T0))
    assert by_team[general["name"]]["average_wait_s"] == pytest.approx(waited(after(5)))
    assert by_team["결제팀"]["waiting"] == 1
    assert by_team["결제팀"]["longest_wait_s"] == pytest.approx(waited(after(20)))
    assert monitor["waiting_total"] == 3
    assert monitor["longest_wait_s"] == pytest.approx(waited(T0))
    # (0 + 10 + 20) / 3 minutes after T0 on average.
    assert monitor["average_wait_s"] == pytest.approx(waited(after(10)))
    assert monitor["chats"] == {"bot": 1, "queue": 3, "agents": 1}

    agents = {row["agent_id"]: row for row in monitor["agents"]}
    assert (agents[world.owner.id]["present"], agents[world.owner.id]["load"]) == (True, 1)
    assert agents[world.owner.id]["cap"] == 4
    assert (agents[world.agent.id]["availability"], agents[world.agent.id]["present"]) == (
        "away",
        False,
    )
    assert (monitor["agents_online"], monitor["agents_away"]) == (1, 1)

    # Today's ratings only (the one two days ago is not today's), and the bot's resolution.
    today = monitor["csat_today"]
    assert (today["ratings"], today["satisfied"], today["csat"], today["average"]) == (
        2,
        1,
        50.0,
        3.5,
    )
    assert monitor["bot_resolved_today"] == 1

    # The busy view: who waits for a reply, longest first.
    assert [row["conversation_id"] for row in monitor["unanswered"]] == [
        ids["Q1"],
        ids["A1"],
        ids["Q2"],
        ids["Q3"],
    ]
    assert monitor["unanswered"][1]["waiting_s"] == pytest.approx(waited(after(5)))
