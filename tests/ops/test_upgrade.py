"""Upgrades: a database the previous release's migrations made, with data in it, upgraded
with docs/operations.md's "upgrade" step, then served by this version; and the
expand/contract rule for migrations, checked on every migration file."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.service import hash_new_password
from sangdam.config import Settings
from sangdam.db import create_engine
from sangdam.migrations import HERE as MIGRATIONS
from sangdam.migrations import alembic_config
from sangdam.ops.service import code_heads
from sangdam.reports.models import ConversationTimes
from tests.conftest import settings_for
from tests.fixtures.operations import run_step
from tests.fixtures.server import start_server
from tests.fixtures.services import POSTGRES_URL, backends, fresh_postgres_database

# The last revision of the previous release: what a deployment upgrading now runs on.
PREVIOUS_RELEASE = "0015"
# Migrations from here on follow expand/contract (docs/operations.md, "Upgrade").
FIRST_EXPAND_CONTRACT = "0018"
PASSWORD = "amber falcon river piano"
EMAIL = "old-owner@example.com"
BODIES = ["주문한 물건이 안 왔어요", "확인해 보겠습니다", "감사합니다"]


async def _fill_previous_release(settings: Settings) -> dict[str, int]:
    """A workspace, its owner, a widget inbox and a three-message conversation, written
    with the previous release's tables (reflected, so only the columns it had)."""
    now = dt.datetime.now(dt.UTC)
    engine = create_engine(settings)
    ids: dict[str, int] = {}

    def fill(connection: Any) -> None:
        tables = MetaData()
        tables.reflect(connection)

        def insert(table: str, **values: Any) -> int:
            if "created_at" in tables.tables[table].c:
                values.setdefault("created_at", now)
            result = connection.execute(tables.tables[table].insert().values(**values))
            return int(result.inserted_primary_key[0])

        ids["workspace"] = insert(
            "workspaces",
            name="Old shop",
            identity_secret="s" * 64,
            default_locale="ko",
            timezone="Asia/Seoul",
        )
        user = insert(
            "users",
            email=EMAIL,
            name="Old owner",
            password_hash=hash_new_password(PASSWORD),
            locale="ko",
            auth_version=1,
        )
        agent = insert(
            "agents",
            workspace_id=ids["workspace"],
            user_id=user,
            role="owner",
            display_name="Old owner",
        )
        inbox = insert(
            "inboxes",
            workspace_id=ids["workspace"],
            name="Website",
            channel_type="web_widget",
            public_key="old-release-widget-key",
            config={},
        )
        contact = insert(
            "contacts",
            workspace_id=ids["workspace"],
            visits=1,
            attributes={},
            first_seen_at=now,
            last_seen_at=now,
        )
        ids["conversation"] = insert(
            "conversations",
            workspace_id=ids["workspace"],
            inbox_id=inbox,
            contact_id=contact,
            status="open",
            assignee_id=agent,
            last_seq=len(BODIES),
            version=1,
            contact_last_seen_seq=0,
            agent_last_seen_seq=0,
            last_message_preview=BODIES[-1],
            last_message_sender="contact",
            origin={},
            last_activity_at=now,
        )
        for seq, body in enumerate(BODIES, start=1):
            agent_says = seq % 2 == 0
            insert(
                "messages",
                workspace_id=ids["workspace"],
                conversation_id=ids["conversation"],
                seq=seq,
                kind="text",
                sender_type="agent" if agent_says else "contact",
                sender_id=agent if agent_says else contact,
                sender_name="Old owner" if agent_says else "Customer",
                content_hash=f"{seq:064x}",
                body=body,
                content={},
            )
        # One resolved an hour ago: the previous release kept no times for reports.
        ids["resolved"] = insert(
            "conversations",
            workspace_id=ids["workspace"],
            inbox_id=inbox,
            contact_id=contact,
            status="resolved",
            assignee_id=agent,
            last_seq=0,
            version=1,
            contact_last_seen_seq=0,
            agent_last_seen_seq=0,
            last_message_preview="",
            last_message_sender="contact",
            origin={},
            created_at=now - dt.timedelta(hours=2),
            resolved_at=now - dt.timedelta(hours=1),
            last_activity_at=now - dt.timedelta(hours=1),
        )

    try:
        async with AsyncSession(engine) as session:
            await session.run_sync(lambda sync: fill(sync.connection()))
            await session.commit()
    finally:
        await engine.dispose()
    return ids


@pytest.fixture(params=backends())
async def previous_release(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Settings, dict[str, int]]]:
    backend = request.param
    if backend == "postgres":
        assert POSTGRES_URL
        url = await fresh_postgres_database(POSTGRES_URL + "_upgrade")
        settings = Settings(database_url=url, redis_url=None)
    else:
        settings = settings_for("sqlite", tmp_path)
    # Alembic's env.py runs its own event loop: keep it off the test's.
    await asyncio.to_thread(command.upgrade, alembic_config(settings), PREVIOUS_RELEASE)
    yield settings, await _fill_previous_release(settings)


