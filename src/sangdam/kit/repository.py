"""Repository base: every query is scoped to one workspace.

A domain repository subclasses ``WorkspaceRepository`` and builds its queries
with ``self.select(Model)`` / ``self.scoped(stmt, Model)``; the tenant filter
is added there, so a query that forgets it can't be written by accident.
"""

from __future__ import annotations

from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.kit.errors import NotFound, Word

M = TypeVar("M")
Ts = TypeVarTuple("Ts")


class WorkspaceRepository:
    def __init__(self, session: AsyncSession, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def select(self, model: type[M]) -> Select[M]:
        return select(model).where(model.workspace_id == self.workspace_id)  # type: ignore[attr-defined]

    def scoped(self, stmt: Select[*Ts], *models: Any) -> Select[*Ts]:
        for model in models:
            stmt = stmt.where(model.workspace_id == self.workspace_id)
        return stmt

    async def get_scoped(
        self, model: type[M], row_id: int, what: str, *, for_update: bool = False
    ) -> M:
        """The row, or "not found". ``for_update`` locks it FOR NO KEY UPDATE: enough to
        serialise writers, and it doesn't block (or deadlock with) foreign-key checks."""
        stmt = self.select(model).where(model.id == row_id)  # type: ignore[attr-defined]
        if for_update:
            stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
        row = (await self.session.execute(stmt)).scalar()
        if row is None:
            raise NotFound(
                "{what} {id} does not exist in this workspace.",
                values={"what": Word(what), "id": row_id},
            )
        return row

    def add(self, row: Any) -> None:
        if getattr(row, "workspace_id", None) is None:
            row.workspace_id = self.workspace_id
        elif row.workspace_id != self.workspace_id:
            raise ValueError("row belongs to another workspace")
        self.session.add(row)
