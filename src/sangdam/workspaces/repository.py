from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import User
from sangdam.contacts.models import Contact
from sangdam.inboxes.models import ChannelType, Inbox
from sangdam.kit.errors import NotFound
from sangdam.kit.repository import WorkspaceRepository
from sangdam.knowledge.models import FaqEntry
from sangdam.members.models import Invitation
from sangdam.routing.models import Team
from sangdam.workspaces.models import Agent, ApiToken, Role, Workspace


class AgentRepository(WorkspaceRepository):
    async def by_user(self, user_id: int) -> Agent | None:
        stmt = self.select(Agent).where(Agent.user_id == user_id)
        return (await self.session.execute(stmt)).scalar()

    async def get(self, agent_id: int) -> Agent:
        return await self.get_scoped(Agent, agent_id, "Agent")

    async def list_with_users(self) -> list[tuple[Agent, User]]:
        stmt = self.scoped(
            select(Agent, User).join(User, User.id == Agent.user_id).order_by(Agent.id), Agent
        )
        return [(a, u) for a, u in (await self.session.execute(stmt)).all()]

    async def tokens(self) -> list[ApiToken]:
        stmt = self.select(ApiToken).where(ApiToken.revoked_at.is_(None)).order_by(ApiToken.id)
        return list((await self.session.execute(stmt)).scalars())

    async def website_inbox(self) -> Inbox:
        stmt = (
            self.select(Inbox)
            .where(Inbox.channel_type == ChannelType.WEB_WIDGET.value)
            .order_by(Inbox.id)
            .limit(1)
        )
        inbox = (await self.session.execute(stmt)).scalar()
        if inbox is None:
            raise NotFound("This workspace has no website inbox.")
        return inbox

    async def checklist_facts(self) -> dict[str, bool]:
        """Which first steps a workspace has taken, in one query."""

        def exists(model: Any, *conditions: Any) -> Any:
            return (
                select(model.id)
                .where(model.workspace_id == self.workspace_id, *conditions)
                .exists()
            )

        stmt = select(
            exists(Contact).label("widget_installed"),
            (exists(Invitation) | exists(Agent, Agent.role != Role.OWNER.value)).label(
                "teammates_invited"
            ),
            exists(Team, Team.hours.is_not(None)).label("hours_set"),
            exists(FaqEntry).label("faq_added"),
        )
        row = (await self.session.execute(stmt)).mappings().one()
        return {key: bool(value) for key, value in row.items()}

    async def token(self, token_id: int) -> ApiToken:
        return await self.get_scoped(ApiToken, token_id, "API token")


async def memberships(session: AsyncSession, user_id: int) -> list[tuple[Agent, Workspace]]:
    """Every workspace a user belongs to (the one cross-tenant query, keyed by the user)."""
    stmt = (
        select(Agent, Workspace)
        .join(Workspace, Workspace.id == Agent.workspace_id)
        .where(Agent.user_id == user_id, Agent.deactivated_at.is_(None))
        .order_by(Workspace.id)
    )
    return [(a, w) for a, w in (await session.execute(stmt)).all()]


class TokenUses:
    """When API tokens were last used (the token, found by its hash, names its workspace)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def touch(self, token_id: int, now: dt.datetime, unless_after: dt.datetime) -> None:
        stmt = (
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < unless_after),
            )
            .values(last_used_at=now)
        )
        await self.session.execute(stmt)


async def token_by_hash(session: AsyncSession, token_hash: str) -> ApiToken | None:
    """Look up an API token by its hash; the token itself names its workspace."""
    stmt = select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    return (await session.execute(stmt)).scalar()


class InstallationRepository:
    """Queries about the installation as a whole (not one workspace): first-run setup."""

    # Any fixed number: PostgreSQL's advisory lock that serialises first-run setups.
    SETUP_LOCK = 7263820142

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self) -> None:
        """Two browsers submitting the setup form at once: the second waits, then finds
        the first's account. (SQLite's single writer serialises them already.)"""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(select(func.pg_advisory_xact_lock(self.SETUP_LOCK)))

    async def user_count(self) -> int:
        return int(
            (await self.session.execute(select(func.count()).select_from(User))).scalar_one()
        )

    async def workspace(self, workspace_id: int) -> Workspace:
        workspace = await self.session.get(Workspace, workspace_id)
        if workspace is None:
            raise NotFound("Workspace {id} does not exist.", values={"id": workspace_id})
        return workspace
