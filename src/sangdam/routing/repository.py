from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.kit.repository import WorkspaceRepository
from sangdam.routing.models import AssignmentEvent, Team, TeamMember
from sangdam.workspaces.models import Agent


class RoutingRepository(WorkspaceRepository):
    async def team(self, team_id: int, *, for_update: bool = False) -> Team:
        """``for_update`` serialises assignment per team across processes."""
        return await self.get_scoped(Team, team_id, "Team", for_update=for_update)

    async def teams(self) -> list[Team]:
        return list((await self.session.execute(self.select(Team).order_by(Team.id))).scalars())

    async def default_team(self) -> Team:
        stmt = self.select(Team).where(Team.everyone.is_(True)).order_by(Team.id).limit(1)
        team = (await self.session.execute(stmt)).scalar()
        if team is None:
            team = Team(name="General", everyone=True, auto_assign=False)
            self.add(team)
            await self.session.flush()
        return team

    async def member_ids(self, team: Team) -> list[int]:
        if team.everyone:
            stmt = self.scoped(select(Agent.id), Agent)
        else:
            stmt = self.scoped(
                select(TeamMember.agent_id).where(TeamMember.team_id == team.id), TeamMember
            )
        return list((await self.session.execute(stmt)).scalars())

    async def teams_of(self, agent_id: int) -> list[Team]:
        member_of = select(TeamMember.team_id).where(TeamMember.agent_id == agent_id)
        stmt = (
            self.select(Team)
            .where(Team.everyone.is_(True) | Team.id.in_(member_of))
            .order_by(Team.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def agents(self, ids: list[int]) -> list[Agent]:
        if not ids:
            return []
        stmt = self.select(Agent).where(Agent.id.in_(ids)).order_by(Agent.id)
        return list((await self.session.execute(stmt)).scalars())

    async def loads(self) -> dict[int, int]:
        """Open conversations per assigned agent."""
        stmt = self.scoped(
            select(Conversation.assignee_id, func.count())
            .where(Conversation.status == Status.OPEN.value, Conversation.assignee_id.is_not(None))
            .group_by(Conversation.assignee_id),
            Conversation,
        )
        rows = (await self.session.execute(stmt)).all()
        return {int(agent): int(count) for agent, count in rows if agent is not None}

    def _queue(self, team_id: int):  # type: ignore[no-untyped-def]
        return self.select(Conversation).where(
            Conversation.team_id == team_id,
            Conversation.status == Status.OPEN.value,
            Conversation.assignee_id.is_(None),
        )

    async def queue(self, team_id: int, limit: int) -> list[Conversation]:
        """Waiting conversations: priority first (VIP), then first come, first served."""
        stmt = (
            self._queue(team_id)
            .order_by(Conversation.priority.desc(), Conversation.queued_at, Conversation.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def queued_team_ids(self) -> list[int]:
        stmt = self.scoped(
            select(Conversation.team_id)
            .where(
                Conversation.status == Status.OPEN.value,
                Conversation.assignee_id.is_(None),
                Conversation.team_id.is_not(None),
            )
            .distinct(),
            Conversation,
        )
        return [int(t) for t in (await self.session.execute(stmt)).scalars() if t is not None]

    async def assigned_open(self, agent_id: int) -> list[Conversation]:
        stmt = self.select(Conversation).where(
            Conversation.assignee_id == agent_id, Conversation.status == Status.OPEN.value
        )
        return list((await self.session.execute(stmt)).scalars())

    async def unanswered(self, team_id: int, cutoff: dt.datetime) -> list[Conversation]:
        """Assigned before the cutoff to someone who hasn't answered a customer waiting since before it."""
        stmt = self.select(Conversation).where(
            Conversation.team_id == team_id,
            Conversation.status == Status.OPEN.value,
            Conversation.assignee_id.is_not(None),
            Conversation.waiting_since <= cutoff,
            Conversation.assigned_at <= cutoff,
        )
        return list((await self.session.execute(stmt)).scalars())

    async def recent_pickups(
        self, team_id: int, limit: int = 21
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        """(queued_at, assigned_at) of the team's latest assignments, oldest first."""
        stmt = self.scoped(
            select(Conversation.queued_at, Conversation.assigned_at)
            .where(
                Conversation.team_id == team_id,
                Conversation.assigned_at.is_not(None),
                Conversation.queued_at.is_not(None),
            )
            .order_by(Conversation.assigned_at.desc())
            .limit(limit),
            Conversation,
        )
        rows = (await self.session.execute(stmt)).all()
        return [
            (queued, assigned)
            for queued, assigned in reversed(rows)
            if queued is not None and assigned is not None
        ]

    async def events(self, conversation_id: int) -> list[AssignmentEvent]:
        stmt = (
            self.select(AssignmentEvent)
            .where(AssignmentEvent.conversation_id == conversation_id)
            .order_by(AssignmentEvent.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def requeued_from(self, conversation_ids: list[int]) -> dict[int, int]:
        """For conversations whose latest routing event is a requeue: the agent it left."""
        if not conversation_ids:
            return {}
        stmt = (
            self.select(AssignmentEvent)
            .where(AssignmentEvent.conversation_id.in_(conversation_ids))
            .order_by(AssignmentEvent.id)
        )
        latest = {e.conversation_id: e for e in (await self.session.execute(stmt)).scalars()}
        return {
            conversation_id: event.agent_id
            for conversation_id, event in latest.items()
            if event.kind == "requeued" and event.agent_id is not None
        }

    async def contacts(self, ids: list[int]) -> dict[int, Contact]:
        if not ids:
            return {}
        stmt = self.select(Contact).where(Contact.id.in_(ids))
        return {c.id: c for c in (await self.session.execute(stmt)).scalars()}
