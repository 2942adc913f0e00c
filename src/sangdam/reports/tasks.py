"""Background work for reports: measuring conversations resolved before reports kept times.

Migration 0025 enqueues ``BACKFILL_JOB`` once on a database that has resolved
conversations; the job measures a batch in one transaction and enqueues the next while
any remain, so an upgrade never holds a long transaction and a restart resumes where it
stopped. Running a batch twice measures nothing twice: it picks only conversations that
still have no times.
"""

from __future__ import annotations

from typing import Any

from sangdam.db import Database
from sangdam.jobs.service import enqueue, handler
from sangdam.reports.repository import resolved_without_times
from sangdam.reports.service import record_times

BACKFILL_JOB = "reports.backfill_times"
BATCH = 200


@handler(BACKFILL_JOB)
async def backfill_times(db: Database, payload: dict[str, Any]) -> None:
    async with db.transaction() as session:
        conversations = await resolved_without_times(session, BATCH)
        for conversation in conversations:
            await record_times(session, conversation)
        if len(conversations) == BATCH:
            enqueue(session, BACKFILL_JOB, {}, workspace_id=None)