async def test_a_database_of_the_previous_release_upgrades_with_its_data(
    previous_release: tuple[Settings, dict[str, int]], tmp_path: Path
) -> None:
    settings, ids = previous_release
    env_file = tmp_path / "sangdam.env"
    env_file.write_text(f"SANGDAM_DATABASE_URL={settings.database_url}\n")
    swaps = {
        # This version is installed already (the test runs it).
        "pip install /opt/sangdam/src": "pip --version >/dev/null",
        "/etc/sangdam/sangdam.env": str(env_file),
    }
    said = run_step("upgrade", {}, swaps).stdout.splitlines()
    # Before: behind, with what `sangdam migrate` will apply; after: current.
    assert said[0].startswith(f"The database is at {PREVIOUS_RELEASE}; this version needs")
    assert FIRST_EXPAND_CONTRACT in said[0]
    assert said[-1] == f"The database is current (revision {', '.join(code_heads())})."

    # This version serves the old data: the owner signs in, reads the conversation and
    # replies after it.
    running = await start_server(settings, migrate=False)
    try:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as client:
            signed_in = await client.post(
                "/api/v1/login", json={"email": EMAIL, "password": PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            csrf = signed_in.json()["csrf_token"]
            path = (
                f"/api/v1/workspaces/{ids['workspace']}/conversations/{ids['conversation']}"
                "/messages"
            )
            page = await client.get(path)
            assert page.status_code == 200, page.text
            history = page.json()["messages"]
            assert [m["body"] for m in history] == BODIES
            assert [m["seq"] for m in history] == [1, 2, 3]
            reply = await client.post(
                path,
                json={"body": "새 버전에서 답합니다", "client_id": "after-upgrade-1"},
                headers={"X-CSRF-Token": csrf},
            )
            assert reply.status_code == 201, reply.text
            assert reply.json()["seq"] == len(BODIES) + 1
        # The upgrade left a job that measures the old resolved conversation for reports;
        # the node's job worker runs it.
        measured = None
        for _ in range(300):
            async with running.db.read() as session:
                measured = await session.get(ConversationTimes, ids["resolved"])
            if measured is not None:
                break
            await asyncio.sleep(0.1)
        assert measured is not None and measured.resolution_s == 3600
    finally:
        await running.stop()


# ---- expand/contract --------------------------------------------------------------------

# What an upgrade() may not do while the previous version still serves: take away or
# rename something it reads, or require a value it does not write.
_CONTRACTING = {"drop_column", "drop_table", "rename_table", "drop_constraint"}


def contracting_steps(source: str) -> list[str]:
    """The calls in a migration's ``upgrade()`` that the previous version would trip on."""
    tree = ast.parse(source)
    upgrade = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
    )
    found = []
    for node in ast.walk(upgrade):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        if name in _CONTRACTING:
            found.append(name)
        elif name == "alter_column" and (
            "new_column_name" in keywords
            or (
                isinstance(keywords.get("nullable"), ast.Constant)
                and keywords["nullable"].value is False  # type: ignore[attr-defined]
            )
        ):
            found.append("alter_column")
    return found


def _declares_contract(source: str) -> bool:
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "contract" for target in node.targets
        ):
            return isinstance(node.value, ast.Constant) and node.value.value is True
    return False


def test_migrations_only_expand_unless_they_say_they_contract() -> None:
    checked = 0
    for path in sorted((MIGRATIONS / "versions").glob("[0-9]*.py")):
        if path.name[:4] < FIRST_EXPAND_CONTRACT:
            continue
        source = path.read_text(encoding="utf-8")
        steps = contracting_steps(source)
        assert not steps or _declares_contract(source), (
            f"{path.name} {', '.join(steps)} in upgrade(): the previous version, still "
            "serving during a rolling upgrade, would fail. Expand now, contract in a later "
            "release (contract = True), as docs/operations.md says."
        )
        checked += 1
    assert checked >= 1


def test_the_expand_contract_check_sees_a_dropped_or_tightened_column() -> None:
    source = (
        "def upgrade():\n"
        "    with op.batch_alter_table('messages') as batch:\n"
        "        batch.drop_column('content')\n"
        "        batch.alter_column('body', nullable=False)\n"
        "    op.add_column('users', sa.Column('x', sa.Integer(), nullable=True))\n"
    )
    assert contracting_steps(source) == ["drop_column", "alter_column"]
    assert not _declares_contract(source)
    assert _declares_contract("contract = True\n" + source)
