"""A customer's message on the chat short path, in-process: CPU time and Python calls.

Stores messages through ``Database.write`` (group commit) and
``widget.service.append_live_message``, exactly as the widget socket does, on a fresh
SQLite file, 32 in flight over 32 assigned conversations. No network and no client in
the process, so the CPU time is the server's own; the Python call count (cProfile, last
round) is deterministic, which makes a before/after comparison of one change reliable on
a noisy machine. Runs against whichever ``sangdam`` is first on PYTHONPATH:

    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python benchmarks/realtime/short_path.py
    .venv/bin/python benchmarks/realtime/short_path.py --messages 3000 --rounds 8
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from sangdam.accounts.service import create_user
from sangdam.config import Settings
from sangdam.contacts.schemas import PageContext
from sangdam.contacts.service import create_visitor
from sangdam.conversations.service import assign
from sangdam.db import Database
from sangdam.migrations import upgrade_async
from sangdam.widget.service import append_live_message, receive_message
from sangdam.workspaces.models import Agent
from sangdam.workspaces.service import create_workspace

try:  # revisions before domain reactions had no table to install
    from sangdam import domains

    domains.install()
except ImportError:
    pass

CONVERSATIONS = 32


async def run(messages: int, rounds: int) -> dict[str, object]:
    directory = Path(tempfile.mkdtemp(prefix="sangdam-short-path-"))
    settings = Settings(database_url=f"sqlite:///{directory / 'bench.sqlite3'}", redis_url=None)
    await upgrade_async(settings)
    db = Database(settings)
    async with db.transaction() as session:
        user = await create_user(
            session, email="bench@example.com", name="Bench", password="correct-horse-battery"
        )
        workspace, inbox = await create_workspace(session, name="Bench", owner=user)
        await session.flush()
        agent = (
            await session.execute(select(Agent).where(Agent.workspace_id == workspace.id))
        ).scalar_one()
        chats = []
        for _ in range(CONVERSATIONS):
            _token, contact = await create_visitor(session, inbox, PageContext(), None)
            conversation, _message, _created = await receive_message(
                session,
                inbox_id=inbox.id,
                contact=contact,
                conversation_id=None,
                body="hello",
                client_id=secrets.token_hex(8),
                button=None,
                context=PageContext(),
                max_chars=4000,
                base_url="http://127.0.0.1",
            )
            await assign(session, workspace.id, conversation.id, agent.id)
            chats.append((contact, conversation.id))

    in_flight = asyncio.Semaphore(32)

    async def send(i: int) -> None:
        contact, conversation_id = chats[i % CONVERSATIONS]
        client_id = secrets.token_hex(8)
        async with in_flight:
            stored = await db.write(
                lambda s: append_live_message(
                    s,
                    contact,
                    conversation_id,
                    body=f"message {i}",
                    client_id=client_id,
                    max_chars=4000,
                )
            )
        assert stored is not None, "the short path refused a plain message"

    cpu_us: list[float] = []
    profile = cProfile.Profile()
    for round_ in range(rounds):
        last = round_ == rounds - 1
        if last:
            profile.enable()
        started = time.process_time()
        await asyncio.gather(*(send(i) for i in range(messages)))
        cpu_us.append((time.process_time() - started) / messages * 1e6)
        if last:
            profile.disable()
    await db.dispose()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return {
        "messages_per_round": messages,
        # The last round runs under the profiler: its CPU time is not comparable.
        "cpu_us_per_message": [round(x) for x in cpu_us[:-1]],
        "cpu_us_per_message_min": round(min(cpu_us[:-1])),
        "python_calls_per_message": round(calls / messages, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.messages, max(2, args.rounds)))))


if __name__ == "__main__":
    main()
