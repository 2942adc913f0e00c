"""Routing decisions at scale: 200 present agents, 10,000 waiting conversations.

Builds a throwaway workspace (SQLite file by default, or --database-url
postgresql://...), fills one auto-assigning team's queue, then lets
`routing.service.assign_waiting` drain it the way production does: one team lock,
the least-loaded present member under its cap, round-robin on ties, one
assignment event per decision. Agents are freed (conversations resolved) between
rounds so the whole queue is eventually assigned.

Reports decision latency (per assignment, inside the locked transaction), rounds,
assignments/s and the time of one full sweep. Prints one JSON object.

    .venv/bin/python benchmarks/routing/assign.py
    .venv/bin/python benchmarks/routing/assign.py --database-url postgresql://postgres@127.0.0.1/sangdam_routing_bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select, update

from sangdam.accounts.models import User
from sangdam.config import Settings
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.db import Database, utcnow
from sangdam.migrations import upgrade_async
from sangdam.routing.models import Team
from sangdam.routing.service import assign_waiting
from sangdam.routing.tasks import sweep_all
from sangdam.workspaces.models import Agent, Workspace


async def _fresh_postgres(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def build(db: Database, agents: int, conversations: int, cap: int) -> tuple[int, int]:
    now = utcnow()
    async with db.transaction() as session:
        workspace = Workspace(
            name="Routing benchmark", identity_secret="x" * 64, slug="routing-bench"
        )
        session.add(workspace)
        await session.flush()
        team = Team(workspace_id=workspace.id, name="Everyone", everyone=True, auto_assign=True)
        session.add(team)
        from sangdam.inboxes.models import Inbox

        inbox = Inbox(workspace_id=workspace.id, name="Web", public_key="sdk_bench", config={})
        session.add(inbox)
        await session.flush()
        users = [
            {
                "email": f"agent{n}@bench.local",
                "name": f"Agent {n}",
                "password_hash": "-",
                "locale": "ko",
                "auth_version": 1,
                "created_at": now,
            }
            for n in range(agents)
        ]
        await session.execute(insert(User), users)
        user_ids = (await session.execute(select(User.id).order_by(User.id))).scalars().all()
        await session.execute(
            insert(Agent),
            [
                {
                    "workspace_id": workspace.id,
                    "user_id": uid,
                    "role": "agent",
                    "display_name": f"Agent {n}",
                    "availability": "online",
                    "max_concurrent": cap,
                    "presence_seen_at": now,
                    "created_at": now,
                }
                for n, uid in enumerate(user_ids)
            ],
        )
        await session.execute(
            insert(Contact),
            [
                {
                    "workspace_id": workspace.id,
                    "visits": 1,
                    "attributes": {},
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "created_at": now,
                }
                for _ in range(conversations)
            ],
        )
        contact_ids = (
            (await session.execute(select(Contact.id).order_by(Contact.id))).scalars().all()
        )
        await session.execute(
            insert(Conversation),
            [
                {
                    "workspace_id": workspace.id,
                    "inbox_id": inbox.id,
                    "contact_id": cid,
                    "status": "open",
                    "last_seq": 1,
                    "version": 1,
                    "contact_last_seen_seq": 1,
                    "agent_last_seen_seq": 0,
                    "last_message_preview": "help",
                    "origin": {},
                    "bot_state": {},
                    "team_id": team.id,
                    "priority": 1 if n % 50 == 0 else 0,
                    "queued_at": now,
                    "waiting_since": now,
                    "created_at": now,
                    "last_activity_at": now,
                }
                for n, cid in enumerate(contact_ids)
            ],
        )
        return workspace.id, team.id


async def run(
    database_url: str | None, agents: int, conversations: int, cap: int
) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="sangdam-routing-bench-") as directory:
        url = database_url or f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        if url.startswith("postgres"):
            await _fresh_postgres(url)
        settings = Settings(database_url=url, redis_url=None)
        await upgrade_async(settings)
        db = Database(settings)
        try:
            workspace_id, team_id = await build(db, agents, conversations, cap)
            round_seconds: list[float] = []
            per_decision_ms: list[float] = []
            assigned_total = 0
            started = time.perf_counter()
            while True:
                # Everyone's inbox stays connected through the run.
                async with db.transaction() as session:
                    await session.execute(
                        update(Agent)
                        .where(Agent.workspace_id == workspace_id)
                        .values(presence_seen_at=utcnow())
                    )
                t0 = time.perf_counter()
                async with db.transaction() as session:
                    assigned = await assign_waiting(session, workspace_id, team_id)
                elapsed = time.perf_counter() - t0
                if assigned == 0:
                    break
                round_seconds.append(elapsed)
                per_decision_ms.append(elapsed * 1000 / assigned)
                assigned_total += assigned
                # Everyone finishes their chats: seats free up for the next round.
                async with db.transaction() as session:
                    await session.execute(
                        update(Conversation)
                        .where(
                            Conversation.workspace_id == workspace_id,
                            Conversation.status == "open",
                            Conversation.assignee_id.is_not(None),
                        )
                        .values(status=Status.RESOLVED.value)
                    )
            total = time.perf_counter() - started
            async with db.read() as session:
                remaining = (
                    await session.execute(
                        select(func.count())
                        .select_from(Conversation)
                        .where(
                            Conversation.workspace_id == workspace_id, Conversation.status == "open"
                        )
                    )
                ).scalar_one()
            t0 = time.perf_counter()
            await sweep_all(db)
            idle_sweep_ms = (time.perf_counter() - t0) * 1000
        finally:
            await db.dispose()
    return {
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "agents": agents,
        "queued": conversations,
        "cap": cap,
        "assigned": assigned_total,
        "left_in_queue": remaining,
        "rounds": len(round_seconds),
        "decision_ms_mean": round(statistics.mean(per_decision_ms), 3),
        "decision_ms_p95": round(
            sorted(per_decision_ms)[int(0.95 * (len(per_decision_ms) - 1))], 3
        ),
        "round_ms_mean": round(statistics.mean(round_seconds) * 1000, 1),
        "assignments_per_s": round(assigned_total / sum(round_seconds), 1),
        "wall_s_including_resolves": round(total, 1),
        "empty_sweep_ms": round(idle_sweep_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a throwaway SQLite file")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--cap", type=int, default=3)
    args = parser.parse_args()
    print(
        json.dumps(asyncio.run(run(args.database_url, args.agents, args.conversations, args.cap)))
    )


if __name__ == "__main__":
    main()
