"""Report queries at scale on PostgreSQL: a year of conversations in one workspace.

Fills a throwaway database with SQL (generate_series): N conversations spread evenly over
365 days, the newest 300 still open (100 in the queue, 100 with agents, 100 with the bot), the
others resolved with their `conversation_times` row (as resolving writes it), a tag on one in
five, a rating on one in four, bot events on one in three; 50 agents in 5 teams. Then times
each report's service function for the last 30 days (--days) (in-process, no HTTP: the queries and
the Python around them), best and median of 5 runs. Prints one JSON object.

    .venv/bin/python benchmarks/reports/report_queries.py --conversations 1000000 \
        --database-url postgresql://postgres@127.0.0.1:5432/sangdam_reports_bench
    .venv/bin/python benchmarks/reports/report_queries.py --conversations 200000 \
        --database-url sqlite:////tmp/sangdam_reports_bench.sqlite3
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from sangdam.config import Settings
from sangdam.db import Database
from sangdam.migrations import upgrade_async
from sangdam.reports import service

DAY = 86400

FILL = """
INSERT INTO users (id, email, name, password_hash, locale, auth_version, created_at)
  SELECT g, 'a' || g || '@bench.test', 'Agent ' || g, 'x', 'ko', 1, now() FROM generate_series(1, 50) g;
INSERT INTO workspaces (id, name, identity_secret, default_locale, timezone, created_at)
  VALUES (1, 'bench', 'x', 'ko', 'Asia/Seoul', now());
INSERT INTO agents (id, workspace_id, user_id, role, display_name, created_at)
  SELECT g, 1, g, CASE WHEN g = 1 THEN 'owner' ELSE 'agent' END, '상담사 ' || g, now()
  FROM generate_series(1, 50) g;
INSERT INTO teams (id, workspace_id, name, everyone, auto_assign, no_answer_minutes, created_at)
  SELECT g, 1, '팀 ' || g, g = 1, false, 0, now() FROM generate_series(1, 5) g;
INSERT INTO inboxes (id, workspace_id, name, channel_type, public_key, config, created_at)
  VALUES (1, 1, 'web', 'web_widget', 'pk', '{}', now());
INSERT INTO tags (id, workspace_id, name, color, created_at)
  SELECT g, 1, '태그' || g, '#888', now() FROM generate_series(1, 20) g;
INSERT INTO contacts (id, workspace_id, visits, attributes, first_seen_at, last_seen_at, created_at)
  SELECT g, 1, 1, '{}', now(), now(), now() FROM generate_series(1, $1::int / 3 + 1) g;
INSERT INTO conversations (id, workspace_id, inbox_id, contact_id, status, last_seq, version,
    contact_last_seen_seq, agent_last_seen_seq, last_message_preview, origin, created_at,
    last_activity_at, assignee_id, team_id, category, resolved_at)
  SELECT g, 1, 1, g % ($1::int / 3) + 1, 'resolved', 10, 1, 10, 10, '문의',
    jsonb_build_object('url', 'https://shop.example.com/p' || (g % 40)),
    $2::timestamptz + (g::float8 / $1 * 365 * 86400) * interval '1 second',
    $2::timestamptz + (g::float8 / $1 * 365 * 86400 + 3600) * interval '1 second',
    g % 50 + 1, g % 5 + 1, '카테고리' || (g % 12),
    $2::timestamptz + (g::float8 / $1 * 365 * 86400 + 3600) * interval '1 second'
  FROM generate_series(1, $1::int) g;
UPDATE conversations SET status = 'open', resolved_at = NULL, assignee_id = NULL,
    queued_at = last_activity_at, waiting_since = last_activity_at WHERE id > $1::int - 100;
UPDATE conversations SET status = 'open', resolved_at = NULL, waiting_since = last_activity_at
  WHERE id > $1::int - 200 AND id <= $1::int - 100;
UPDATE conversations SET status = 'bot', resolved_at = NULL, assignee_id = NULL
  WHERE id > $1::int - 300 AND id <= $1::int - 200;
INSERT INTO conversation_times (conversation_id, workspace_id, created_at, resolved_at, agent_id,
    team_id, first_response_s, first_response_bh_s, wait_s, wait_bh_s, resolution_s,
    resolution_bh_s, replies, reply_s, reply_bh_s)
  SELECT id, 1, created_at, resolved_at, assignee_id, team_id, 60 + id % 600, 30 + id % 300,
    30 + id % 300, 10 + id % 100, 3600, 1800 + id % 900, 3, 180 + id % 500, 90 + id % 200
  FROM conversations WHERE status = 'resolved';
