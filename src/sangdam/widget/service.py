"""The widget's side of things: a visitor's own conversations, nothing else."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.service import mailable, normalise_email
from sangdam.bot import service as bot
from sangdam.bot.models import BotEventKind
from sangdam.bot.repository import BotRepository
from sangdam.contacts.models import Contact
from sangdam.contacts.schemas import PageContext
from sangdam.contacts.service import emit_contact_updated
from sangdam.conversations.models import Conversation, Status
from sangdam.conversations.repository import ConversationRepository
from sangdam.conversations.schemas import VisitorConversationOut, visitor_view
from sangdam.conversations.service import start_conversation
from sangdam.csat import service as csat
from sangdam.db import utcnow
from sangdam.inboxes.models import Inbox
from sangdam.kit.errors import BadRequest, NotFound
from sangdam.kit.secrets import content_hash
from sangdam.messages.models import Message, MessageKind, SenderType
from sangdam.messages.repository import MessageRepository
from sangdam.messages.schemas import check_client_id
from sangdam.messages.service import (
    emit_conversation_updated,
    emit_message_created,
    idempotency_conflict,
    message_preview,
    send_as_contact,
    validate_body,
    visitor_message,
)
from sangdam.reactions.schemas import MessageReceived
from sangdam.reactions.service import react
from sangdam.routing import service as routing
from sangdam.widget.schemas import WidgetConfig
from sangdam.workspaces.models import Workspace

DEFAULT_GREETING = {
    "ko": "안녕하세요! 무엇을 도와드릴까요? 보통 몇 분 안에 답변드려요.",
    "en": "Hi there! How can we help? We usually reply in a few minutes.",
}
DEFAULT_AWAY_GREETING = {
    "ko": "안녕하세요! 지금은 상담 시간이 아니지만, 문의와 이메일을 남겨 주시면 확인 후 이메일로 답변드릴게요.",
    "en": "Hi there! We're away right now, but leave your question and your email and we'll answer by email.",
}


async def own_conversation(
    session: AsyncSession, contact: Contact, conversation_id: int, *, for_update: bool = False
) -> Conversation:
    """The visitor's conversation, or "not found" — whether it exists for someone else or not."""
    conversation = await ConversationRepository(session, contact.workspace_id).get_for_contact(
        conversation_id, contact.id, for_update=for_update
    )
    if conversation is None:
        raise NotFound("Conversation {id} was not found.", values={"id": conversation_id})
    return conversation


async def known_positions(
    session: AsyncSession, contact: Contact, positions: dict[int, int]
) -> tuple[dict[int, int], list[int]]:
    """Check the positions a widget says it holds, with one query.

    Returns the visitor's own conversations with each position clamped to the
    conversation's last seq (a position beyond the end would hide the next messages),
    and the ids that are not the visitor's (or not ids at all).
    """
    # Ids are signed 64-bit in both databases; a larger one can't be the visitor's.
    candidates = [conversation_id for conversation_id in positions if 0 < conversation_id < 2**63]
    last_seqs = await ConversationRepository(session, contact.workspace_id).last_seqs_for_contact(
        contact.id, candidates
    )
    known = {
        conversation_id: min(seq, last_seqs[conversation_id])
        for conversation_id, seq in positions.items()
        if conversation_id in last_seqs
    }
    return known, [conversation_id for conversation_id in positions if conversation_id not in known]


