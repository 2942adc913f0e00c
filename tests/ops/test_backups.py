"""Back up while customers write, then restore: docs/operations.md's backup and restore
steps as written, on SQLite (`sangdam backup` / `sangdam restore`, SQLite's online backup
API) and PostgreSQL (pg_dump / pg_restore into a fresh database)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from sangdam.config import Settings
from sangdam.ops.service import code_heads
from tests.conftest import settings_for
from tests.fixtures.factories import Visitor, make_world, new_client_id
from tests.fixtures.operations import VENV_BIN, doc_step, run_step
from tests.fixtures.server import RunningServer, start_server
from tests.fixtures.services import (
    POSTGRES_URL,
    backends,
    fresh_postgres_database,
    unavailable,
)

WRITERS = 4


@pytest.fixture(params=backends())
async def serving(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[RunningServer]:
    """A server of the test's own: a restore needs every node stopped."""
    if request.param == "postgres":
        if not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")):
            unavailable("the PostgreSQL client tools are not installed (dev.py test installs them)")
        assert POSTGRES_URL
        url = await fresh_postgres_database(POSTGRES_URL + "_backup")
        settings = Settings(database_url=url, redis_url=None)
    else:
        settings = settings_for("sqlite", tmp_path)
    # The test writes as fast as it can: the public limits would only slow it down.
    settings.rate_limits.enabled = False
    running = await start_server(settings)
    try:
        yield running
    finally:
        with contextlib.suppress(Exception):
            await running.stop()


class Writers:
    """Customers writing steadily, each message acknowledged (201) or not."""

    def __init__(self, visitors: list[Visitor]) -> None:
        self.visitors = visitors
        self.acked: list[int] = []  # message ids, in the order their 201 came
        self.stop = asyncio.Event()

    async def write(self, visitor: Visitor) -> None:
        started = await visitor.start("백업 중에도 씁니다 0")
        conversation_id = started["conversation"]["id"]
        self.acked.append(started["message"]["id"])
        n = 1
        while not self.stop.is_set():
            answer = await visitor.client.post(
                f"/api/widget/v1/conversations/{conversation_id}/messages",
                json={"body": f"백업 중에도 씁니다 {n}", "client_id": new_client_id()},
            )
            assert answer.status_code == 201, answer.text
            self.acked.append(answer.json()["id"])
            n += 1

    async def __aenter__(self) -> Writers:
        self.tasks = [asyncio.create_task(self.write(v)) for v in self.visitors]
        while len(self.acked) < 2 * len(self.visitors):
            for task in self.tasks:
                if task.done():
                    task.result()
            await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks)


def _sangdam(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "sangdam"), *args],
        env={**os.environ, "SANGDAM_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
    )


async def _bash(script: str, env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        "set -eo pipefail\n" + script,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, f"{script}\n{out.decode()}\n{err.decode()}"
    return out.decode()


def _sqlite_history(path: Path) -> tuple[set[int], dict[int, tuple[int, list[int]]]]:
    """(message ids, conversation id -> (last_seq, its messages' seqs))."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        ids = {row[0] for row in db.execute("SELECT id FROM messages")}
        conversations = {
            row[0]: (row[1], [])
            for row in db.execute("SELECT id, last_seq FROM conversations")
        }
        for conversation_id, seq in db.execute(
            "SELECT conversation_id, seq FROM messages ORDER BY conversation_id, seq"
        ):
            conversations[conversation_id][1].append(seq)
    return ids, conversations


async def _postgres_history(url: str) -> tuple[set[int], dict[int, tuple[int, list[int]]]]:
    db = await asyncpg.connect(url)
    try:
        ids = {row["id"] for row in await db.fetch("SELECT id FROM messages")}
        conversations: dict[int, tuple[int, list[int]]] = {
            row["id"]: (row["last_seq"], [])
            for row in await db.fetch("SELECT id, last_seq FROM conversations")
        }
        for row in await db.fetch(
            "SELECT conversation_id, seq FROM messages ORDER BY conversation_id, seq"
        ):
            conversations[row["conversation_id"]][1].append(row["seq"])
    finally:
        await db.close()
    return ids, conversations


def _one_moment(conversations: dict[int, tuple[int, list[int]]]) -> None:
    """A copy taken at one moment: every conversation's messages are 1..last_seq, no gap,
    nothing past what the conversation row says (a file copy mid-write can break this)."""
    for conversation_id, (last_seq, seqs) in conversations.items():
        assert seqs == list(range(1, last_seq + 1)), conversation_id


async def test_a_backup_taken_while_customers_write_restores_whole(
    serving: RunningServer, tmp_path: Path
) -> None:
    world = await make_world(serving)
    visitors = [await world.visitor() for _ in range(WRITERS)]
    settings = serving.settings
    backups = tmp_path / "backups"
    backups.mkdir()
    env_file = tmp_path / "sangdam.env"
    env_file.write_text(f"SANGDAM_DATABASE_URL={settings.database_url}\n")
    swaps = {"/etc/sangdam/sangdam.env": str(env_file), "/var/backups/sangdam/": f"{backups}/"}
    postgres = not settings.is_sqlite

    async with Writers(visitors) as writers:
        acked_before = set(writers.acked)
        said = await _bash(doc_step("backup-postgres" if postgres else "backup-sqlite", swaps), {})
        written_during = len(writers.acked) - len(acked_before)
    (backup,) = backups.iterdir()

    if postgres:
        copy_ids, copy = await _restore_postgres(backup, tmp_path, env_file)
    else:
        assert said.startswith(f"Backed up to {backup} (")
        assert f"schema {', '.join(code_heads())}" in said
        copy_ids, copy = _sqlite_history(backup)
        # `sangdam backup` never writes over a file.
        refused = _sangdam("backup", str(backup), database_url=settings.database_url)
        assert refused.returncode == 1 and "already exists" in refused.stderr

    # Everything acknowledged before the backup began is in it, and it is one moment.
    assert acked_before <= copy_ids
    _one_moment(copy)
    for visitor in visitors:
        await visitor.client.aclose()
    await serving.stop()

    if not postgres:
        # Restore over the live database (every node stopped), as the doc does.
        live = settings.sqlite_path()
        assert live is not None
        # Without --replace a database holding data is left alone.
        plain = _sangdam("restore", str(backup), database_url=settings.database_url)
        assert plain.returncode == 1 and "--replace" in plain.stderr
        said = run_step("restore-sqlite", {"BACKUP": str(backup)}, swaps).stdout.splitlines()
        assert said[0].startswith(f"Restored {live} (")
        assert said[-1].startswith("The database is current")
        restored_ids, restored = _sqlite_history(live)
        assert restored_ids == copy_ids
        assert restored == copy
    print(
        f"backup under traffic: {len(copy_ids)} messages in the copy, "
        f"{written_during} acknowledged while it ran"
    )


async def _restore_postgres(
    backup: Path, tmp_path: Path, env_file: Path
) -> tuple[set[int], dict[int, tuple[int, list[int]]]]:
    """The doc's restore into a fresh database; what that database holds."""
    assert POSTGRES_URL
    parts = urlsplit(POSTGRES_URL)
    name = parts.path.lstrip("/") + "_restored"
    admin = urlunsplit(parts._replace(path="/postgres"))
    restored_url = urlunsplit(parts._replace(path=f"/{name}"))
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await connection.close()
    said = run_step(
        "restore-postgres",
        {"ADMIN_URL": admin, "RESTORED_URL": restored_url, "BACKUP": str(backup)},
        {"sangdam_restored": name},
    ).stdout
    assert said.splitlines()[-1].startswith("The database is current")
    return await _postgres_history(restored_url)


