from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from sangdam.bot.models import BotEvent, BotFlow
from sangdam.kit.repository import WorkspaceRepository
from sangdam.knowledge.models import FaqEntry


class BotRepository(WorkspaceRepository):
    async def flow(self, inbox_id: int | None) -> BotFlow | None:
        stmt = self.select(BotFlow).where(
            BotFlow.inbox_id.is_(None) if inbox_id is None else BotFlow.inbox_id == inbox_id
        )
        return (await self.session.execute(stmt)).scalar()

    async def categories(self) -> list[str]:
        """FAQ categories in the order they first appear."""
        stmt = self.scoped(
            select(FaqEntry.category, func.min(FaqEntry.id).label("first"))
            .group_by(FaqEntry.category)
            .order_by("first"),
            FaqEntry,
        )
        return [category for category, _ in (await self.session.execute(stmt)).all()]

    async def has_faqs(self) -> bool:
        stmt = self.scoped(select(FaqEntry.id).limit(1), FaqEntry)
        return (await self.session.execute(stmt)).first() is not None

    async def path(self, conversation_id: int) -> list[BotEvent]:
        stmt = (
            self.select(BotEvent)
            .where(BotEvent.conversation_id == conversation_id)
            .order_by(BotEvent.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def outcome_counts(self, since: dt.datetime) -> dict[str, int]:
        stmt = self.scoped(
            select(BotEvent.kind, func.count(), func.count(func.distinct(BotEvent.conversation_id)))
            .where(BotEvent.created_at >= since)
            .group_by(BotEvent.kind),
            BotEvent,
        )
        counts: dict[str, int] = {}
        for kind, events, _conversations in (await self.session.execute(stmt)).all():
            counts[kind] = int(events)
        total = self.scoped(
            select(func.count(func.distinct(BotEvent.conversation_id))).where(
                BotEvent.created_at >= since
            ),
            BotEvent,
        )
        counts["conversations"] = int((await self.session.execute(total)).scalar_one())
        return counts

    async def events_since(
        self, since: dt.datetime, kinds: tuple[str, ...], limit: int = 20_000
    ) -> list[BotEvent]:
        """Events of ``kinds`` since ``since``, newest first (at most ``limit``)."""
        stmt = (
            self.select(BotEvent)
            .where(BotEvent.created_at >= since, BotEvent.kind.in_(kinds))
            .order_by(BotEvent.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())