async def missed_in_each(
    session: AsyncSession, contact: Contact, positions: dict[int, int], limit: int
) -> dict[int, list[dict[str, Any]]]:
    """For each of the visitor's conversations, the public messages after its position
    (at most ``limit``), as the visitor sees them; one query for all of them."""
    messages = await MessageRepository(session, contact.workspace_id).after_each(
        positions, contact_id=contact.id, limit=limit, public_only=True
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for message in messages:
        view = visitor_message(message)
        if view is not None:
            found.setdefault(message.conversation_id, []).append(view)
    return found


async def visitor_conversation(
    session: AsyncSession, conversation: Conversation
) -> VisitorConversationOut:
    """The visitor's view of a conversation, with their place in the queue while they wait."""
    view = VisitorConversationOut.model_validate(conversation)
    view.assigned = conversation.assignee_id is not None
    waiting = await routing.queue_info(session, conversation)
    if waiting is not None:
        view.queue_position, view.estimated_wait_minutes = waiting
    return view


async def widget_config(session: AsyncSession, inbox: Inbox, base_url: str) -> WidgetConfig:
    workspace = await session.get(Workspace, inbox.workspace_id)
    assert workspace is not None
    greeting = {**DEFAULT_GREETING, **(inbox.config.get("greeting") or {})}
    return WidgetConfig(
        workspace_name=workspace.name,
        inbox_name=inbox.name,
        greeting=greeting,
        away_greeting={**DEFAULT_AWAY_GREETING, **(inbox.config.get("away_greeting") or {})},
        bot={lang: await bot.welcome(session, inbox, lang) for lang in ("ko", "en")},
        hours=await business_hours(session, inbox.workspace_id),
        help_url=f"{base_url}/help/{workspace.slug}" if workspace.slug else None,
        rating=await csat.rating_settings(session, inbox.workspace_id),
    )


async def _closed_until(session: AsyncSession, workspace_id: int) -> str | bool | None:
    """False while the workspace is open; else when it opens next (ISO), or None if unknown."""
    hours = await routing.open_now(session, workspace_id)
    if hours.open:
        return False
    return hours.next_open.isoformat() if hours.next_open else None


async def business_hours(session: AsyncSession, workspace_id: int) -> dict[str, Any]:
    hours = await routing.open_now(session, workspace_id)
    if hours.timezone == "UTC":
        # No hours set: the workspace's own zone is still where its people are.
        workspace = await session.get(Workspace, workspace_id)
        zone = workspace.timezone if workspace is not None else "UTC"
    else:
        zone = hours.timezone
    return {
        "open": hours.open,
        "next_open": None if hours.open or hours.next_open is None else hours.next_open.isoformat(),
        # The team's zone: the widget says when people are back in it (and in the customer's).
        "timezone": zone,
    }


async def leave_email(
    session: AsyncSession, contact: Contact, conversation_id: int, email: str
) -> Conversation:
    """The customer leaves an address for the answer, at any point of a conversation
    (after a topic button or "talk to a person" too). While the team is closed, or when
    it already is an offline message, replies then go there by email too."""
    conversation = await own_conversation(session, contact, conversation_id, for_update=True)
    address = email.strip().lower()
    if not mailable(address):
        raise BadRequest("Enter an email address such as name@example.com.", code="invalid_email")
    contact.email = address
    origin = dict(conversation.origin or {})
    if origin.get("offline") or await _closed_until(session, contact.workspace_id) is not False:
        origin.update(offline=True, email=address)
        conversation.origin = origin
    conversation.version += 1
    emit_conversation_updated(session, conversation, contact)
    emit_contact_updated(session, contact)
    return conversation


async def append_live_message(
    session: AsyncSession,
    contact: Contact,
    conversation_id: int,
    *,
    body: object,
    client_id: str,
    max_chars: int,
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The common case on its own short path: the customer writes in a conversation that
    people already have (assigned, or waiting in line) with a new ``client_id``.

    Neither the bot nor routing has anything to do there, so the message is stored
    with two statements on plain rows, without loading ORM objects; automation rules on
    incoming messages are checked on those rows, and the ORM objects are loaded only for
    a rule that matches. Returns the visitor's views of the message and the conversation,
    or None when the full path (``receive_message``) must take it: the conversation isn't
    the contact's, needs the bot or routing, or the client_id was used before (nothing is
    written then).
    """
    text = validate_body(body, max_chars)
    try:
        check_client_id(client_id)
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_client_id") from None
    now = utcnow()
    message = Message(
        conversation_id=conversation_id,
        kind=MessageKind.TEXT.value,
        sender_type=SenderType.CONTACT.value,
        sender_id=contact.id,
        sender_name=contact.name or "",
        client_id=client_id,
        content_hash=content_hash(conversation_id, MessageKind.TEXT.value, text, []),
        body=text,
        content={},
        created_at=now,
    )
    messages = MessageRepository(session, contact.workspace_id)
    if not await messages.insert_into_conversation_with_people(message, contact.id):
        # Not the customer's, not with people, or a retry: the full path knows which.
        return None
    row = await ConversationRepository(session, contact.workspace_id).after_contact_message(
        conversation_id, now, message_preview(text)
    )
    # A stand-in with the row's attributes: the views (and rule conditions) read nothing else.
    values = dict(row)
    has_message_rules = values.pop("has_message_rules")
    conversation = cast(Conversation, SimpleNamespace(**values))
    emit_message_created(session, conversation, contact, message)
    public = visitor_message(message)
    assert public is not None
    view = visitor_view(conversation)

    async def materialize() -> tuple[Conversation, Contact]:
        loaded = await ConversationRepository(session, contact.workspace_id).get(conversation_id)
        return loaded, await session.merge(contact, load=False)

    await react(
        session,
        MessageReceived(
            conversation, contact, message, materialize, rules_waiting=bool(has_message_rules)
        ),
    )
    return public, view


async def _for_the_team_off_hours(session: AsyncSession, conversation: Conversation) -> bool:
    """Off hours, a typed message the bot could not answer (it was unsure, or any, by the
    inbox's setting) is taken for the team: queued for the next opening, the team told, the
    customer told when to expect the answer and that it comes by email. In hours the
    customer chooses between the bot's suggestions and "talk to a person" themselves."""
    if conversation.status != Status.BOT.value:
        return False  # answered by people already, or the bot handed it over itself
    hours = await routing.open_now(session, conversation.workspace_id, conversation.team_id)
    if hours.open:
        return False
    # The inbox's ``off_hours_to_team``: "every" takes every typed message off hours.
    inbox = await session.get(Inbox, conversation.inbox_id)
    setting = str(((inbox.config if inbox else None) or {}).get("off_hours_to_team", ""))
    if setting == "every":
        return True
    path = await BotRepository(session, conversation.workspace_id).path(conversation.id)
    return bool(path) and path[-1].kind == BotEventKind.SUGGESTED.value


async def receive_message(
    session: AsyncSession,
    *,
    inbox_id: int,
    contact: Contact,
    conversation_id: int | None,
    body: object,
    client_id: str,
    button: str | None,
    context: PageContext,
    max_chars: int,
    base_url: str,
    email: str | None = None,
) -> tuple[Conversation, Message, bool]:
    """A visitor's message or button press: store it, then let the bot answer if it's its turn.

    ``conversation_id=None`` starts a new conversation. Returns (conversation, the
    visitor's message, created); a retry returns the original and the bot stays quiet.
    """
    locked = None
    if conversation_id is not None:
        # Lock first: a concurrent duplicate waits here and then sees the original.
        locked = await own_conversation(session, contact, conversation_id, for_update=True)
    existing = await MessageRepository(session, contact.workspace_id).by_client_id(
        SenderType.CONTACT.value, contact.id, client_id
    )
    if existing is not None:
        if button is None and existing.body != body:
            raise idempotency_conflict(client_id)
        if locked is not None and locked.id == existing.conversation_id:
            return locked, existing, False
        conversation = await own_conversation(session, contact, existing.conversation_id)
        return conversation, existing, False
    content = {"button": button} if button is not None else None
    if conversation_id is None:
        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        closed_until = await _closed_until(session, contact.workspace_id)
        offline = None
        if closed_until is not False:
            # Outside business hours: an offline message, answered later (by email when given).
            if email:
                contact.email = normalise_email(email)
            offline = {"offline": True, "next_open": closed_until, "email": contact.email}
        state = await bot.initial_state(session, inbox, bot.bot_lang(contact.locale))
        if button is not None:
            body = bot.button_label((state or {}).get("offered", {}), button)
        created = True
        conversation, message = await start_conversation(
            session,
            inbox,
            contact,
            body=body,
            client_id=client_id,
            context=context,
            max_chars=max_chars,
            bot_state=state,
            content=content,
            extra_origin=offline,
        )
    else:
        assert locked is not None
        conversation = locked
        if button is not None:
            body = bot.button_label(bot.offered_buttons(conversation), button)
        message, created = await send_as_contact(
            session,
            conversation,
            contact,
            body=body,
            client_id=client_id,
            max_chars=max_chars,
            content=content,
            known_new=True,
            sets_preview=None if button is None else bot.names_the_question(button),
        )
    if created:
        await bot.respond(session, conversation, contact, message, button=button, base_url=base_url)
        if button is None and await _for_the_team_off_hours(session, conversation):
            await bot.hand_off(session, conversation, contact, reason="off_hours")
        if (
            conversation.status == Status.OPEN.value
            and conversation.assignee_id is None
            and conversation.queued_at is None
        ):
            await routing.enqueue(session, conversation, contact)
    return conversation, message, created
