from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import User
from sangdam.kit.repository import WorkspaceRepository
from sangdam.workspaces.models import Agent, ApiToken, Workspace


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

    async def token(self, token_id: int) -> ApiToken:
        return await self.get_scoped(ApiToken, token_id, "API token")


async def memberships(session: AsyncSession, user_id: int) -> list[tuple[Agent, Workspace]]:
    """Every workspace a user belongs to (the one cross-tenant query, keyed by the user)."""
    stmt = (
        select(Agent, Workspace)
        .join(Workspace, Workspace.id == Agent.workspace_id)
        .where(Agent.user_id == user_id)
        .order_by(Workspace.id)
    )
    return [(a, w) for a, w in (await session.execute(stmt)).all()]


async def token_by_hash(session: AsyncSession, token_hash: str) -> ApiToken | None:
    """Look up an API token by its hash; the token itself names its workspace."""
    stmt = select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    return (await session.execute(stmt)).scalar()