INSERT INTO conversation_tags (conversation_id, tag_id, workspace_id, created_at)
  SELECT id, id % 20 + 1, 1, created_at FROM conversations WHERE id % 5 = 0;
INSERT INTO ratings (workspace_id, conversation_id, contact_id, agent_id, team_id, scale, score,
    resolved_at, created_at)
  SELECT 1, id, contact_id, assignee_id, team_id, 'five', id % 5 + 1, resolved_at,
    resolved_at + interval '5 minutes'
  FROM conversations WHERE id % 4 = 0 AND status = 'resolved';
INSERT INTO bot_events (workspace_id, conversation_id, kind, data, created_at)
  SELECT 1, id, k, '{}', created_at
  FROM conversations, unnest(ARRAY['question', 'answered', 'helpful']) k WHERE id % 3 = 0;
"""


# The same rows for SQLite (no generate_series, no intervals): {n} conversations from {start}
# (seconds since 1970), timestamps in the format SQLAlchemy stores there.
FILL_SQLITE = """
CREATE TEMP TABLE g AS WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n})
  SELECT x FROM s;
INSERT INTO users (id, email, name, password_hash, locale, auth_version, created_at)
  SELECT x, 'a' || x || '@bench.test', 'Agent ' || x, 'x', 'ko', 1, {now} FROM g WHERE x <= 50;
INSERT INTO workspaces (id, name, identity_secret, default_locale, timezone, created_at,
    knowledge_version, require_member_token)
  VALUES (1, 'bench', 'x', 'ko', 'Asia/Seoul', {now}, 0, 0);
INSERT INTO agents (id, workspace_id, user_id, role, display_name, created_at, availability,
    max_concurrent)
  SELECT x, 1, x, CASE WHEN x = 1 THEN 'owner' ELSE 'agent' END, '상담사 ' || x, {now},
    'online', 3 FROM g WHERE x <= 50;
INSERT INTO teams (id, workspace_id, name, everyone, auto_assign, no_answer_minutes, created_at)
  SELECT x, 1, '팀 ' || x, x = 1, 0, 0, {now} FROM g WHERE x <= 5;
INSERT INTO inboxes (id, workspace_id, name, channel_type, public_key, config, created_at)
  VALUES (1, 1, 'web', 'web_widget', 'pk', '{{}}', {now});
INSERT INTO tags (id, workspace_id, name, color, created_at)
  SELECT x, 1, '태그' || x, '#888', {now} FROM g WHERE x <= 20;
INSERT INTO contacts (id, workspace_id, visits, attributes, first_seen_at, last_seen_at, created_at)
  SELECT x, 1, 1, '{{}}', {now}, {now}, {now} FROM g WHERE x <= {n} / 3 + 1;
INSERT INTO conversations (id, workspace_id, inbox_id, contact_id, status, last_seq, version,
    contact_last_seen_seq, agent_last_seen_seq, last_message_preview, origin, created_at,
    last_activity_at, assignee_id, team_id, category, resolved_at, bot_state, priority, tag_ids)
  SELECT x, 1, 1, x % ({n} / 3) + 1, 'resolved', 10, 1, 10, 10, '문의',
    json_object('url', 'https://shop.example.com/p' || (x % 40)),
    {stamp}({start} + x * 365 * 86400 / {n}), {stamp}({start} + x * 365 * 86400 / {n} + 3600),
    x % 50 + 1, x % 5 + 1, '카테고리' || (x % 12),
    {stamp}({start} + x * 365 * 86400 / {n} + 3600), '{{}}', 0, '[]'
  FROM g;
UPDATE conversations SET status = 'open', resolved_at = NULL, assignee_id = NULL,
    queued_at = last_activity_at, waiting_since = last_activity_at WHERE id > {n} - 100;
UPDATE conversations SET status = 'open', resolved_at = NULL, waiting_since = last_activity_at
  WHERE id > {n} - 200 AND id <= {n} - 100;
UPDATE conversations SET status = 'bot', resolved_at = NULL, assignee_id = NULL
  WHERE id > {n} - 300 AND id <= {n} - 200;
INSERT INTO conversation_times (conversation_id, workspace_id, created_at, resolved_at, agent_id,
    team_id, first_response_s, first_response_bh_s, wait_s, wait_bh_s, resolution_s,
    resolution_bh_s, replies, reply_s, reply_bh_s)
  SELECT id, 1, created_at, resolved_at, assignee_id, team_id, 60 + id % 600, 30 + id % 300,
    30 + id % 300, 10 + id % 100, 3600, 1800 + id % 900, 3, 180 + id % 500, 90 + id % 200
  FROM conversations WHERE status = 'resolved';
