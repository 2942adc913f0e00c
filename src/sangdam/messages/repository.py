from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from sangdam.conversations.models import Conversation
from sangdam.conversations.repository import WITH_PEOPLE
from sangdam.kit.repository import WorkspaceRepository
from sangdam.messages.models import Message, MessageKind

_MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_COLUMNS = tuple(column.key for column in _MESSAGES.columns if column.key != "id")
# The chat hot path's statements, built once: constructing a statement per message
# cost more than running it. Each is still scoped to the workspace by a parameter.
_INSERT = insert(_MESSAGES).returning(_MESSAGES.c.id)
_IDEMPOTENCY_KEY = ["workspace_id", "sender_type", "sender_id", "client_id"]


def _into_conversation_with_people(dialect: Any) -> Any:
    """INSERT … SELECT: the message takes the next seq of a conversation with people (locked
    as it is read), unless the sender already used the client_id. Returns (id, seq) or
    nothing, in one statement: one round trip to PostgreSQL instead of three."""
    conversations = Conversation.__table__.c
    columns = [key for key in _COLUMNS if key not in ("conversation_id", "seq")]
    source = (
        select(
            *(bindparam(key, type_=_MESSAGES.c[key].type) for key in columns),
            conversations.id,
            conversations.last_seq + 1,
        )
        .where(
            conversations.workspace_id == bindparam("workspace_id"),
            conversations.id == bindparam("conversation_id_"),
            conversations.contact_id == bindparam("contact_id_"),
            WITH_PEOPLE,
        )
        .with_for_update(key_share=True)
    )
    return (
        dialect.insert(_MESSAGES)
        .from_select([*columns, "conversation_id", "seq"], source)
        .on_conflict_do_nothing(index_elements=_IDEMPOTENCY_KEY)
        .returning(_MESSAGES.c.id, _MESSAGES.c.seq)
    )


_INTO_CONVERSATION_WITH_PEOPLE = {
    "sqlite": _into_conversation_with_people(sqlite),
    "postgresql": _into_conversation_with_people(postgresql),
}
_BY_CLIENT_ID = select(_MESSAGES.c.id).where(
    Message.workspace_id == bindparam("workspace_id"),
    Message.sender_type == bindparam("sender_type"),
    Message.sender_id == bindparam("sender_id"),
    Message.client_id == bindparam("client_id"),
)


class MessageRepository(WorkspaceRepository):
    async def insert(self, message: Message) -> Message:
        """Write a new message with one INSERT and return it as a persistent row.

        Every column must be set on ``message``: defaults are not applied here.
        """
        message.workspace_id = self.workspace_id
        values = {key: getattr(message, key) for key in _COLUMNS}
        message.id = (await self.session.execute(_INSERT, values)).scalar_one()
        make_transient_to_detached(message)
        self.session.add(message)
        return message

    async def insert_into_conversation_with_people(self, message: Message, contact_id: int) -> bool:
        """Write ``message`` (all but seq set) as the next message of the contact's
        conversation, if that conversation has people (``WITH_PEOPLE``) and the sender
        never used the client_id. Locks the conversation; False when nothing was written."""
        message.workspace_id = self.workspace_id
        values = {
            key: getattr(message, key) for key in _COLUMNS if key not in ("conversation_id", "seq")
        }
        values["conversation_id_"] = message.conversation_id
        values["contact_id_"] = contact_id
        stmt = _INTO_CONVERSATION_WITH_PEOPLE[self.session.get_bind().dialect.name]
        row = (await self.session.execute(stmt, values)).first()
        if row is None:
            return False
        message.id, message.seq = row
        return True

    async def by_client_id(
        self, sender_type: str, sender_id: int | None, client_id: str
    ) -> Message | None:
        if sender_id is not None:
            # Almost always nothing: look for the id alone, load the row only for a retry.
            params = {
                "workspace_id": self.workspace_id,
                "sender_type": sender_type,
                "sender_id": sender_id,
                "client_id": client_id,
            }
            found = (await self.session.execute(_BY_CLIENT_ID, params)).scalar()
            return None if found is None else await self.session.get(Message, found)
        stmt = self.select(Message).where(
            Message.sender_type == sender_type,
            Message.sender_id.is_(None),
            Message.client_id == client_id,
        )
        return (await self.session.execute(stmt)).scalar()

    async def page(
        self,
        conversation_id: int,
        *,
        after_seq: int | None = None,
        before_seq: int | None = None,
        limit: int = 50,
        public_only: bool = False,
    ) -> list[Message]:
        """Messages in seq order: after a seq (catching up) or before one (scrolling back)."""
        stmt = self.select(Message).where(Message.conversation_id == conversation_id)
        if public_only:
            stmt = stmt.where(Message.kind != MessageKind.NOTE.value)
        if after_seq is not None:
            stmt = stmt.where(Message.seq > after_seq).order_by(Message.seq).limit(limit)
            return list((await self.session.execute(stmt)).scalars())
        if before_seq is not None:
            stmt = stmt.where(Message.seq < before_seq)
        stmt = stmt.order_by(Message.seq.desc()).limit(limit)
        return list(reversed(list((await self.session.execute(stmt)).scalars())))

    async def after_each(
        self, positions: dict[int, int], *, contact_id: int, limit: int, public_only: bool
    ) -> list[Message]:
        """The messages after each ``{conversation_id: seq}`` position, at most ``limit`` per
        conversation, in (conversation, seq) order: one query however many conversations.
        Only conversations of ``contact_id`` count."""
        if not positions:
            return []
        after = or_(
            *(
                and_(Message.conversation_id == conversation_id, Message.seq > seq)
                for conversation_id, seq in positions.items()
            )
        )
        ranked = self.scoped(
            select(
                Message.id,
                func.row_number()
                .over(partition_by=Message.conversation_id, order_by=Message.seq)
                .label("rank"),
            )
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(after, Conversation.contact_id == contact_id),
            Message,
            Conversation,
        )
        if public_only:
            ranked = ranked.where(Message.kind != MessageKind.NOTE.value)
        page = ranked.subquery()
        stmt = (
            self.select(Message)
            .join(page, page.c.id == Message.id)
            .where(page.c.rank <= limit)
            .order_by(Message.conversation_id, Message.seq)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def window(
        self,
        conversation_id: int,
        *,
        after_seq: int | None,
        before_seq: int | None,
        limit: int,
        public_only: bool = False,
    ) -> tuple[list[Message], bool]:
        """A page of history and whether more lies beyond it (in the direction asked)."""
        messages = await self.page(
            conversation_id,
            after_seq=after_seq,
            before_seq=before_seq,
            limit=limit + 1,
            public_only=public_only,
        )
        has_more = len(messages) > limit
        if has_more:
            messages = messages[:limit] if after_seq is not None else messages[1:]
        return messages, has_more
