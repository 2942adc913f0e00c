from __future__ import annotations

from sqlalchemy import and_, func, or_

from sangdam.canned.models import CannedResponse, CannedScope
from sangdam.kit.repository import WorkspaceRepository


class CannedRepository(WorkspaceRepository):
    def _visible(self, agent_id: int, team_ids: list[int] | None):  # type: ignore[no-untyped-def]
        """What ``agent_id`` may see: workspace ones, its teams' ones (all for admins:
        ``team_ids=None``) and its own personal ones, never someone else's."""
        team_clause = CannedResponse.scope == CannedScope.TEAM.value
        if team_ids is not None:
            team_clause = and_(team_clause, CannedResponse.team_id.in_(team_ids))
        return or_(
            CannedResponse.scope == CannedScope.WORKSPACE.value,
            team_clause,
            and_(
                CannedResponse.scope == CannedScope.PERSONAL.value,
                CannedResponse.agent_id == agent_id,
            ),
        )

    async def visible(
        self,
        agent_id: int,
        team_ids: list[int] | None,
        *,
        query: str | None = None,
        lang: str | None = None,
        limit: int = 200,
    ) -> list[CannedResponse]:
        stmt = self.select(CannedResponse).where(self._visible(agent_id, team_ids))
        if query:
            needle = query.lower()
            stmt = stmt.where(
                or_(
                    func.lower(CannedResponse.shortcut).contains(needle, autoescape=True),
                    func.lower(CannedResponse.title).contains(needle, autoescape=True),
                )
            )
        if lang:
            stmt = stmt.where(or_(CannedResponse.lang == lang, CannedResponse.lang.is_(None)))
        stmt = stmt.order_by(CannedResponse.shortcut, CannedResponse.id).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def get_visible(
        self, canned_id: int, agent_id: int, team_ids: list[int] | None
    ) -> CannedResponse | None:
        stmt = self.select(CannedResponse).where(
            CannedResponse.id == canned_id, self._visible(agent_id, team_ids)
        )
        return (await self.session.execute(stmt)).scalar()

    async def get(self, canned_id: int) -> CannedResponse:
        return await self.get_scoped(CannedResponse, canned_id, "Canned response")

    async def same_shortcut(self, row: CannedResponse) -> CannedResponse | None:
        stmt = self.select(CannedResponse).where(
            CannedResponse.scope == row.scope,
            func.lower(CannedResponse.shortcut) == row.shortcut.lower(),
            CannedResponse.id != (row.id or -1),
        )
        for column, value in (
            (CannedResponse.agent_id, row.agent_id),
            (CannedResponse.team_id, row.team_id),
            (CannedResponse.lang, row.lang),
        ):
            stmt = stmt.where(column.is_(None) if value is None else column == value)
        return (await self.session.execute(stmt.limit(1))).scalar()
