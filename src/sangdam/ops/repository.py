"""Installation-wide counts for /metrics: every workspace at once, read only.

Like ``workspaces.repository.InstallationRepository`` these are about the installation,
not one tenant; they return numbers, never rows, and nothing here is shown to a workspace.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.bot.models import BotEvent
from sangdam.conversations.models import Conversation, Status
from sangdam.jobs.models import Job, JobStatus
from sangdam.routing.models import Team


class MetricsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def queues(self) -> list[tuple[int, int, str, int, dt.datetime | None]]:
        """(workspace id, team id, team name, conversations waiting, oldest queued_at) for
        every team with someone waiting in its queue."""
        stmt = (
            select(
                Team.workspace_id,
                Team.id,
                Team.name,
                func.count(Conversation.id),
                func.min(Conversation.queued_at),
            )
            .join(Conversation, Conversation.team_id == Team.id)
            .where(
                Conversation.status == Status.OPEN.value,
                Conversation.assignee_id.is_(None),
                Conversation.workspace_id == Team.workspace_id,
            )
            .group_by(Team.workspace_id, Team.id, Team.name)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(int(w), int(t), str(n), int(c), oldest) for w, t, n, c, oldest in rows]

    async def jobs(self, now: dt.datetime) -> list[tuple[str, str, int, dt.datetime | None]]:
        """(kind, status, count, oldest run_at among the due ones) for unfinished and
        failed jobs; finished ones are history."""
        due = func.min(Job.run_at).filter(Job.run_at <= now)
        stmt = (
            select(Job.kind, Job.status, func.count(Job.id), due)
            .where(Job.status != JobStatus.DONE.value)
            .group_by(Job.kind, Job.status)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(str(k), str(s), int(c), oldest) for k, s, c, oldest in rows]

    async def bot_steps(self, since: dt.datetime) -> dict[str, int]:
        """Steps the bot recorded since then, by kind (question, answered, no_answer, …)."""
        stmt = (
            select(BotEvent.kind, func.count(BotEvent.id))
            .where(BotEvent.created_at >= since)
            .group_by(BotEvent.kind)
        )
        return {str(kind): int(count) for kind, count in (await self.session.execute(stmt)).all()}
