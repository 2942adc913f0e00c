"""Conversations: starting them, the inbox list, status, assignment and read state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact
from sangdam.contacts.repository import ContactRepository
from sangdam.contacts.schemas import PageContext
from sangdam.conversations.models import Conversation, ConversationRead, Status
from sangdam.conversations.repository import AssigneeFilter, ConversationRepository
from sangdam.conversations.schemas import ConversationOut, ConversationPage, agent_view
from sangdam.db import utcnow
from sangdam.events.schemas import Event, EventType
from sangdam.events.service import emit
from sangdam.inboxes.models import Inbox
from sangdam.kit.errors import BadRequest
from sangdam.messages.models import Message, MessageKind, SenderType
from sangdam.messages.service import (
    emit_conversation_updated,
    send_as_contact,
    send_message,
    validate_body,
)
from sangdam.reactions.schemas import (
    ConversationAssigned,
    ConversationResolved,
    ConversationStarted,
)
from sangdam.reactions.service import react
from sangdam.workspaces.models import Agent
from sangdam.workspaces.repository import AgentRepository
from sangdam.workspaces.service import require_active

# Stored with a resolved conversation (English, like every stored text); people see it
# in their language through ``content.activity``.
ENDED_LINE = "This conversation has ended."


async def start_conversation(
    session: AsyncSession,
    inbox: Inbox,
    contact: Contact,
    *,
    body: object,
    client_id: str | None,
    context: PageContext,
    max_chars: int,
    bot_state: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
    extra_origin: dict[str, Any] | None = None,
) -> tuple[Conversation, Message]:
    """A visitor's first message opens a conversation.

    The caller has already looked ``client_id`` up (``widget.service.receive_message``
    returns the original for a retry). With ``bot_state`` the bot takes it first.
    """
    validate_body(body, max_chars)
    origin = {
        "url": context.url,
        "title": context.title,
        "referrer": context.referrer or contact.referrer,
        "inbox": inbox.name,
        # Decided by the server (business hours), never by the client.
        **(extra_origin or {}),
    }
    conversation = Conversation(
        inbox_id=inbox.id,
        contact_id=contact.id,
        status=Status.BOT.value if bot_state else Status.OPEN.value,
        bot_state=bot_state or {},
        origin={key: value for key, value in origin.items() if value},
    )
    ConversationRepository(session, inbox.workspace_id).add(conversation)
    await session.flush()
    emit_conversation_updated(session, conversation, contact, created=True)
    message, _ = await send_as_contact(
        session,
        conversation,
        contact,
        body=body,
        client_id=client_id,
        max_chars=max_chars,
        content=content,
        known_new=True,
    )
    await react(session, ConversationStarted(conversation, contact, message))
    return conversation, message


async def list_for_agent(
    session: AsyncSession,
    workspace_id: int,
    agent_id: int | None,
    *,
    status: str | None,
    assignee: AssigneeFilter,
    before: str | None,
    limit: int,
    tag_id: int | None = None,
) -> ConversationPage:
    cursor = _parse_cursor(before)
    rows = await ConversationRepository(session, workspace_id).list_for_agent(
        agent_id=agent_id,
        status=status,
        assignee=assignee,
        before=cursor,
        limit=limit + 1,
        tag_id=tag_id,
    )
    items = []
    for conversation, contact, seen in rows[:limit]:
        view = ConversationOut.model_validate(agent_view(conversation, contact))
        view.my_last_seen_seq = seen or 0
        items.append(view)
    next_before = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_before = f"{last.last_activity_at.isoformat()}|{last.id}"
    return ConversationPage(conversations=items, next_before=next_before)


def _parse_cursor(before: str | None) -> tuple[dt.datetime, int] | None:
    if not before:
        return None
    try:
        at, _, conversation_id = before.rpartition("|")
        return dt.datetime.fromisoformat(at), int(conversation_id)
    except ValueError:
        raise BadRequest(
            "The `before` cursor is malformed; pass back `next_before` from the previous page."
        ) from None


async def load(
    session: AsyncSession, workspace_id: int, conversation_id: int, *, for_update: bool = False
) -> tuple[Conversation, Contact]:
    conversation = await ConversationRepository(session, workspace_id).get(
        conversation_id, for_update=for_update
    )
    contact = await ContactRepository(session, workspace_id).get(conversation.contact_id)
    return conversation, contact


async def set_status(
    session: AsyncSession, workspace_id: int, conversation_id: int, status: Status
) -> Conversation:
    conversation, contact = await load(session, workspace_id, conversation_id, for_update=True)
    if conversation.status == status.value:
        return conversation
    conversation.status = status.value
    conversation.version += 1
    conversation.resolved_at = utcnow() if status == Status.RESOLVED else None
    if status != Status.RESOLVED:
        emit_conversation_updated(session, conversation, contact)
        return conversation
    conversation.waiting_since = None
    conversation.queued_at = None
    # The customer sees that the chat ended: a system line the widget shows in their
    # language (by ``content.activity``), with "write again" in place of the composer. Its
    # conversation.updated already carries the new status.
    await send_message(
        session,
        conversation,
        contact,
        sender_type=SenderType.SYSTEM,
        sender_id=None,
        sender_name="",
        body=ENDED_LINE,
        client_id=None,
        max_chars=len(ENDED_LINE),
        kind=MessageKind.ACTIVITY,
        content={"activity": "resolved"},
    )
    await react(session, ConversationResolved(conversation, contact, conversation.assignee_id))
    return conversation


async def assign(
    session: AsyncSession,
    workspace_id: int,
    conversation_id: int,
    agent_id: int | None,
    *,
    by: Agent | None = None,
) -> Conversation:
    conversation, contact = await load(session, workspace_id, conversation_id, for_update=True)
    # Scoped lookup: an agent of another workspace is "not found" here.
    agent = (
        await AgentRepository(session, workspace_id).get(agent_id) if agent_id is not None else None
    )
    if agent is not None:
        require_active(agent)
    if conversation.assignee_id == agent_id:
        return conversation
    previous = conversation.assignee_id
    conversation.assignee_id = agent_id
    conversation.assigned_at = utcnow() if agent else None
    conversation.version += 1
    # The customer learns that a person has it, never who internally.
    emit_conversation_updated(session, conversation, contact)
    # Routing keeps the why with the conversation and gives the previous assignee's seat on.
    await react(session, ConversationAssigned(conversation, contact, agent, previous, by))
    return conversation


def _check_seq(conversation: Conversation, seq: int) -> None:
    if seq < 0 or seq > conversation.last_seq:
        raise BadRequest(
            "seq {seq} is outside this conversation (its messages go up to {last}).",
            code="bad_seq",
            values={"seq": seq, "last": conversation.last_seq},
        )


async def mark_read_by_agent(
    session: AsyncSession, workspace_id: int, conversation_id: int, agent: Agent, seq: int
) -> int:
    conversation, _ = await load(session, workspace_id, conversation_id, for_update=True)
    _check_seq(conversation, seq)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ConversationRead).values(
        conversation_id=conversation.id,
        agent_id=agent.id,
        workspace_id=workspace_id,
        last_seen_seq=seq,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["conversation_id", "agent_id"],
        set_={
            "last_seen_seq": _greatest(
                dialect, ConversationRead.last_seen_seq, stmt.excluded.last_seen_seq
            )
        },
    )
    await session.execute(stmt)
    if seq > conversation.agent_last_seen_seq:
        conversation.agent_last_seen_seq = seq
        _emit_read(session, conversation, reader="agent", reader_id=agent.id, seq=seq)
    return seq


def _greatest(dialect: str, left: Any, right: Any) -> Any:
    return func.max(left, right) if dialect == "sqlite" else func.greatest(left, right)


async def mark_read_by_contact(session: AsyncSession, conversation: Conversation, seq: int) -> int:
    _check_seq(conversation, seq)
    if seq > conversation.contact_last_seen_seq:
        conversation.contact_last_seen_seq = seq
        _emit_read(
            session, conversation, reader="contact", reader_id=conversation.contact_id, seq=seq
        )
    return conversation.contact_last_seen_seq


def _emit_read(
    session: AsyncSession, conversation: Conversation, *, reader: str, reader_id: int, seq: int
) -> None:
    data = {
        "conversation_id": conversation.id,
        "reader": reader,
        "reader_id": reader_id,
        "seq": seq,
    }
    emit(
        session,
        Event(
            type=EventType.CONVERSATION_READ,
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            data=data,
            # The customer learns that their message was seen, not by whom.
            visitor_data={"conversation_id": conversation.id, "reader": reader, "seq": seq},
        ),
    )
