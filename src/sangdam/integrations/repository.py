from __future__ import annotations

from sangdam.integrations.models import GithubIssue, Integration, IntegrationKind
from sangdam.kit.repository import WorkspaceRepository


class IntegrationRepository(WorkspaceRepository):
    async def of_kind(
        self, kind: IntegrationKind, *, for_update: bool = False
    ) -> Integration | None:
        stmt = self.select(Integration).where(Integration.kind == kind.value)
        if for_update:
            stmt = stmt.with_for_update(key_share=True)
        return (await self.session.execute(stmt)).scalar()

    async def issues_of(self, conversation_id: int) -> list[GithubIssue]:
        stmt = (
            self.select(GithubIssue)
            .where(GithubIssue.conversation_id == conversation_id)
            .order_by(GithubIssue.id)
        )
        return list((await self.session.execute(stmt)).scalars())
