from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.csat.models import CsatSettings, Rating, Survey, SurveyResponse, SurveySend
from sangdam.kit.repository import WorkspaceRepository
from sangdam.messages.models import Message, SenderType


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

    # ---- surveys --------------------------------------------------------------------------

    async def surveys(self, *, active_only: bool = False) -> list[Survey]:
        stmt = self.select(Survey).order_by(Survey.id)
        if active_only:
            stmt = stmt.where(Survey.active.is_(True))
        return list((await self.session.execute(stmt)).scalars())

    async def survey(self, survey_id: int) -> Survey:
        return await self.get_scoped(Survey, survey_id, "Survey")

    async def send(self, send_id: int, *, for_update: bool = False) -> SurveySend:
        return await self.get_scoped(SurveySend, send_id, "Survey", for_update=for_update)

    async def send_for(
        self, survey_id: int, conversation_id: int, resolved_at: dt.datetime
    ) -> SurveySend | None:
        stmt = self.select(SurveySend).where(
            SurveySend.survey_id == survey_id,
            SurveySend.conversation_id == conversation_id,
            SurveySend.resolved_at == resolved_at,
        )
        return (await self.session.execute(stmt)).scalar()

    async def sends_of(self, conversation_id: int) -> list[SurveySend]:
        stmt = (
            self.select(SurveySend)
            .where(SurveySend.conversation_id == conversation_id)
            .order_by(SurveySend.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def customer_wrote_since(self, conversation_id: int, since: dt.datetime) -> bool:
        stmt = self.scoped(
            select(Message.id)
            .where(
                Message.conversation_id == conversation_id,
                Message.sender_type == SenderType.CONTACT.value,
                Message.created_at > since,
            )
            .limit(1),
            Message,
        )
        return (await self.session.execute(stmt)).first() is not None

    async def responses(
        self, survey_id: int, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[SurveyResponse]:
        stmt = self.select(SurveyResponse).where(SurveyResponse.survey_id == survey_id)
        if since is not None:
            stmt = stmt.where(SurveyResponse.created_at >= since)
        if until is not None:
            stmt = stmt.where(SurveyResponse.created_at < until)
        return list((await self.session.execute(stmt.order_by(SurveyResponse.id))).scalars())

    async def send_counts(
        self, survey_id: int, since: dt.datetime, until: dt.datetime
    ) -> tuple[int, int]:
        """(sent, answered) of a survey's sends that went out in [since, until)."""
        stmt = self.scoped(
            select(func.count(SurveySend.sent_at), func.count(SurveySend.answered_at)).where(
                SurveySend.survey_id == survey_id,
                SurveySend.sent_at >= since,
                SurveySend.sent_at < until,
            ),
            SurveySend,
        )
        sent, answered = (await self.session.execute(stmt)).one()
        return int(sent), int(answered)


async def send_by_token(session: AsyncSession, token_hash: str) -> SurveySend | None:
    """The send a one-time link names, in whatever workspace (the link is the credential);
    locked, so two answers at once are taken one after the other."""
    stmt = (
        select(SurveySend)
        .where(SurveySend.token_hash == token_hash)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar()
