from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from sangdam.csat.models import CsatSettings, Rating
from sangdam.kit.repository import WorkspaceRepository


class CsatRepository(WorkspaceRepository):
    async def settings(self) -> CsatSettings | None:
        return await self.session.get(CsatSettings, self.workspace_id)

    async def rating_for(self, conversation_id: int, resolved_at: dt.datetime) -> Rating | None:
        stmt = self.select(Rating).where(
            Rating.conversation_id == conversation_id, Rating.resolved_at == resolved_at
        )
        return (await self.session.execute(stmt)).scalar()

    async def ratings_of(self, conversation_id: int) -> list[Rating]:
        stmt = (
            self.select(Rating)
            .where(Rating.conversation_id == conversation_id)
            .order_by(Rating.created_at, Rating.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def latest_scores(self, conversation_ids: list[int]) -> dict[int, int]:
        """The latest rating's score of each of these conversations that has one."""
        if not conversation_ids:
            return {}
        stmt = self.scoped(
            select(Rating.conversation_id, Rating.score)
            .where(Rating.conversation_id.in_(conversation_ids))
            .order_by(Rating.created_at, Rating.id),
            Rating,
        )
        return {row.conversation_id: row.score for row in await self.session.execute(stmt)}
