"""Sending messages: sequence numbers, idempotency, and the events that follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.conversations.repository import ConversationRepository
from sangdam.conversations.schemas import agent_view, visitor_view
from sangdam.db import utcnow
from sangdam.events.schemas import Event, EventType
from sangdam.events.service import emit
from sangdam.kit.errors import BadRequest, Conflict, PayloadTooLarge
from sangdam.kit.secrets import content_hash
from sangdam.messages.models import Message, MessageKind, SenderType
from sangdam.messages.repository import MessageRepository
from sangdam.messages.schemas import MessageOut, VisitorMessageOut, check_client_id
from sangdam.reactions.schemas import MessageReceived, ReplySent
from sangdam.reactions.service import react
from sangdam.workspaces.models import Agent
from sangdam.workspaces.repository import AgentRepository

PREVIEW_CHARS = 140


def idempotency_conflict(client_id: str) -> Conflict:
    return Conflict(
        "client_id {client_id!r} was already used for a different message. "
        "Use a new client_id for each new message.",
        code="idempotency_conflict",
        values={"client_id": client_id},
    )


def validate_body(body: object, max_chars: int) -> str:
    if not isinstance(body, str):
        raise BadRequest("The message body must be text.", code="invalid_body")
    if not body.strip():
        raise BadRequest("The message is empty. Type something before sending.", code="empty_body")
    if len(body) > max_chars:
        raise PayloadTooLarge(
            "The message is {length} characters long; the limit is {limit}. "
            "Split it into several messages.",
            code="message_too_long",
            values={"length": len(body), "limit": max_chars},
            limit=max_chars,
        )
    return body


def agent_message(message: Message) -> dict[str, Any]:
    return MessageOut.model_validate(message).model_dump(mode="json")


def visitor_message(message: Message) -> dict[str, Any] | None:
    """The customer's copy of a message, or None for internal notes."""
    if message.kind == MessageKind.NOTE.value:
        return None
    view = VisitorMessageOut.model_validate(message)
    if message.sender_type != SenderType.CONTACT.value:
        view.client_id = None
    return view.model_dump(mode="json")


def message_preview(text: str) -> str:
    """The one-line preview of a message in the conversation list."""
    return " ".join(text.split())[:PREVIEW_CHARS]


def conversation_changes(
    conversation: Conversation,
    sender_type: SenderType,
    kind: MessageKind,
    text: str,
    now: dt.datetime,
    *,
    sets_preview: bool | None = None,
) -> dict[str, Any]:
    """What appending a message changes on its conversation (the columns and new values).

    The chat hot path writes these with one UPDATE instead of the unit of work,
    which cost more CPU than everything else a message does.

    The list's preview is what the customer last said, so triage needs no opening of
    chats: the bot's answers, system lines and agents' replies leave it alone
    (``sets_preview`` overrides that, e.g. False for a "talk to a person" button).
    """
    seq = conversation.last_seq + 1
    changes: dict[str, Any] = {
        "last_seq": seq,
        "version": conversation.version + 1,
        "last_activity_at": now,
    }
    if sets_preview is None:
        sets_preview = sender_type == SenderType.CONTACT and kind == MessageKind.TEXT
    if sets_preview:
        changes["last_message_preview"] = message_preview(text)
    if kind != MessageKind.NOTE:
        changes["last_message_sender"] = sender_type.value
    if sender_type == SenderType.CONTACT:
        status = conversation.status
        if status in (Status.RESOLVED.value, Status.SNOOZED.value):
            status = changes["status"] = Status.OPEN.value
            changes["resolved_at"] = None
        # While the bot handles it, nobody is waiting on a person yet.
        if conversation.waiting_since is None and status == Status.OPEN.value:
            changes["waiting_since"] = now
        changes["contact_last_seen_seq"] = seq
    elif sender_type == SenderType.AGENT and kind == MessageKind.TEXT:
        if conversation.waiting_since is not None:
            changes["waiting_since"] = None
        if conversation.status == Status.BOT.value:
            # A person answered: the bot falls silent for this conversation.
            changes["status"] = Status.OPEN.value
            changes["bot_state"] = {}
            changes["handed_off_at"] = conversation.handed_off_at or now
    return changes


def emit_message_created(
    session: AsyncSession, conversation: Conversation, contact: Contact | None, message: Message
) -> None:
    """The new message for both sides (notes for agents only), and the conversation's new state."""
    emit(
        session,
        Event(
            type=EventType.MESSAGE_CREATED,
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            data={"message": agent_message(message)},
            visitor_data=(
                None if (public := visitor_message(message)) is None else {"message": public}
            ),
        ),
    )
    emit_conversation_updated(
        session, conversation, contact, visible_to_visitor=message.kind != MessageKind.NOTE.value
    )


