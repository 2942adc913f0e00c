"""How fast a campaign goes out, and that a send killed with SIGKILL mid-way and run again
reaches every customer exactly once.

    nice -n 10 .venv/bin/python benchmarks/campaigns/send_rate.py --contacts 100000
    nice -n 10 .venv/bin/python benchmarks/campaigns/send_rate.py --contacts 20000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/sangdam_bench_campaigns --kill-after 5

A fresh database (a new SQLite file, or the PostgreSQL database named, dropped and made
again) gets one workspace with ``--contacts`` customers: 90 % on the premium plan (the
segment), 1 % of those in a live chat. The campaign's send job is then run as the worker
runs it (``campaigns.tasks.run_batch`` until done). With ``--kill-after`` a child process
runs the job and is killed with SIGKILL after that many seconds; this process then runs
the job again to the end. Either way the script checks, in SQL, that every customer of
the segment has exactly one ``campaign_sends`` row, every "sent" one exactly one
conversation with one message, and that nobody got two.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, insert, select

from sangdam import domains
from sangdam.accounts.service import create_user
from sangdam.campaigns import service
from sangdam.campaigns.models import CampaignSend
from sangdam.campaigns.schemas import CampaignIn
from sangdam.campaigns.tasks import run_batch
from sangdam.config import Settings
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.db import Database, utcnow
from sangdam.messages.models import Message
from sangdam.migrations import upgrade_async
from sangdam.segments import service as segments
from sangdam.segments.schemas import SegmentFilter, SegmentIn
from sangdam.workspaces.models import Agent
from sangdam.workspaces.service import create_workspace


async def fresh_postgres(url: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def seed(db: Database, contacts: int) -> tuple[int, int, int]:
    """(workspace id, campaign id, customers in the segment)."""
    async with db.transaction() as session:
        user = await create_user(
            session, email="bench@example.com", name="Bench", password="quiet-harbour-lantern-7391"
        )
        workspace, inbox = await create_workspace(session, name="Bench", owner=user)
        await session.flush()
        agent = (
            await session.execute(select(Agent).where(Agent.workspace_id == workspace.id))
        ).scalar_one()
        workspace_id, inbox_id, agent_id = workspace.id, inbox.id, agent.id
    now = utcnow()
    for start in range(0, contacts, 5000):
        rows = [
            {
                "workspace_id": workspace_id,
                "name": f"customer {n}",
                "attributes": {"plan": "free" if n % 10 == 9 else "premium"},
                "signed_keys": [],
                "visits": 1,
                "first_seen_at": now,
                "last_seen_at": now,
                "created_at": now,
            }
            for n in range(start, min(contacts, start + 5000))
        ]
        async with db.transaction() as session:
            await session.execute(insert(Contact), rows)
    async with db.transaction() as session:
        ids = list(
            (
                await session.execute(
                    select(Contact.id)
                    .where(Contact.workspace_id == workspace_id)
                    .order_by(Contact.id)
                )
            ).scalars()
        )
        live = [contact_id for n, contact_id in enumerate(ids) if n % 100 == 0]
        await session.execute(
            insert(Conversation),
            [
                {
                    "workspace_id": workspace_id,
                    "inbox_id": inbox_id,
                    "contact_id": c,
                    "status": "open",
                }
                for c in live
            ],
        )
        segment = await segments.create_segment(
            session,
            workspace_id,
            SegmentIn(
                name="premium",
                filter=SegmentFilter.model_validate(
                    {
                        "conditions": [
                            {"type": "attribute", "key": "plan", "op": "=", "value": "premium"}
                        ]
                    }
                ),
            ),
        )
        campaign = await service.create_campaign(
            session,
            workspace_id,
            CampaignIn(
                name="bench",
                segment_id=segment.id,
                sender_type="agent",
                sender_agent_id=agent_id,
                body="결제 오류가 있었습니다. 도와드릴까요?",
            ),
        )
        await service.send_campaign(session, workspace_id, campaign.id)
        campaign_id = campaign.id
    in_segment = sum(1 for n in range(contacts) if n % 10 != 9)
    return workspace_id, campaign_id, in_segment


async def run_to_end(db: Database, workspace_id: int, campaign_id: int) -> None:
    while await run_batch(db, workspace_id, campaign_id, service.BATCH_SIZE):
        pass


async def verify(
    db: Database, workspace_id: int, campaign_id: int, in_segment: int
) -> dict[str, int]:
    async with db.read() as session:
        sends = dict(
            (
                await session.execute(
                    select(CampaignSend.status, func.count())
                    .where(CampaignSend.campaign_id == campaign_id)
                    .group_by(CampaignSend.status)
                )
            ).all()
        )
        campaign_conversations = (
            select(Conversation.id, Conversation.contact_id)
            .where(Conversation.workspace_id == workspace_id, Conversation.status == "snoozed")
            .subquery()
        )
        conversations = (
            await session.execute(select(func.count()).select_from(campaign_conversations))
        ).scalar_one()
        people = (
            await session.execute(
                select(func.count(func.distinct(campaign_conversations.c.contact_id)))
            )
        ).scalar_one()
        messages = (
            await session.execute(
                select(func.count())
                .select_from(Message)
                .where(Message.conversation_id.in_(select(campaign_conversations.c.id)))
            )
        ).scalar_one()
    assert sum(sends.values()) == in_segment, (sends, in_segment)
    assert sends.get("pending", 0) == 0, sends
    assert conversations == people == messages == sends["sent"], (
        conversations,
        people,
        messages,
        sends,
    )
    return {"recipients": sum(sends.values()), **sends}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--kill-after", type=float)
    parser.add_argument("--child", nargs=2, type=int, metavar=("WORKSPACE", "CAMPAIGN"))
    args = parser.parse_args()
    domains.install()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    settings = Settings(database_url=url, redis_url=None)
    if args.child:
        db = Database(settings)
        await run_to_end(db, *args.child)
        return
    if url.startswith("postgresql"):
        await fresh_postgres(url)
    await upgrade_async(settings)
    db = Database(settings)
    started = time.perf_counter()
    workspace_id, campaign_id, in_segment = await seed(db, args.contacts)
    print(
        f"seeded {args.contacts} customers in {time.perf_counter() - started:.1f} s ({db.dialect})"
    )
    started = time.perf_counter()
    if args.kill_after:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--database-url",
            url,
            "--child",
            str(workspace_id),
            str(campaign_id),
        )
        await asyncio.sleep(args.kill_after)
        os.kill(child.pid, signal.SIGKILL)
        await child.wait()
        async with db.read() as session:
            done = (
                await session.execute(
                    select(func.count())
                    .select_from(CampaignSend)
                    .where(
                        CampaignSend.campaign_id == campaign_id, CampaignSend.status != "pending"
                    )
                )
            ).scalar_one()
        print(
            f"killed the sending process (SIGKILL) after {args.kill_after} s: {done} customers done"
        )
    await run_to_end(db, workspace_id, campaign_id)
    elapsed = time.perf_counter() - started
    counts = await verify(db, workspace_id, campaign_id, in_segment)
    print(
        f"{counts['recipients']} customers in {elapsed:.1f} s: {counts['recipients'] / elapsed:.0f} per second; {counts}"
    )
    print(
        "exactly once: every customer of the segment has one row; each sent one has one conversation"
    )


if __name__ == "__main__":
    asyncio.run(main())
