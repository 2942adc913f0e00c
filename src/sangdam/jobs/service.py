"""Durable background work: enqueue inside a transaction, run after commit, retry with backoff.

A job row is written in the same transaction as the change that needs it, so it
exists exactly when the change does. Workers in every process claim due jobs one
at a time (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: the single writer) and
mark them done; a failure is retried with exponential backoff up to
``MAX_ATTEMPTS``. A worker killed mid-job leaves a lock that expires, so the job
runs again: handlers must be idempotent (see docs/adr/0004-background-work.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.db import Database, utcnow
from sangdam.jobs.models import Job, JobStatus
from sangdam.kit.metrics import JOB_ATTEMPTS

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
# 2 s, 4 s, 8 s ... capped at 10 minutes: a receiver down for minutes loses nothing.
BACKOFF_CAP_SECONDS = 600
LOCK_SECONDS = 120

Handler = Callable[[Database, dict[str, Any]], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def enqueue(
    session: AsyncSession, kind: str, payload: dict[str, Any], *, workspace_id: int | None
) -> Job:
    """Add a job to the current transaction; it runs only if the transaction commits."""
    job = Job(kind=kind, payload=payload, workspace_id=workspace_id, run_at=utcnow())
    session.add(job)
    return job


def without_secrets(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload's keys that start with ``secret_`` (a link's one-time secret that an email
    must carry) live only until the job ends; the finished row keeps the rest."""
    return {key: value for key, value in payload.items() if not key.startswith("secret_")}


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(BACKOFF_CAP_SECONDS, 2**attempts))


async def claim(db: Database) -> Job | None:
    """Take the oldest due job, or None. Commits the claim before the job runs."""
    now = utcnow()
    async with db.transaction() as session:
        stmt = (
            select(Job)
            .where(
                or_(
                    Job.status == JobStatus.PENDING.value,
                    (Job.status == JobStatus.RUNNING.value) & (Job.locked_until < now),
                ),
                Job.run_at <= now,
            )
            .order_by(Job.run_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        job = (await session.execute(stmt)).scalar()
        if job is None:
            return None
        job.status = JobStatus.RUNNING.value
        job.attempts += 1
        job.locked_until = now + dt.timedelta(seconds=LOCK_SECONDS)
        return job


async def run_one(db: Database) -> bool:
    """Run one due job if there is one. Returns whether a job ran."""
    job = await claim(db)
    if job is None:
        return False
    function = HANDLERS.get(job.kind)
    error: str | None = None
    try:
        if function is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        await function(db, job.payload)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning(
            "job %s (%s) attempt %s failed: %s",
            job.id,
            job.kind,
            job.attempts,
            error,
            extra={"job_id": job.id, "job_kind": job.kind, "workspace_id": job.workspace_id},
        )
    async with db.transaction() as session:
        row = await session.get(Job, job.id)
        assert row is not None
        row.locked_until = None
        if error is None:
            row.status = JobStatus.DONE.value
            row.done_at = utcnow()
            row.last_error = None
            row.payload = without_secrets(row.payload)
        else:
            row.last_error = error
            if row.attempts >= MAX_ATTEMPTS:
                row.status = JobStatus.FAILED.value
                row.payload = without_secrets(row.payload)
            else:
                row.status = JobStatus.PENDING.value
                row.run_at = utcnow() + backoff(row.attempts)
        outcome = {"done": "done", "failed": "failed"}.get(row.status, "retry")
    JOB_ATTEMPTS.labels(job.kind, outcome).inc()
    return True


async def run_worker(
    db: Database, idle_seconds: float, stopping: asyncio.Event | None = None
) -> None:
    """Run due jobs until ``stopping`` is set; a job under way when it is set finishes
    first (a graceful shutdown), so it is neither cut off nor run a second time."""
    stopping = stopping or asyncio.Event()
    while not stopping.is_set():
        try:
            while not stopping.is_set() and await run_one(db):
                pass
        except Exception:
            log.exception("job worker failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), idle_seconds)
