from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.inboxes.models import Inbox
from sangdam.kit.repository import WorkspaceRepository


class InboxRepository(WorkspaceRepository):
    async def get(self, inbox_id: int) -> Inbox:
        return await self.get_scoped(Inbox, inbox_id, "Inbox")

    async def list(self) -> list[Inbox]:
        return list((await self.session.execute(self.select(Inbox).order_by(Inbox.id))).scalars())


async def inbox_by_public_key(session: AsyncSession, public_key: str) -> Inbox | None:
    """The widget's entry: the public key in the script tag names its inbox and workspace."""
    stmt = select(Inbox).where(Inbox.public_key == public_key)
    return (await session.execute(stmt)).scalar()