INSERT INTO conversation_tags (conversation_id, tag_id, workspace_id, created_at)
  SELECT id, id % 20 + 1, 1, created_at FROM conversations WHERE id % 5 = 0;
INSERT INTO ratings (workspace_id, conversation_id, contact_id, agent_id, team_id, scale, score,
    resolved_at, created_at)
  SELECT 1, id, contact_id, assignee_id, team_id, 'five', id % 5 + 1, resolved_at, resolved_at
  FROM conversations WHERE id % 4 = 0 AND status = 'resolved';
INSERT INTO bot_events (workspace_id, conversation_id, kind, data, created_at)
  SELECT 1, id, k.column1, '{{}}', created_at
  FROM conversations, (VALUES ('question'), ('answered'), ('helpful')) k WHERE id % 3 = 0;
ANALYZE;
"""


def fill_sqlite(path: str, conversations: int, start: dt.datetime) -> float:
    began = time.perf_counter()
    # strftime gives milliseconds; SQLAlchemy stores microseconds: pad to compare as text.
    stamp = "(strftime('%Y-%m-%d %H:%M:%f', {}, 'unixepoch') || '000')"
    script = FILL_SQLITE.format(
        n=conversations,
        start=int(start.timestamp()),
        now="'" + dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "'",
        stamp="STAMP",
    )
    script = re.sub(r"STAMP\(([^)]*)\)", lambda m: stamp.format(m.group(1)), script)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(script)
        connection.commit()
    finally:
        connection.close()
    return time.perf_counter() - began


async def fill(url: str, conversations: int, start: dt.datetime) -> float:
    began = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        for statement in FILL.split(";\n"):
            if statement.strip():
                args: list[Any] = []
                if "$1" in statement:
                    args.append(conversations)
                if "$2" in statement:
                    args.append(start)
                await connection.execute(statement, *args)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - began


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/sangdam_reports_bench"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--days", type=int, default=30, help="the reports' range, up to today")
    parser.add_argument(
        "--reuse", action="store_true", help="time the database a previous run filled (same day)"
    )
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url)
    filled = 0.0
    sqlite_path = args.database_url.removeprefix("sqlite:///")
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if not args.reuse and args.database_url.startswith("sqlite"):
        await asyncio.to_thread(Path(sqlite_path).unlink, missing_ok=True)
        await upgrade_async(settings)
        filled = fill_sqlite(sqlite_path, args.conversations, today - dt.timedelta(days=364))
    elif not args.reuse:
        server, name = args.database_url.rsplit("/", 1)
        admin = await asyncpg.connect(f"{server}/postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        await upgrade_async(settings)
        filled = await fill(args.database_url, args.conversations, today - dt.timedelta(days=364))

    db = Database(settings)
    results: dict[str, Any] = {}
    async with db.transaction() as session:
        last = (await service.period(session, 1, None, None)).last
        when = await service.period(session, 1, last - dt.timedelta(days=args.days - 1), last)
        reports: dict[str, Any] = {
            "volume": lambda: service.volume(session, 1, when),
            "breakdown_tag": lambda: service.breakdown(session, 1, when, "tag"),
            "breakdown_agent": lambda: service.breakdown(session, 1, when, "agent"),
            "breakdown_category": lambda: service.breakdown(session, 1, when, "category"),
            "breakdown_entry_page": lambda: service.breakdown(session, 1, when, "entry_page"),
            "bot_funnel": lambda: service.bot_funnel(session, 1, when),
            "times": lambda: service.times(session, 1, when),
            "csat_week": lambda: service.csat(session, 1, when, "week"),
            "csat_agent": lambda: service.csat(session, 1, when, "agent"),
            "agents": lambda: service.agents(session, 1, when),
            "monitor": lambda: service.monitor(session, 1),
        }
        for name_, run in reports.items():
            timings = []
            for _ in range(args.runs):
                began = time.perf_counter()
                await run()
                timings.append((time.perf_counter() - began) * 1000)
            results[name_] = {
                "best_ms": round(min(timings), 1),
                "median_ms": round(statistics.median(timings), 1),
            }
        in_range = (await service.volume(session, 1, when))["total"]
    await db.dispose()
    print(
        json.dumps(
            {
                "conversations": args.conversations,
                "days": args.days,
                "conversations_in_range": in_range,
                "fill_s": round(filled, 1),
                "reports": results,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
