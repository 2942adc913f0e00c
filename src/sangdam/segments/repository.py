from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, func, select

from sangdam.contacts.models import Contact
from sangdam.kit.repository import WorkspaceRepository
from sangdam.segments.models import Segment


class SegmentRepository(WorkspaceRepository):
    async def all(self) -> list[Segment]:
        stmt = self.select(Segment).order_by(Segment.name, Segment.id)
        return list((await self.session.execute(stmt)).scalars())

    async def get(self, segment_id: int) -> Segment:
        return await self.get_scoped(Segment, segment_id, "Segment")

    async def delete(self, segment: Segment) -> None:
        await self.session.delete(segment)

    async def existing_ids(self, model: Any, ids: Iterable[int]) -> set[int]:
        stmt = self.scoped(select(model.id).where(model.id.in_(list(ids))), model)
        return set((await self.session.execute(stmt)).scalars())

    async def count_contacts(self, clause: ColumnElement[bool]) -> int:
        stmt = self.scoped(select(func.count()).select_from(Contact).where(clause), Contact)
        return int((await self.session.execute(stmt)).scalar_one())

    async def preview_contacts(self, clause: ColumnElement[bool], limit: int) -> list[Contact]:
        stmt = (
            self.select(Contact)
            .where(clause)
            .order_by(Contact.last_seen_at.desc(), Contact.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def contact_ids(
        self, clause: ColumnElement[bool], *, after_id: int = 0, limit: int | None = None
    ) -> list[int]:
        """Matching customers' ids in id order, from ``after_id`` on (a job's cursor)."""
        stmt = self.scoped(
            select(Contact.id).where(clause, Contact.id > after_id).order_by(Contact.id), Contact
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return list((await self.session.execute(stmt)).scalars())
