from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import User, UserAvatar
from sangdam.kit.repository import WorkspaceRepository
from sangdam.members.models import Invitation
from sangdam.workspaces.models import Agent, ApiToken, Role


class MemberRepository(WorkspaceRepository):
    async def invitation(self, invitation_id: int, *, for_update: bool = False) -> Invitation:
        return await self.get_scoped(Invitation, invitation_id, "Invitation", for_update=for_update)

    async def invitations(self, limit: int = 200) -> list[Invitation]:
        """Pending ones first, then the latest accepted, expired or revoked."""
        stmt = (
            self.select(Invitation)
            .where(Invitation.revoked_at.is_(None))
            .order_by(Invitation.accepted_at.is_not(None), Invitation.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def pending_for(self, email: str) -> Invitation | None:
        stmt = self.select(Invitation).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def member(self, agent_id: int) -> tuple[Agent, User]:
        agent = await self.get_scoped(Agent, agent_id, "Member")
        user = await self.session.get(User, agent.user_id)
        assert user is not None
        return agent, user

    async def members(self) -> list[tuple[Agent, User, bool]]:
        """Every member with their user, and whether they have a picture (one query)."""
        has_avatar = (
            select(UserAvatar.user_id).where(UserAvatar.user_id == User.id).exists()
        ).label("has_avatar")
        stmt = self.scoped(
            select(Agent, User, has_avatar)
            .join(User, User.id == Agent.user_id)
            .order_by(Agent.deactivated_at.is_not(None), Agent.id),
            Agent,
        )
        return [(a, u, bool(h)) for a, u, h in (await self.session.execute(stmt)).all()]

    async def member_by_email(self, email: str) -> Agent | None:
        stmt = self.scoped(
            select(Agent).join(User, User.id == Agent.user_id).where(User.email == email), Agent
        )
        return (await self.session.execute(stmt)).scalar()

    async def active_owner_count(self) -> int:
        stmt = self.scoped(
            select(func.count())
            .select_from(Agent)
            .where(Agent.role == Role.OWNER.value, Agent.deactivated_at.is_(None)),
            Agent,
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def tokens_made_by(self, agent_id: int) -> list[ApiToken]:
        stmt = self.select(ApiToken).where(
            ApiToken.created_by_agent_id == agent_id, ApiToken.revoked_at.is_(None)
        )
        return list((await self.session.execute(stmt)).scalars())


async def invitation_by_token_hash(session: AsyncSession, token_hash: str) -> Invitation | None:
    """The link's secret names its invitation (and so its workspace)."""
    stmt = select(Invitation).where(Invitation.token_hash == token_hash)
    return (await session.execute(stmt)).scalar()
