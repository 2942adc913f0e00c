from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import RowMapping, Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from sangdam.automation.repository import rules_exist
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, ConversationRead
from sangdam.kit.repository import WorkspaceRepository
from sangdam.tags.models import ConversationTag

AssigneeFilter = Literal["any", "me", "unassigned"]


_CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
# Hot-path statements built once (see messages/repository.py); scoped by parameter.
_WRITE = update(_CONVERSATIONS).where(
    _CONVERSATIONS.c.id == bindparam("_id"),
    _CONVERSATIONS.c.workspace_id == bindparam("_workspace_id"),
)
_C = _CONVERSATIONS.c
# A conversation people have: open, and assigned or waiting in a queue. A customer's
# message there needs neither the bot nor routing, so it can take the short path.
WITH_PEOPLE = and_(_C.status == "open", or_(_C.assignee_id.is_not(None), _C.queued_at.is_not(None)))
# What a customer's message changes on such a conversation, in one statement (the SET
# expressions see the row as it was: last_seq + 1 is the new message's seq). The same
# changes as messages.service.conversation_changes; tests/widget/test_live_path.py
# holds the two to each other.
_AFTER_CONTACT_MESSAGE = (
    update(_CONVERSATIONS)
    .where(_C.id == bindparam("_id"), _C.workspace_id == bindparam("_workspace_id"))
    .values(
        last_seq=_C.last_seq + 1,
        version=_C.version + 1,
        contact_last_seen_seq=_C.last_seq + 1,
        last_activity_at=bindparam("now", type_=_C.last_activity_at.type),
        waiting_since=func.coalesce(
            _C.waiting_since, bindparam("now", type_=_C.waiting_since.type)
        ),
        last_message_preview=bindparam("preview"),
        last_message_sender="contact",
    )
    .returning(
        *_CONVERSATIONS.columns,
        rules_exist("message_received", _C.workspace_id).label("has_message_rules"),
    )
)
_FOR_CONTACT_LOCKED = (
    select(Conversation)
    .where(
        Conversation.workspace_id == bindparam("workspace_id"),
        Conversation.id == bindparam("conversation_id"),
        Conversation.contact_id == bindparam("contact_id"),
    )
    .with_for_update(key_share=True)
    .execution_options(populate_existing=True)
)


class ConversationRepository(WorkspaceRepository):
    async def write(self, conversation: Conversation, changes: dict[str, Any]) -> None:
        """Write ``changes`` to a loaded (and locked) conversation with one UPDATE.

        The object takes the new values as its loaded state, so nothing is written twice.
        """
        params = {**changes, "_id": conversation.id, "_workspace_id": self.workspace_id}
        await self.session.execute(_WRITE, params)
        for key, value in changes.items():
            set_committed_value(conversation, key, value)

    async def after_contact_message(
        self, conversation_id: int, now: dt.datetime, preview: str
    ) -> RowMapping:
        """Record a customer's message on a conversation with people; returns the new row,
        plus ``has_message_rules``: whether automation rules wait for incoming messages."""
        params = {
            "_id": conversation_id,
            "_workspace_id": self.workspace_id,
            "now": now,
            "preview": preview,
        }
        return (await self.session.execute(_AFTER_CONTACT_MESSAGE, params)).mappings().one()

    async def get(self, conversation_id: int, *, for_update: bool = False) -> Conversation:
        return await self.get_scoped(
            Conversation, conversation_id, "Conversation", for_update=for_update
        )

    async def get_for_contact(
        self, conversation_id: int, contact_id: int, *, for_update: bool = False
    ) -> Conversation | None:
        if for_update:
            params = {
                "workspace_id": self.workspace_id,
                "conversation_id": conversation_id,
                "contact_id": contact_id,
            }
            return (await self.session.execute(_FOR_CONTACT_LOCKED, params)).scalar()
        stmt = self.select(Conversation).where(
            Conversation.id == conversation_id, Conversation.contact_id == contact_id
        )
        return (await self.session.execute(stmt)).scalar()

    async def last_seqs_for_contact(self, contact_id: int, ids: list[int]) -> dict[int, int]:
        """``{id: last_seq}`` of those of ``ids`` that are the contact's, in one query."""
        if not ids:
            return {}
        stmt = self.scoped(
            select(Conversation.id, Conversation.last_seq).where(
                Conversation.contact_id == contact_id, Conversation.id.in_(ids)
            ),
            Conversation,
        )
        return {row.id: row.last_seq for row in await self.session.execute(stmt)}

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
