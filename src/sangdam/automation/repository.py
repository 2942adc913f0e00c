from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists

from sangdam.automation.models import AutomationRule, AutomationRun
from sangdam.conversations.models import Conversation, Status
from sangdam.kit.repository import WorkspaceRepository


def rules_exist(event: str, workspace_id: Any) -> ColumnElement[bool]:
    """SQL: the workspace has enabled rules for ``event`` (for use inside another statement)."""
    rules = AutomationRule.__table__.c
    return exists().where(
        rules.workspace_id == workspace_id, rules.event == event, rules.enabled.is_(True)
    )


class AutomationRepository(WorkspaceRepository):
    async def rules(self) -> list[AutomationRule]:
        stmt = self.select(AutomationRule).order_by(AutomationRule.position, AutomationRule.id)
        return list((await self.session.execute(stmt)).scalars())

    async def enabled_for(self, event: str) -> list[AutomationRule]:
        stmt = (
            self.select(AutomationRule)
            .where(AutomationRule.event == event, AutomationRule.enabled.is_(True))
            .order_by(AutomationRule.position, AutomationRule.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def get(self, rule_id: int) -> AutomationRule:
        return await self.get_scoped(AutomationRule, rule_id, "Automation rule")

    async def runs(self, rule_id: int, limit: int = 50) -> list[AutomationRun]:
        stmt = (
            self.select(AutomationRun)
            .where(AutomationRun.rule_id == rule_id)
            .order_by(AutomationRun.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def active_conversation(self, contact_id: int) -> Conversation | None:
        """The contact's newest conversation that isn't resolved, locked for the rule's changes."""
        stmt = (
            self.select(Conversation)
            .where(
                Conversation.contact_id == contact_id,
                Conversation.status != Status.RESOLVED.value,
            )
            .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
            .limit(1)
            .with_for_update(key_share=True)
        )
        return (await self.session.execute(stmt)).scalar()