async def send_message(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    *,
    sender_type: SenderType,
    sender_id: int | None,
    sender_name: str,
    body: object,
    client_id: str | None,
    max_chars: int,
    kind: MessageKind = MessageKind.TEXT,
    content: dict[str, Any] | None = None,
    known_new: bool = False,
    sets_preview: bool | None = None,
) -> tuple[Message, bool]:
    """Append a message to a locked conversation. Returns (message, created).

    ``known_new``: the caller already looked ``client_id`` up and found nothing.
    ``sets_preview``: see ``conversation_changes``.

    A retry with the same ``client_id`` and content returns the original
    message and changes nothing; the same id with other content is refused.
    The caller must have loaded ``conversation`` with ``for_update=True`` so
    concurrent senders take seqs one after another.
    """
    text = validate_body(body, max_chars)
    try:
        check_client_id(client_id)
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_client_id") from None
    content = content or {}
    digest = content_hash(conversation.id, kind.value, text, sorted(content.items()))
    repository = MessageRepository(session, conversation.workspace_id)
    if client_id is not None and not known_new:
        existing = await repository.by_client_id(sender_type.value, sender_id, client_id)
        if existing is not None:
            if existing.content_hash != digest:
                raise idempotency_conflict(client_id)
            return existing, False

    now = utcnow()
    changes = conversation_changes(
        conversation, sender_type, kind, text, now, sets_preview=sets_preview
    )
    message = await repository.insert(
        Message(
            conversation_id=conversation.id,
            seq=changes["last_seq"],
            kind=kind.value,
            sender_type=sender_type.value,
            sender_id=sender_id,
            sender_name=sender_name,
            client_id=client_id,
            content_hash=digest,
            body=text,
            content=content,
            created_at=now,
        )
    )
    # The loaded conversation takes the new values as its state (nothing is written twice).
    await ConversationRepository(session, conversation.workspace_id).write(conversation, changes)
    emit_message_created(session, conversation, contact, message)
    # Only a person's note mentions anyone (an email address in Sangdam's own notes does not).
    if kind == MessageKind.NOTE and sender_type == SenderType.AGENT and "@" in text:
        await _notify_mentions(session, conversation, message)
    return message, True


def emit_mention(
    session: AsyncSession,
    conversation: Conversation,
    note: Message,
    agent_id: int | None,
    *,
    by: str,
    reminder: bool = False,
) -> None:
    """Tell one agent about a note (inbox notification and chime): an @mention or a reminder."""
    data: dict[str, Any] = {
        "agent_id": agent_id,
        "conversation_id": conversation.id,
        "message_id": note.id,
        "by": by,
        "preview": note.body[:140],
    }
    if reminder:
        data["reminder"] = True
    emit(
        session,
        Event(
            type=EventType.MENTION,
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            data=data,
        ),
    )


async def _notify_mentions(
    session: AsyncSession, conversation: Conversation, note: Message
) -> None:
    """Tell each agent @named in an internal note (by display name, as the inbox inserts it)."""
    agents = await AgentRepository(session, conversation.workspace_id).list_with_users()
    for agent, _user in agents:
        if agent.id != note.sender_id and f"@{agent.display_name}" in note.body:
            emit_mention(session, conversation, note, agent.id, by=note.sender_name)


async def send_as_contact(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    *,
    body: object,
    client_id: str | None,
    max_chars: int,
    content: dict[str, Any] | None = None,
    known_new: bool = False,
    sets_preview: bool | None = None,
) -> tuple[Message, bool]:
    message, created = await send_message(
        session,
        conversation,
        contact,
        sender_type=SenderType.CONTACT,
        sender_id=contact.id,
        sender_name=contact.name or "",
        body=body,
        client_id=client_id,
        max_chars=max_chars,
        content=content,
        known_new=known_new,
        sets_preview=sets_preview,
    )
    if created:
        await react(session, MessageReceived(conversation, contact, message))
    return message, created


async def send_as_agent(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    agent: Agent,
    *,
    body: object,
    client_id: str | None,
    private: bool,
    max_chars: int,
) -> tuple[Message, bool]:
    """A reply to the customer, or an internal note when ``private``.

    The reply reaches the customer by the conversation's channel (``ReplySent``): live in
    the widget, and by a durable job for email and messengers.
    """
    message, created = await send_message(
        session,
        conversation,
        contact,
        sender_type=SenderType.AGENT,
        sender_id=agent.id,
        sender_name=agent.display_name,
        body=body,
        client_id=client_id,
        max_chars=max_chars,
        kind=MessageKind.NOTE if private else MessageKind.TEXT,
    )
    if created and not private:
        await react(session, ReplySent(conversation, contact, message))
    return message, created


def emit_conversation_updated(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact | None,
    *,
    created: bool = False,
    visible_to_visitor: bool = True,
) -> None:
    emit(
        session,
        Event(
            type=EventType.CONVERSATION_CREATED if created else EventType.CONVERSATION_UPDATED,
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            data={"conversation": agent_view(conversation, contact)},
            visitor_data=(
                {"conversation": visitor_view(conversation)} if visible_to_visitor else None
            ),
        ),
    )
