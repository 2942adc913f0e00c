"""Messenger channels (Telegram, LINE): one adapter interface, durable in and out.

Inbound: the platform POSTs to ``/api/channels/v1/<kind>/<webhook key>``. The key names
one ``ChannelAccount`` (and so its workspace); the adapter checks the body against that
account's own secret, then each event is stored under its platform key (a repeated
delivery is recognised) with a ``channels.inbound`` job, in one transaction, and the
platform gets its 200 at once. The job maps the sender to a contact (one per messenger
user and account) and stores the text as the customer's message in their open
conversation, or a new one, which is queued for a person.

Outbound: an agent's reply (``ReplySent``) to a conversation that came in by a messenger
enqueues a ``channels.reply`` job in the reply's transaction. The job splits the text to
the channel's limit, turns buttons into what the channel can show (numbered lines past
its button count), and sends part after part, recording each accepted part per message
(``ChannelSend``): a retried job sends only what was not accepted yet. A refusal no retry
can fix (the customer blocked the bot, a revoked token) ends the job with a note that
only agents see. See docs/channels.md.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.channels.line import LINE
from sangdam.channels.models import ChannelAccount, ChannelIdentity, ChannelSend, ChannelUpdate
from sangdam.channels.repository import ChannelRepository, account_by_webhook_key
from sangdam.channels.schemas import (
    Button,
    Capabilities,
    ChannelAdapter,
    ChannelCheckOut,
    Credentials,
    InboundEvent,
    OutgoingPart,
    Profile,
    SendRefused,
)
from sangdam.channels.telegram import TELEGRAM
from sangdam.config import Settings
from sangdam.contacts.models import Contact
from sangdam.contacts.repository import ContactRepository
from sangdam.contacts.schemas import PageContext
from sangdam.conversations import service as conversations
from sangdam.conversations.models import Conversation, Status
from sangdam.db import Database, utcnow
from sangdam.inboxes.models import ChannelType, Inbox
from sangdam.jobs.service import enqueue
from sangdam.kit.errors import BadRequest, NotFound, Unauthorized
from sangdam.kit.input import clean_text
from sangdam.kit.outbound import OutboundFailure
from sangdam.messages import service as messages
from sangdam.messages.models import Message, MessageKind, SenderType
from sangdam.routing import service as routing
from sangdam.web.i18n import translator
from sangdam.workspaces.models import Workspace

log = logging.getLogger(__name__)
INBOUND_JOB = "channels.inbound"
REPLY_JOB = "channels.reply"
ADAPTERS: dict[str, ChannelAdapter] = {TELEGRAM.kind: TELEGRAM, LINE.kind: LINE}
KIND_NAMES = {"telegram": "Telegram", "line": "LINE"}


# ---- credentials, encrypted at rest ------------------------------------------------------


def _cipher(settings: Settings) -> MultiFernet:
    keys = [k.strip() for k in settings.channels.secret_keys.get_secret_value().split(",")]
    try:
        fernets = [Fernet(k.encode()) for k in keys if k]
    except ValueError:
        fernets = []
    if not fernets:
        raise BadRequest(
            "Messenger channels need an encryption key for their credentials: the operator "
            "sets SANGDAM_CHANNELS__SECRET_KEYS (see docs/channels.md).",
            code="channels_not_configured",
        )
    return MultiFernet(fernets)


def encrypt_credentials(settings: Settings, values: Mapping[str, str]) -> str:
    return _cipher(settings).encrypt(json.dumps(dict(values)).encode()).decode()


def decrypt_credentials(settings: Settings, token: str) -> dict[str, str]:
    try:
        data = json.loads(_cipher(settings).decrypt(token.encode()))
    except InvalidToken:
        # The key that encrypted them is no longer in SANGDAM_CHANNELS__SECRET_KEYS.
        raise RuntimeError("channel credentials cannot be decrypted with the keys set") from None
    return {str(k): str(v) for k, v in data.items()}


def credentials_of(settings: Settings, account: ChannelAccount) -> Credentials:
    api_url = (
        settings.channels.telegram_api_url
        if account.kind == ChannelType.TELEGRAM.value
        else settings.channels.line_api_url
    )
    return Credentials(
        values=decrypt_credentials(settings, account.credentials),
        api_url=api_url,
        allow_private=settings.outbound.allow_private,
        timeout_seconds=settings.channels.send_timeout_seconds,
    )


def adapter_of(account: ChannelAccount) -> ChannelAdapter:
    return ADAPTERS[account.kind]


def webhook_url(settings: Settings, account: ChannelAccount) -> str:
    return f"{settings.base_url}/api/channels/v1/{account.kind}/{account.webhook_key}"


# ---- connecting a channel -----------------------------------------------------------------


async def create_channel(
    session: AsyncSession,
    settings: Settings,
    workspace_id: int,
    kind: str,
    name: str,
    given: Mapping[str, str],
) -> tuple[ChannelAccount, Inbox]:
    """A new inbox for a messenger account, its credentials encrypted, its webhook URL made."""
    adapter = ADAPTERS[kind]
    missing = [f for f in adapter.credential_fields if not given.get(f)]
    if missing:
        raise BadRequest(
            "Connecting {channel} needs {fields}.",
            values={"channel": KIND_NAMES[kind], "fields": ", ".join(missing)},
        )
    sealed = encrypt_credentials(settings, adapter.new_credentials(given))
    inbox = Inbox(
        workspace_id=workspace_id,
        name=name.strip(),
        channel_type=kind,
        # Never published: a messenger inbox has no widget.
        public_key=f"sdc_{secrets.token_urlsafe(16)}",
        config={},
    )
    session.add(inbox)
    await session.flush()
    account = ChannelAccount(
        inbox_id=inbox.id, kind=kind, webhook_key=secrets.token_hex(16), credentials=sealed
    )
    ChannelRepository(session, workspace_id).add(account)
    await session.flush()
    return account, inbox


async def list_channels(
    session: AsyncSession, workspace_id: int
) -> list[tuple[ChannelAccount, Inbox]]:
    return await ChannelRepository(session, workspace_id).accounts()


async def channel(
    session: AsyncSession, workspace_id: int, account_id: int
) -> tuple[ChannelAccount, Inbox]:
    account = await ChannelRepository(session, workspace_id).account(account_id)
    inbox = await session.get(Inbox, account.inbox_id)
    assert inbox is not None
    return account, inbox


async def connect_channel(
    db: Database, settings: Settings, workspace_id: int, account_id: int
) -> ChannelCheckOut:
    """Check the credentials with the platform and set its webhook to Sangdam's URL.

    Reads in a short session and calls out holding none: a slow platform delays no write.
    """
    async with db.read() as session:
        account, _inbox = await channel(session, workspace_id, account_id)
    adapter = adapter_of(account)
    credentials = credentials_of(settings, account)
    try:
        name = await adapter.check(credentials)
        await adapter.connect(credentials, webhook_url(settings, account))
    except (SendRefused, OutboundFailure, RuntimeError, ValueError) as problem:
        return ChannelCheckOut(ok=False, problem=str(problem)[:300])
    return ChannelCheckOut(ok=True, account_name=name)


def webhook_secret(settings: Settings, account: ChannelAccount) -> str | None:
    """What the platform must echo (Telegram's secret_token); None where a signature is used."""
    if account.kind != ChannelType.TELEGRAM.value:
        return None
    return decrypt_credentials(settings, account.credentials).get("secret_token")


# ---- inbound --------------------------------------------------------------------------


async def accept_webhook(
    session: AsyncSession,
    settings: Settings,
    kind: str,
    key: str,
    headers: Mapping[str, str],
    body: bytes,
) -> int:
    """Store a verified delivery's new events, each with its job; the count of new ones."""
    account = await account_by_webhook_key(session, key)
    if account is None or account.kind != kind:
        raise NotFound("This webhook address is not connected to any channel.")
    adapter = adapter_of(account)
    if not adapter.verify(credentials_of(settings, account), headers, body):
        raise Unauthorized(
            "The webhook's signature does not match this channel's secret.",
            code="bad_signature",
        )
    try:
        events = adapter.parse(body)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise BadRequest(
            "The webhook body is not a {channel} update.", values={"channel": KIND_NAMES[kind]}
        ) from None
    repository = ChannelRepository(session, account.workspace_id)
    stored = 0
    for event in events:
        if await repository.update_by_key(account.id, event.key) is not None:
            continue  # the platform delivered it again
        update = ChannelUpdate(account_id=account.id, external_key=event.key, event=event.as_json())
        repository.add(update)
        await session.flush()
        enqueue(
            session,
            INBOUND_JOB,
            {"workspace_id": account.workspace_id, "update_id": update.id},
            workspace_id=account.workspace_id,
        )
        stored += 1
    return stored


def _body_of(event: InboundEvent) -> str:
    text = event.text.strip()
    if event.kind in ("text", "button"):
        return text or f"[{event.kind}]"
    # A photo, sticker...: Sangdam keeps no media yet; the agent sees what came.
    return f"[{event.kind}] {text}".strip()


async def unknown_sender(
    session: AsyncSession, settings: Settings, workspace_id: int, update_id: int
) -> tuple[ChannelAdapter, Credentials, str] | None:
    """A first-time sender whose event carried no name (LINE): whom to ask the platform about."""
    repository = ChannelRepository(session, workspace_id)
    update = await repository.update(update_id)
    if update is None or update.message_id is not None:
        return None
    event = InboundEvent.from_json(update.event)
    if event.type != "message" or event.sender_name:
        return None
    if await repository.identity(update.account_id, event.sender_id) is not None:
        return None
    account = await repository.account(update.account_id)
    return adapter_of(account), credentials_of(settings, account), event.sender_id


async def receive_update(
    session: AsyncSession,
    settings: Settings,
    workspace_id: int,
    update_id: int,
    profile: Profile | None = None,
) -> int | None:
    """The ``channels.inbound`` job: an event becomes the customer's message, once."""
    repository = ChannelRepository(session, workspace_id)
    update = await repository.update(update_id, for_update=True)
    if update is None or update.message_id is not None:
        return None  # gone, or a second run of the job
    event = InboundEvent.from_json(update.event)
    if event.type != "message":
        return None
    account = await repository.account(update.account_id)
    inbox = await session.get(Inbox, account.inbox_id)
    assert inbox is not None
    max_chars = settings.realtime.max_message_chars
    text = _body_of(event)[:max_chars]
    content: dict[str, Any] = {"channel": account.kind, "type": event.kind}

    identity = await repository.identity(account.id, event.sender_id)
    if identity is None:
        profile = profile or Profile()
        name = event.sender_name or profile.name
        locale = event.locale or profile.locale
        contact = Contact(
            name=clean_text(name or f"{KIND_NAMES[account.kind]} {event.sender_id[-6:]}")[:200],
            locale=str(locale)[:35] if locale else None,
        )
        ContactRepository(session, workspace_id).add(contact)
        await session.flush()
        identity = ChannelIdentity(
            account_id=account.id,
            external_user_id=event.sender_id,
            address=event.address or event.sender_id,
            contact_id=contact.id,
        )
        repository.add(identity)
        await session.flush()
    elif event.address and identity.address != event.address:
        identity.address = event.address

    conversation: Conversation | None = None
    if identity.conversation_id is not None:
        try:
            conversation, contact = await conversations.load(
                session, workspace_id, identity.conversation_id, for_update=True
            )
        except NotFound:
            conversation = None
        if conversation is not None and conversation.status == Status.RESOLVED.value:
            conversation = None  # a resolved chat stays closed; this is a new question
    if conversation is None:
        contact = await ContactRepository(session, workspace_id).get(identity.contact_id)
        conversation, message = await conversations.start_conversation(
            session,
            inbox,
            contact,
            body=text,
            client_id=None,
            context=PageContext(),
            max_chars=max_chars,
            content=content,
            extra_origin={"channel": account.kind, "channel_account_id": account.id},
        )
        identity.conversation_id = conversation.id
    else:
        message, _ = await messages.send_as_contact(
            session,
            conversation,
            contact,
            body=text,
            client_id=None,
            max_chars=max_chars,
            content=content,
        )
    update.message_id = message.id
    if conversation.status == Status.BOT.value:
        # The bot does not answer on messengers yet: whoever writes there wants a person.
        conversation.status = Status.OPEN.value
        conversation.bot_state = {}
        conversation.handed_off_at = conversation.handed_off_at or message.created_at
    if (
        conversation.status == Status.OPEN.value
        and conversation.assignee_id is None
        and conversation.queued_at is None
    ):
        await routing.enqueue(session, conversation, contact)
    await session.flush()
    return message.id


async def acknowledgement(
    session: AsyncSession, settings: Settings, workspace_id: int, update_id: int
) -> tuple[ChannelAdapter, Credentials, InboundEvent] | None:
    """What to acknowledge to the platform for a handled event, if it asks for anything."""
    repository = ChannelRepository(session, workspace_id)
    update = await repository.update(update_id)
    if update is None:
        return None
    event = InboundEvent.from_json(update.event)
    if not event.ack_id:
        return None
    account = await repository.account(update.account_id)
    return adapter_of(account), credentials_of(settings, account), event


# ---- outbound -----------------------------------------------------------------------------


class ChannelReplies:
    """The messengers' ``ReplyChannel``: an agent's reply is sent by a durable job."""

    async def send_reply(
        self, session: AsyncSession, conversation: Conversation, contact: Contact, message: Message
    ) -> None:
        if not (conversation.origin or {}).get("channel_account_id"):
            return
        enqueue(
            session,
            REPLY_JOB,
            {"workspace_id": conversation.workspace_id, "message_id": message.id},
            workspace_id=conversation.workspace_id,
        )


CHANNEL_REPLIES = ChannelReplies()


def utf16_len(text: str) -> int:
    """Length as Telegram and LINE count it (UTF-16 code units: an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """The largest prefix length (in code points) within ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int) -> list[str]:
    """Parts within ``limit``, cut at a blank line, a line end or a space where one is near."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        end = _cut(rest, limit)
        window = rest[:end]
        at = -1
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at >= end // 2:
                break
        if at < end // 2:
            at = end  # one long word: cut it
        parts.append(rest[:at].rstrip())
        rest = rest[at:].lstrip()
    parts.append(rest)
    return [p for p in parts if p] or [""]


def _label(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def render_parts(
    text: str, buttons: list[Button], capabilities: Capabilities
) -> list[OutgoingPart]:
    """The messages a reply becomes on a channel: split to its length, buttons as it can."""
    shown: tuple[Button, ...] = ()
    if buttons and len(buttons) <= capabilities.max_buttons:
        shown = tuple(
            Button(_label(b.label, capabilities.max_button_label), b.value) for b in buttons
        )
    elif buttons:
        # The channel cannot show them: numbered lines the customer can answer with.
        text = (
            text.rstrip() + "\n\n" + "\n".join(f"{n}. {b.label}" for n, b in enumerate(buttons, 1))
        )
    chunks = split_text(text, capabilities.max_text_chars)
    parts = [OutgoingPart(chunk) for chunk in chunks]
    parts[-1] = OutgoingPart(chunks[-1], shown)
    return parts


def _buttons_of(message: Message) -> list[Button]:
    found = []
    for item in (message.content or {}).get("buttons") or []:
        if isinstance(item, dict) and item.get("label"):
            found.append(Button(str(item["label"]), str(item.get("id") or item["label"])))
    return found


@dataclass
class Delivery:
    """What a reply job must still send, read in one short transaction."""

    send_id: int
    account_id: int
    address: str
    parts: list[OutgoingPart]
    next_part: int
    credentials: Credentials
    adapter: ChannelAdapter

    def retry_key(self, workspace_id: int, message_id: int, index: int) -> str:
        # The same for every attempt at this part: LINE accepts it once (X-Line-Retry-Key).
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sangdam:{workspace_id}:{message_id}:{index}"))


async def prepare_delivery(
    session: AsyncSession, settings: Settings, workspace_id: int, message_id: int
) -> Delivery | None:
    """The parts of a reply not yet accepted by the channel, or None (all sent, or gone)."""
    repository = ChannelRepository(session, workspace_id)
    message = await session.get(Message, message_id)
    if message is None or message.workspace_id != workspace_id:
        return None
    conversation = await session.get(Conversation, message.conversation_id)
    if conversation is None:
        return None
    account_id = (conversation.origin or {}).get("channel_account_id")
    if not account_id:
        return None
    try:
        account = await repository.account(int(account_id))
    except NotFound:
        return None  # the channel was removed since
    identity = await repository.identity_for_contact(account.id, conversation.contact_id)
    if identity is None:
        return None
    adapter = adapter_of(account)
    parts = render_parts(message.body, _buttons_of(message), adapter.capabilities)
    send = await repository.send_for(message.id)
    if send is None:
        send = ChannelSend(message_id=message.id, account_id=account.id, parts_total=len(parts))
        repository.add(send)
        await session.flush()
    if send.status != "sending" or send.parts_sent >= len(parts):
        return None
    return Delivery(
        send_id=send.id,
        account_id=account.id,
        address=identity.address,
        parts=parts,
        next_part=send.parts_sent,
        credentials=credentials_of(settings, account),
        adapter=adapter,
    )


async def record_part(
    session: AsyncSession, workspace_id: int, send_id: int, index: int, external_id: str
) -> None:
    send = await ChannelRepository(session, workspace_id).send(send_id)
    if send is None:
        return
    send.parts_sent = max(send.parts_sent, index + 1)
    send.external_ids = [*(send.external_ids or []), external_id]
    if send.parts_sent >= send.parts_total:
        send.status = "sent"
        send.sent_at = utcnow()
        send.last_error = None


async def record_refusal(
    session: AsyncSession, settings: Settings, workspace_id: int, send_id: int, problem: str
) -> None:
    """The channel refused the reply for good: agents see why, in the conversation."""
    send = await ChannelRepository(session, workspace_id).send(send_id)
    if send is None:
        return
    send.status = "failed"
    send.last_error = problem[:2000]
    message = await session.get(Message, send.message_id)
    account = await session.get(ChannelAccount, send.account_id)
    if message is None or account is None:
        return
    conversation, contact = await conversations.load(
        session, workspace_id, message.conversation_id, for_update=True
    )
    workspace = await session.get(Workspace, workspace_id)
    _ = translator("en" if workspace is not None and workspace.default_locale == "en" else "ko")
    note = _("This reply did not reach the customer on {channel}: {problem}").format(
        channel=KIND_NAMES[account.kind], problem=problem
    )
    max_chars = settings.realtime.max_message_chars
    await messages.send_message(
        session,
        conversation,
        contact,
        sender_type=SenderType.SYSTEM,
        sender_id=None,
        sender_name="Sangdam",
        body=note[:max_chars],
        client_id=None,
        max_chars=max_chars,
        kind=MessageKind.NOTE,
        content={"channel": account.kind, "undelivered_message_id": message.id},
    )
