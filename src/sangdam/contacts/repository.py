from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, String, and_, cast, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact, ContactEvent, VisitorToken
from sangdam.db import utcnow
from sangdam.kit.repository import WorkspaceRepository
from sangdam.tags.models import ContactTag


@dataclass
class ContactFilter:
    """The customer list's filters. Each becomes one SQL condition with bound values;
    a new filter (tags, say) is one more field and one more branch in ``conditions``."""

    # Part of a name, email or member id (verified or claimed), any language.
    query: str | None = None
    # attribute key -> value it must equal (compared as text). Keys are checked
    # against KEY_PATTERN by the API before they get here.
    attributes: dict[str, str] = field(default_factory=dict)
    seen_within_days: int | None = None
    verified_only: bool = False
    # Only customers with this tag (VIP, 잠재고객...); another workspace's tag matches no one.
    tag_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.query:
            needle = self.query.strip().lower()
            found.append(
                or_(
                    *(
                        func.lower(column).contains(needle, autoescape=True)
                        for column in (
                            Contact.name,
                            Contact.email,
                            Contact.member_id,
                            Contact.claimed_member_id,
                        )
                    )
                )
            )
        for key, value in self.attributes.items():
            found.append(cast(Contact.attributes[key].as_string(), String) == value)
        if self.seen_within_days is not None:
            since = utcnow() - dt.timedelta(days=self.seen_within_days)
            found.append(Contact.last_seen_at >= since)
        if self.verified_only:
            found.append(Contact.member_id.is_not(None))
        if self.tag_id is not None:
            found.append(
                exists().where(
                    ContactTag.contact_id == Contact.id,
                    ContactTag.workspace_id == Contact.workspace_id,
                    ContactTag.tag_id == self.tag_id,
                )
            )
        return found


class ContactRepository(WorkspaceRepository):
    async def get(self, contact_id: int, *, for_update: bool = False) -> Contact:
        return await self.get_scoped(Contact, contact_id, "Contact", for_update=for_update)

    async def by_member_id(self, member_id: str) -> Contact | None:
        stmt = self.select(Contact).where(Contact.member_id == member_id)
        return (await self.session.execute(stmt)).scalar()

    async def search(
        self, filters: ContactFilter, *, after: tuple[dt.datetime, int] | None, limit: int
    ) -> list[Contact]:
        """Most recently seen first; keyset pagination on (last_seen_at, id)."""
        stmt = self.select(Contact).where(*filters.conditions())
        if after is not None:
            at, contact_id = after
            stmt = stmt.where(
                or_(
                    Contact.last_seen_at < at,
                    and_(Contact.last_seen_at == at, Contact.id < contact_id),
                )
            )
        stmt = stmt.order_by(Contact.last_seen_at.desc(), Contact.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())


class ContactEventRepository(WorkspaceRepository):
    async def recent(
        self, contact_id: int, *, kind: str | None, before: int | None, limit: int
    ) -> list[ContactEvent]:
        stmt = self.select(ContactEvent).where(ContactEvent.contact_id == contact_id)
        if kind is not None:
            stmt = stmt.where(ContactEvent.kind == kind)
        if before is not None:
            stmt = stmt.where(ContactEvent.id < before)
        stmt = stmt.order_by(ContactEvent.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def count_since(self, contact_id: int, kind: str, since: dt.datetime) -> int:
        stmt = self.scoped(
            select(func.count(ContactEvent.id)).where(
                ContactEvent.contact_id == contact_id,
                ContactEvent.kind == kind,
                ContactEvent.created_at >= since,
            ),
            ContactEvent,
        )
        return int((await self.session.execute(stmt)).scalar() or 0)


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


async def purge_events_before(session: AsyncSession, cutoff: dt.datetime) -> int:
    """Retention upkeep across every workspace (the one unscoped delete, by age only)."""
    result = await session.execute(delete(ContactEvent).where(ContactEvent.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
