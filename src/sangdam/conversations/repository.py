from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import and_, case, func, or_, select

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, ConversationRead
from sangdam.kit.repository import WorkspaceRepository
from sangdam.tags.models import ConversationTag

AssigneeFilter = Literal["any", "me", "unassigned"]


class ConversationRepository(WorkspaceRepository):
    async def get(self, conversation_id: int, *, for_update: bool = False) -> Conversation:
        return await self.get_scoped(
            Conversation, conversation_id, "Conversation", for_update=for_update
        )

    async def get_for_contact(
        self, conversation_id: int, contact_id: int, *, for_update: bool = False
    ) -> Conversation | None:
        stmt = self.select(Conversation).where(
            Conversation.id == conversation_id, Conversation.contact_id == contact_id
        )
        if for_update:
            stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
        return (await self.session.execute(stmt)).scalar()

    async def for_contact(self, contact_id: int, limit: int = 50) -> list[Conversation]:
        stmt = (
            self.select(Conversation)
            .where(Conversation.contact_id == contact_id)
            .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def list_for_agent(
        self,
        *,
        agent_id: int | None,
        status: str | None,
        assignee: AssigneeFilter,
        before: tuple[dt.datetime, int] | None,
        limit: int,
        tag_id: int | None = None,
    ) -> list[tuple[Conversation, Contact, int | None]]:
        """The inbox list, newest activity first, with the agent's own read position."""
        read = ConversationRead
        stmt = (
            select(Conversation, Contact, read.last_seen_seq)
            .join(Contact, Contact.id == Conversation.contact_id)
            .outerjoin(
                read,
                and_(read.conversation_id == Conversation.id, read.agent_id == (agent_id or -1)),
            )
        )
        stmt = self.scoped(stmt, Conversation)
        if status is not None:
            stmt = stmt.where(Conversation.status == status)
        if assignee == "me":
            stmt = stmt.where(Conversation.assignee_id == agent_id)
        elif assignee == "unassigned":
            stmt = stmt.where(Conversation.assignee_id.is_(None))
        if tag_id is not None:
            tagged = self.scoped(
                select(ConversationTag.conversation_id).where(ConversationTag.tag_id == tag_id),
                ConversationTag,
            )
            stmt = stmt.where(Conversation.id.in_(tagged))
        if before is not None:
            at, conversation_id = before
            stmt = stmt.where(
                or_(
                    Conversation.last_activity_at < at,
                    and_(Conversation.last_activity_at == at, Conversation.id < conversation_id),
                )
            )
        stmt = stmt.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(
            limit
        )
        return [(c, ct, seen) for c, ct, seen in (await self.session.execute(stmt)).all()]

    async def counts(self, agent_id: int | None) -> dict[str, int]:
        """Conversations per inbox tab, in one query."""
        is_open = Conversation.status == "open"
        stmt = self.scoped(
            select(
                func.sum(case((is_open, 1), else_=0)),
                func.sum(case((and_(is_open, Conversation.assignee_id.is_(None)), 1), else_=0)),
                func.sum(
                    case((and_(is_open, Conversation.assignee_id == (agent_id or -1)), 1), else_=0)
                ),
                func.sum(case((Conversation.status == "bot", 1), else_=0)),
            ).where(Conversation.status.in_(("open", "bot"))),
            Conversation,
        )
        opened, unassigned, mine, bot = (await self.session.execute(stmt)).one()
        return {
            "open": int(opened or 0),
            "unassigned": int(unassigned or 0),
            "mine": int(mine or 0),
            "bot": int(bot or 0),
        }

    async def read_state(self, conversation_id: int, agent_id: int) -> ConversationRead | None:
        stmt = self.select(ConversationRead).where(
            ConversationRead.conversation_id == conversation_id,
            ConversationRead.agent_id == agent_id,
        )
        return (await self.session.execute(stmt)).scalar()
