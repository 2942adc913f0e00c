"""Conversations resolved before reports kept times are measured by a job after the
upgrade, in batches, the same way as at resolve, and nothing is measured twice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select

from sangdam.jobs import service as jobs_service
from sangdam.jobs.models import Job
from sangdam.reports import tasks as report_tasks
from sangdam.reports.models import ConversationTimes
from tests.fixtures.factories import World
from tests.fixtures.jobs import driving_jobs


async def _resolved(world: World, n: int) -> list[int]:
    owner = await world.login()
    ids = []
    for i in range(n):
        visitor = await world.visitor()
        conversation_id = int((await visitor.start(f"문의 {i}"))["conversation"]["id"])
        base = f"{world.base}/conversations/{conversation_id}"
        for path, body in (
            ("messages", {"body": f"답변 {i}"}),
            ("status", {"status": "resolved"}),
        ):
            response = await owner.client.post(f"{base}/{path}", json=body, headers=owner.headers())
            assert response.status_code in (200, 201), response.text
        ids.append(conversation_id)
    return ids


def _row(times: ConversationTimes) -> tuple[Any, ...]:
    return (
        times.conversation_id,
        times.first_response_s,
        times.wait_s,
        times.resolution_s,
        times.replies,
        times.reply_s,
        times.agent_id,
    )


async def test_the_backfill_measures_old_conversations_in_batches_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with driving_jobs(world.server):
        ids = await _resolved(world, 5)
        while await jobs_service.run_one(world.server.db):
            pass
        async with world.server.db.transaction() as session:
            measured = {
                t.conversation_id: _row(t)
                for t in await session.scalars(
                    select(ConversationTimes).where(ConversationTimes.conversation_id.in_(ids))
                )
            }
            assert set(measured) == set(ids)
            # As a database of the previous version has them: resolved, never measured.
            await session.execute(
                delete(ConversationTimes).where(ConversationTimes.conversation_id.in_(ids))
            )
            jobs_service.enqueue(session, report_tasks.BACKFILL_JOB, {}, workspace_id=None)
        monkeypatch.setattr(report_tasks, "BATCH", 2)
        runs = 0
        while await jobs_service.run_one(world.server.db):
            runs += 1
        # 2 + 2 + 1, each batch its own transaction (more if earlier tests left some).
        assert runs >= 3
        # A second run (a job that ran twice) finds nothing left to measure.
        async with world.server.db.transaction() as session:
            jobs_service.enqueue(session, report_tasks.BACKFILL_JOB, {}, workspace_id=None)
        assert await jobs_service.run_one(world.server.db)
        assert not await jobs_service.run_one(world.server.db)
        async with world.server.db.read() as session:
            again = {
                t.conversation_id: _row(t)
                for t in await session.scalars(
                    select(ConversationTimes).where(ConversationTimes.conversation_id.in_(ids))
                )
            }
            failed = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.kind == report_tasks.BACKFILL_JOB, Job.status != "done")
            )
        assert again == measured
        assert failed == 0
