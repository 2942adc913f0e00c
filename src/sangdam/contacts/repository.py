from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact, VisitorToken
from sangdam.kit.repository import WorkspaceRepository


class ContactRepository(WorkspaceRepository):
    async def get(self, contact_id: int) -> Contact:
        return await self.get_scoped(Contact, contact_id, "Contact")


async def visitor_by_token_hash(
    session: AsyncSession, token_hash: str
) -> tuple[VisitorToken, Contact] | None:
    """The visitor token names its contact and workspace; nothing else is trusted."""
    stmt = (
        select(VisitorToken, Contact)
        .join(Contact, Contact.id == VisitorToken.contact_id)
        .where(VisitorToken.token_hash == token_hash)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])
