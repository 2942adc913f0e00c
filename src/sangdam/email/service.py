"""The email channel: agents' replies go out by SMTP, customers' answers thread back in.

Outgoing: an agent's reply (never a note) to a conversation that continues by email
(an offline message with an address, or one that came in by email) becomes a durable
job (``email.reply``). Its Message-ID is derived from workspace, conversation and
message with a per-workspace MAC, so a retried job sends the same Message-ID and the
receiver sees one email; In-Reply-To and References point at the thread so far, and
Reply-To carries the conversation's reply token (``reply+<token>@<inbound domain>``).

Incoming: Sangdam's SMTP listener (``email.tasks``) hands each email here. It lands
in the conversation named by the reply token in the recipient address; otherwise in
the one whose Sangdam Message-ID it answers (In-Reply-To / References); otherwise, if
it was sent to a workspace's email inbox address, it opens a new conversation there;
otherwise it is refused with 550. An unknown reply token is refused outright: it never
falls back to anything else, so a forged token reaches no one. See docs/email.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import User
from sangdam.accounts.service import RESET_MINUTES, mailable, normalise_email
from sangdam.config import EmailSettings, Settings
from sangdam.contacts.models import Contact
from sangdam.contacts.repository import ContactRepository
from sangdam.contacts.schemas import PageContext
from sangdam.conversations import service as conversations
from sangdam.conversations.models import Conversation, Status
from sangdam.email.models import Direction, EmailMessage, EmailThread
from sangdam.email.repository import (
    EmailRepository,
    email_inboxes,
    sent_by_message_ids,
    thread_by_token,
)
from sangdam.inboxes.models import ChannelType, Inbox
from sangdam.jobs.service import enqueue
from sangdam.kit.errors import BadRequest, Conflict, SangdamError
from sangdam.kit.input import clean_text, has_unstorable
from sangdam.kit.secrets import hash_token
from sangdam.members.models import Invitation
from sangdam.messages import service as messages
from sangdam.messages.models import Message, MessageKind, SenderType
from sangdam.routing import service as routing
from sangdam.routing.models import Team
from sangdam.web.i18n import translator
from sangdam.workspaces.models import Workspace

log = logging.getLogger(__name__)
REPLY_JOB = "email.reply"
REPLY_PREFIX = "reply+"
# Earlier messages quoted below a reply, newest first (as Zendesk and Channel.io do): enough
# for the customer to follow the thread, not the whole history of a long conversation.
QUOTED_HISTORY = 10
# Long threads keep the root and the latest ids; mail clients need no more (RFC 5322 3.6.4).
MAX_REFERENCES = 20


# ---- Message-IDs ---------------------------------------------------------------------


def normalise_message_id(value: str) -> str:
    """Without brackets or spaces; an id too long for the column is stored as its hash."""
    value = value.strip().strip("<>").strip()
    if len(value) > 250:
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


def message_ids(header: str | None) -> list[str]:
    """The ``<id>`` items of an In-Reply-To or References header, in order."""
    return [normalise_message_id(m) for m in re.findall(r"<([^<>\s]+)>", str(header or ""))]


def message_id_for(workspace: Workspace, conversation_id: int, message_id: int, domain: str) -> str:
    """Stable for one message (a retried job reuses it) and unforgeable without the secret."""
    mac = hmac.new(
        workspace.identity_secret.encode(),
        f"email-message-id:{workspace.id}:{conversation_id}:{message_id}".encode(),
        hashlib.sha256,
    ).hexdigest()[:24]
    return f"sangdam.{conversation_id}.{message_id}.{mac}@{domain}"


def _references(ids: list[str]) -> list[str]:
    unique = list(dict.fromkeys(ids))
    if len(unique) <= MAX_REFERENCES:
        return unique
    return [unique[0], *unique[-(MAX_REFERENCES - 1) :]]


def _bracketed(ids: list[str]) -> str:
    return " ".join(f"<{i}>" for i in ids)


# ---- outgoing: agents' replies ---------------------------------------------------------


def email_address_of(conversation: Conversation) -> str | None:
    """Where replies to this conversation also go by email, or None for a live chat.

    Offline messages left with an address, and conversations that came in by email.
    (A live widget chat stays in the widget even if the contact has an address.)
    """
    origin = conversation.origin or {}
    if origin.get("offline") or origin.get("channel") == "email":
        address = str(origin.get("email") or "")
        # The offline form checks little; an address that could smuggle recipients is not used.
        return address if mailable(address) else None
    return None


def _subject_from(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[:80] + ("…" if len(first) > 80 else "")


async def ensure_thread(
    session: AsyncSession, conversation: Conversation, address: str, subject: str | None = None
) -> EmailThread:
    repository = EmailRepository(session, conversation.workspace_id)
    thread = await repository.thread(conversation.id)
    if thread is None:
        if subject is None:
            first = await repository.first_contact_message(conversation.id)
            subject = _subject_from(first.body if first else "")
        thread = EmailThread(
            conversation_id=conversation.id,
            reply_token=secrets.token_hex(16),
            address=address,
            subject=subject[:300],
        )
        repository.add(thread)
        await session.flush()
    return thread


class EmailReplies:
    """The email channel's ``ReplyChannel``: an agent's reply is mailed by a durable job."""

    async def send_reply(
        self, session: AsyncSession, conversation: Conversation, contact: Contact, message: Message
    ) -> None:
        address = email_address_of(conversation)
        if address is None:
            return  # an address that could smuggle recipients is never used
        await ensure_thread(session, conversation, address)
        enqueue(
            session,
            REPLY_JOB,
            {"workspace_id": conversation.workspace_id, "message_id": message.id},
            workspace_id=conversation.workspace_id,
        )


EMAIL_REPLIES = EmailReplies()


@dataclass
class Outgoing:
    mime: MimeMessage
    recipients: list[str]


def _language(locale: str | None) -> str:
    return "en" if (locale or "").lower().startswith("en") else "ko"


def _footer(locale: str | None, workspace: Workspace) -> str:
    _ = translator(_language(locale))
    hint: str = _("Reply to this email to continue the conversation.")
    return f"\n\n-- \n{workspace.name}\n{hint}"


def _zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name or "Asia/Seoul")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def quoted_history(
    earlier: list[Message], locale: str | None, workspace: Workspace, contact_name: str
) -> str:
    """The conversation so far, newest first, each message quoted under who wrote it and when
    (in the workspace's time zone) — the customer follows the thread in any mail client."""
    if not earlier:
        return ""
    _ = translator(_language(locale))
    zone = _zone(workspace.timezone)
    blocks = [str(_("Earlier in this conversation:"))]
    for message in earlier:
        if message.sender_type == SenderType.CONTACT.value:
            who = contact_name
        else:
            who = message.sender_name or workspace.name
        when = message.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        quoted = "\n".join(f"> {line}".rstrip() for line in message.body.splitlines())
        blocks.append(f"{who} · {when}\n{quoted}")
    return "\n\n" + "\n\n".join(blocks)


async def prepare_reply(
    session: AsyncSession, settings: EmailSettings, workspace_id: int, message_id: int
) -> Outgoing | None:
    """The email for an agent's reply, recording its Message-ID (once) for threading.

    None when there is nothing to send any more (the message or conversation is gone).
    """
    repository = EmailRepository(session, workspace_id)
    message = await session.get(Message, message_id)
    if message is None or message.workspace_id != workspace_id:
        return None
    conversation = await session.get(Conversation, message.conversation_id)
    workspace = await session.get(Workspace, workspace_id)
    thread = await repository.thread(message.conversation_id)
    if conversation is None or workspace is None or thread is None:
        return None
    contact = await session.get(Contact, conversation.contact_id)
    domain = settings.domain
    row = await repository.for_message(message.id)
    if row is None:
        row = EmailMessage(
            conversation_id=conversation.id,
            message_id=message.id,
            direction=Direction.OUT.value,
            rfc_message_id=message_id_for(workspace, conversation.id, message.id, domain),
        )
        repository.add(row)
        await session.flush()
    earlier = [e.rfc_message_id for e in await repository.emails(conversation.id) if e.id < row.id]
    if (conversation.origin or {}).get("channel") != "email":
        # The thread began in the widget: its first message is the root everyone answers.
        first = await repository.first_contact_message(conversation.id)
        if first is not None:
            earlier.insert(0, message_id_for(workspace, conversation.id, first.id, domain))
    references = _references(earlier)

    mime = MimeMessage(policy=policy.SMTP)
    sender_name = (
        f"{message.sender_name} · {workspace.name}" if message.sender_name else workspace.name
    )
    mime["From"] = Address(display_name=sender_name, addr_spec=settings.from_address)
    mime["To"] = Address(addr_spec=thread.address)
    mime["Reply-To"] = Address(
        display_name=workspace.name, username=REPLY_PREFIX + thread.reply_token, domain=domain
    )
    subject = thread.subject or workspace.name
    mime["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    mime["Date"] = format_datetime(message.created_at)
    mime["Message-ID"] = f"<{row.rfc_message_id}>"
    if references:
        mime["In-Reply-To"] = f"<{references[-1]}>"
        mime["References"] = _bracketed(references)
    locale = contact.locale if contact else None
    earlier_messages = await repository.history(conversation.id, message.seq, QUOTED_HISTORY)
    history = quoted_history(
        earlier_messages, locale, workspace, (contact.name if contact else None) or thread.address
    )
    mime.set_content(message.body + _footer(locale, workspace) + history, charset="utf-8")
    return Outgoing(mime, [thread.address])


async def deliver(settings: EmailSettings, outgoing: Outgoing) -> None:
    """Hand the email to the SMTP server; raises (and the job retries) if it is unreachable."""
    await aiosmtplib.send(
        outgoing.mime,
        sender=settings.from_address,
        recipients=outgoing.recipients,
        hostname=settings.host,
        port=settings.port,
        username=settings.username or None,
        password=settings.password.get_secret_value() or None,
        start_tls=settings.starttls and not settings.use_tls,
        use_tls=settings.use_tls,
        timeout=settings.timeout_seconds,
    )


# ---- outgoing: telling agents about offline messages -----------------------------------
# (enqueued by notifications.inquiry_waiting when an offline message joins a queue)


async def prepare_offline_notice(
    session: AsyncSession,
    settings: Settings,
    workspace_id: int,
    conversation_id: int,
    notice: str | None = None,
) -> Outgoing | None:
    """``notice``: the job's own random id (frozen in its payload), so each notice has its own
    Message-ID — providers drop a second email with an id they saw — and a retried job keeps it.
    """
    conversation = await session.get(Conversation, conversation_id)
    workspace = await session.get(Workspace, workspace_id)
    if conversation is None or workspace is None or conversation.workspace_id != workspace_id:
        return None
    team = await session.get(Team, conversation.team_id) if conversation.team_id else None
    repository = EmailRepository(session, workspace_id)
    people = await repository.recipients(team.id if team else None, team is None or team.everyone)
    addresses = [user.email for _agent, user in people if user.email]
    if not addresses:
        return None
    contact = await session.get(Contact, conversation.contact_id)
    first = await repository.first_contact_message(conversation.id)
    _ = translator(workspace.default_locale if workspace.default_locale in ("ko", "en") else "ko")
    who = (contact.name if contact else None) or (conversation.origin or {}).get("email") or ""
    link = f"{settings.base_url}/inbox/{workspace.id}?c={conversation.id}"
    domain = settings.email.domain
    mime = MimeMessage(policy=policy.SMTP)
    mime["From"] = Address(
        display_name=f"Sangdam · {workspace.name}", addr_spec=settings.email.from_address
    )
    mime["To"] = ", ".join(addresses)
    mime["Subject"] = (
        f"[{workspace.name}] " + _("New offline message") + (f": {who}" if who else "")
    )
    # One per notice; the same for every attempt of its job, so a retry is the same email.
    nonce = re.sub(r"[^0-9a-zA-Z]", "", notice or "") or secrets.token_hex(8)
    notice_id = message_id_for(workspace, conversation.id, -(team.id if team else 0), domain)
    mime["Message-ID"] = f"<notice.{nonce}.{notice_id}>"
    # Machine-sent: auto-responders must not answer it (RFC 3834).
    mime["Auto-Submitted"] = "auto-generated"
    lines = [
        _("A customer left a message while you were away."),
        "",
        f"{_('From')}: {who}" if who else "",
        f"{_('Team')}: {team.name}" if team else "",
        "",
        (first.body if first else conversation.last_message_preview)[:2000],
        "",
        f"{_('Open in Sangdam')}: {link}",
    ]
    mime.set_content("\n".join(line for line in lines if line is not None), charset="utf-8")
    return Outgoing(mime, addresses)


# ---- outgoing: invitations and password resets -------------------------------------------


def _system_email(
    settings: Settings, *, to: str, subject: str, lines: list[str], message_id: str
) -> Outgoing:
    """A short automatic email from Sangdam itself (not from a conversation)."""
    mime = MimeMessage(policy=policy.SMTP)
    mime["From"] = Address(display_name="Sangdam", addr_spec=settings.email.from_address)
    mime["To"] = to
    mime["Subject"] = subject
    # The same for every attempt of the job, so a retry is recognised as the same email.
    mime["Message-ID"] = f"<{message_id}@{settings.email.domain}>"
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content("\n".join(lines), charset="utf-8")
    return Outgoing(mime, [to])


async def prepare_invitation(
    session: AsyncSession, settings: Settings, invitation_id: int, inviter: str, link: str
) -> Outgoing | None:
    """The invitation email, or None when it was accepted or revoked meanwhile."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None or invitation.revoked_at:
        return None
    workspace = await session.get(Workspace, invitation.workspace_id)
    if workspace is None or not mailable(invitation.email):
        return None
    _ = translator("en" if workspace.default_locale == "en" else "ko")
    days = round((invitation.expires_at - invitation.sent_at).total_seconds() / 86400)
    return _system_email(
        settings,
        to=invitation.email,
        subject=_("{inviter} invited you to {workspace} on Sangdam").format(
            inviter=inviter, workspace=workspace.name
        ),
        lines=[
            _("{inviter} invited you to answer customers with the {workspace} team.").format(
                inviter=inviter, workspace=workspace.name
            ),
            "",
            _("Accept the invitation: {link}").format(link=link),
            "",
            _("The link works once and expires in {days} days.").format(days=days),
        ],
        message_id=f"invitation.{invitation.id}.{invitation.send_count}",
    )


async def prepare_password_reset(
    session: AsyncSession, settings: Settings, user_id: int, link: str
) -> Outgoing | None:
    user = await session.get(User, user_id)
    if user is None or not mailable(user.email):
        return None
    _ = translator("en" if user.locale == "en" else "ko")
    return _system_email(
        settings,
        to=user.email,
        subject=_("Set a new Sangdam password"),
        lines=[
            _("Someone (we hope you) asked to set a new password for {email}.").format(
                email=user.email
            ),
            "",
            _("Set a new password: {link}").format(link=link),
            "",
            _(
                "The link works once, for {minutes} minutes. If you did not ask, ignore this "
                "email: your password stays as it is."
            ).format(minutes=RESET_MINUTES),
        ],
        message_id=f"reset.{hash_token(link)[:32]}",
    )


async def prepare_survey_email(
    session: AsyncSession, settings: Settings, conversation: Conversation, name: str, link: str
) -> Outgoing | None:
    """A post-chat survey's email: its one-time link, in the customer's language, to the
    conversation's address (None when it has none that can be mailed)."""
    address = email_address_of(conversation)
    workspace = await session.get(Workspace, conversation.workspace_id)
    if address is None or workspace is None:
        return None
    contact = await session.get(Contact, conversation.contact_id)
    _ = translator(_language(contact.locale if contact else workspace.default_locale))
    return _system_email(
        settings,
        to=address,
        subject=f"[{workspace.name}] " + _("How did we do?"),
        lines=[
            _("Thank you for talking with {workspace}. Could you answer a short survey?").format(
                workspace=workspace.name
            ),
            "",
            f"{name}: {link}",
            "",
            _("The link works once."),
        ],
        # One per send: a second delivery of the same send is the same email.
        message_id=f"survey.{hash_token(link)[:32]}",
    )


# ---- the workspace's email inbox -------------------------------------------------------


async def workspace_email_inbox(session: AsyncSession, workspace_id: int) -> Inbox | None:
    return next((i for i in await email_inboxes(session) if i.workspace_id == workspace_id), None)


async def set_email_inbox(
    session: AsyncSession, settings: EmailSettings, workspace_id: int, address: str, name: str
) -> Inbox:
    """The address that opens new conversations by email. It names its workspace, so
    two workspaces can never share one (else one would read the other's customers)."""
    address = normalise_email(address)
    local = address.rpartition("@")[0]
    if local.startswith(REPLY_PREFIX) or not local:
        raise BadRequest(
            "Addresses starting with {prefix!r} are the reply addresses of conversations; "
            "choose another, such as support@{domain}.",
            values={"prefix": REPLY_PREFIX, "domain": settings.domain},
        )
    inboxes = await email_inboxes(session)
    if any(
        i.workspace_id != workspace_id and str(i.config.get("address", "")).lower() == address
        for i in inboxes
    ):
        raise Conflict(
            "{address} is already used by another workspace; choose another address.",
            values={"address": address},
        )
    inbox = next((i for i in inboxes if i.workspace_id == workspace_id), None)
    if inbox is None:
        inbox = Inbox(
            workspace_id=workspace_id,
            name=name,
            channel_type=ChannelType.EMAIL.value,
            public_key=f"sde_{secrets.token_urlsafe(16)}",
            config={},
        )
        session.add(inbox)
    inbox.name = name.strip()
    inbox.config = {**(inbox.config or {}), "address": address}
    await session.flush()
    return inbox


# ---- incoming ------------------------------------------------------------------------


class InboundRejected(SangdamError):
    """An email Sangdam won't take; ``reply`` is the SMTP answer (code and text)."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply, code="email_rejected")
        self.reply = reply


@dataclass
class InboundEmail:
    rfc_message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    # In-Reply-To first, then References from the newest back.
    answers: list[str] = field(default_factory=list)
    # Why it is an automatic reply (out of office, vacation, bounce), or "" for a person's email.
    automatic: str = ""
    # Files attached to it (not stored yet: the agent is told how many there were).
    attachments: int = 0


class _HtmlText(HTMLParser):
    """Visible text of an HTML-only email; quoted blocks and scripts are left out."""

    SKIP = frozenset({"blockquote", "script", "style", "head", "title"})
    BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return re.sub(r"[ \t]+", " ", "".join(parser.parts))


# Where the quoted earlier message starts, as Gmail, Apple Mail, Outlook and Naver write it.
_QUOTE_STARTS = (
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^.{0,300}(님이|님께서)\s*작성(했습니다|하셨습니다)?\s*:\s*$", re.DOTALL),
    re.compile(r"^\s*\d{4}\s*년.{0,300}작성\s*:\s*$", re.DOTALL),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Forwarded message|원본 메시지|원래 메시지|전달된 메시지)\s*-{2,}\s*$",
        re.IGNORECASE,
    ),
    re.compile(r"^_{10,}\s*$"),
)
_OUTLOOK_HEADER = re.compile(r"^\s*(From|보낸 사람)\s*:\s*\S")
_OUTLOOK_NEXT = re.compile(r"^\s*(Sent|Date|To|Subject|보낸 날짜|받는 사람|제목)\s*:")


def strip_quoted(text: str) -> str:
    """The new part of a reply: without the quoted thread, ``>`` lines or the signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if any(p.match(line) for p in _QUOTE_STARTS):
            break
        # "On Tue, 1 Dec 2026 at 15:00, Name <addr>\nwrote:" wraps over two lines.
        if following.strip() and any(p.match(f"{line} {following}") for p in _QUOTE_STARTS[:3]):
            break
        if _OUTLOOK_HEADER.match(line) and _OUTLOOK_NEXT.match(following):
            break
        if line.rstrip() == "--":  # "-- " opens the signature (RFC 3676 4.3)
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def parse_inbound(raw: bytes) -> InboundEmail:
    """The parts of an email Sangdam uses; malformed mail is refused with an SMTP reply."""
    try:
        mail = BytesParser(policy=policy.default).parsebytes(raw)
        from_header = str(mail.get("From", ""))
        subject = " ".join(str(mail.get("Subject", "")).split())[:300]
        message_id = str(mail.get("Message-ID", ""))
        in_reply_to = str(mail.get("In-Reply-To", ""))
        references = str(mail.get("References", ""))
    except Exception:
        raise InboundRejected("550 5.6.0 The email's headers could not be read.") from None
    if mail.defects and not from_header:
        raise InboundRejected("550 5.6.0 The email is malformed.")
    addresses = getaddresses([from_header])
    if len(addresses) != 1 or "@" not in addresses[0][1]:
        raise InboundRejected("550 5.6.0 The email needs exactly one sender in its From header.")
    name, address = addresses[0]
    sender = address.strip().lower()
    if not mailable(sender) or has_unstorable(sender):
        raise InboundRejected("550 5.6.0 The sender's address is not valid.")
    body = mail.get_body(preferencelist=("plain", "html"))
    if body is None:
        raise InboundRejected("550 5.6.0 The email has no text part.")
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError):
        raise InboundRejected("550 5.6.0 The email's text could not be decoded.") from None
    if not isinstance(content, str):
        raise InboundRejected("550 5.6.0 The email has no text part.")
    if body.get_content_subtype() == "html":
        content = html_to_text(content)
    automatic = automatic_reply(mail)
    attachments = sum(1 for _ in mail.iter_attachments()) if mail.is_multipart() else 0
    text = strip_quoted(content)
    if not text and not automatic:
        raise InboundRejected("550 5.6.0 The email has no new text, only quoted lines.")
    usable = message_id_ok(message_id) and not has_unstorable(message_id)
    rfc_id = normalise_message_id(message_id) if usable else ""
    if not rfc_id:
        # Without a Message-ID the content itself tells a repeated delivery.
        rfc_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    answers = message_ids(in_reply_to) + list(reversed(message_ids(references)))
    return InboundEmail(
        rfc_message_id=rfc_id,
        sender=sender,
        # Raw 8-bit headers decode to lone surrogates: the text rule, as for every entry.
        sender_name=clean_text(" ".join(name.split())[:200]),
        subject=clean_text(subject),
        text=clean_text(text),
        answers=[a for a in dict.fromkeys(answers) if not has_unstorable(a)],
        automatic=automatic,
        attachments=attachments,
    )


# Subjects mail systems give their automatic replies (checked only at the start).
_AUTO_WORDS = (
    r"auto(matic)?[ -]?(reply|response|antwort)|auto|autoreply|out of (the )?office|ooo"
    r"|away from (the )?office|vacation( reply)?|abwesenheit(snotiz)?|r[ée]ponse automatique"
    r"|respuesta automática|risposta automatica|自动回复|自動返信|不在|부재\s*중?|자동\s*(회신|응답|답장)"
)
# "Automatic reply: …", "[부재중] …", "Out of Office - …": the words as a label, not a sentence
# ("부재중 전화 문의" or "Vacation rental question" are people writing). Delivery reports too.
_AUTOMATIC_SUBJECTS = re.compile(
    rf"^\s*(\[\s*({_AUTO_WORDS})\s*\]|\(\s*({_AUTO_WORDS})\s*\)|({_AUTO_WORDS})\s*[:：\-–]"
    r"|delivery status notification|undeliver(ed|able)\b|mail delivery (failed|failure)"
    r"|returned mail\b)",
    re.IGNORECASE,
)


def automatic_reply(mail: Any) -> str:
    """Why an email was sent by a machine rather than a person, or "".

    RFC 3834 (``Auto-Submitted`` other than ``no``), then what mail systems really send:
    ``X-Autoreply`` / ``X-Autorespond`` (Gmail, Yahoo, cPanel), Exchange's
    ``X-MS-Exchange-Inbox-Rules-Loop`` and ``X-Auto-Response-Suppress``-free auto replies marked by
    ``Precedence: auto_reply | bulk | junk``, delivery reports, and the subjects auto-responders
    use (Outlook's "Automatic reply:", Naver's "부재중", Gmail's vacation responder).
    """
    auto_submitted = str(mail.get("Auto-Submitted", "") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted[:40]}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if mail.get(header) is not None:
            return header
    if mail.get("X-MS-Exchange-Inbox-Rules-Loop") is not None:
        return "X-MS-Exchange-Inbox-Rules-Loop"
    precedence = str(mail.get("Precedence", "") or "").strip().lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        return f"Precedence: {precedence}"
    if mail.get_content_type() == "multipart/report":
        return "delivery report"
    if _AUTOMATIC_SUBJECTS.match(" ".join(str(mail.get("Subject", "") or "").split())):
        return "subject"
    return ""


def message_id_ok(value: str) -> bool:
    return bool(re.fullmatch(r"\s*<[^<>\s]+@[^<>\s]+>\s*", value or ""))


@dataclass
class Target:
    workspace_id: int
    conversation_id: int | None = None
    inbox: Inbox | None = None


def _token_of(address: str, settings: EmailSettings) -> str | None:
    local, _, domain = address.lower().rpartition("@")
    if domain == settings.domain and local.startswith(REPLY_PREFIX):
        return local[len(REPLY_PREFIX) :]
    return None


async def _inbox_for(session: AsyncSession, address: str) -> Inbox | None:
    wanted = address.lower()
    for inbox in await email_inboxes(session):
        if str((inbox.config or {}).get("address", "")).lower() == wanted:
            return inbox
    return None


async def accepts_recipient(session: AsyncSession, settings: EmailSettings, address: str) -> bool:
    """Checked at RCPT: a live reply token, an address at the inbound domain or an email inbox."""
    _, _, domain = parseaddr(address)[1].lower().rpartition("@")
    token = _token_of(address, settings)
    if token is not None:
        return await thread_by_token(session, token) is not None
    return domain == settings.domain or await _inbox_for(session, address) is not None


async def resolve(
    session: AsyncSession, settings: EmailSettings, recipient: str, email: InboundEmail
) -> Target | None:
    token = _token_of(recipient, settings)
    if token is not None:
        thread = await thread_by_token(session, token)
        return Target(thread.workspace_id, thread.conversation_id) if thread else None
    inbox = await _inbox_for(session, recipient)
    sent = {e.rfc_message_id: e for e in await sent_by_message_ids(session, email.answers)}
    for rfc_id in email.answers:
        match = sent.get(rfc_id)
        # Sent to a workspace's own address, the answer may only thread into that workspace.
        if match is not None and (inbox is None or match.workspace_id == inbox.workspace_id):
            return Target(match.workspace_id, match.conversation_id)
    if inbox is not None:
        return Target(inbox.workspace_id, inbox=inbox)
    return None


@dataclass
class Delivery:
    # None: an automatic reply that named no conversation (it was dropped).
    conversation_id: int | None
    message_id: int | None
    created: bool


async def _system_note(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    text: str,
    max_chars: int,
    content: dict[str, Any],
) -> tuple[Message, bool]:
    """A line only agents see, by Sangdam itself: it reopens nothing and notifies no one."""
    return await messages.send_message(
        session,
        conversation,
        contact,
        sender_type=SenderType.SYSTEM,
        sender_id=None,
        sender_name="Sangdam",
        body=text[:max_chars],
        client_id=None,
        max_chars=max_chars,
        kind=MessageKind.NOTE,
        content=content,
    )


async def _note_language(session: AsyncSession, workspace_id: int) -> str:
    workspace = await session.get(Workspace, workspace_id)
    return "en" if workspace is not None and workspace.default_locale == "en" else "ko"


async def _receive_automatic(
    session: AsyncSession, settings: Settings, target: Target, email: InboundEmail
) -> Delivery:
    """An out-of-office or other automatic reply: kept as a collapsed note in the conversation
    it answers, never as the customer's message — it reopens nothing and tells no one."""
    repository = EmailRepository(session, target.workspace_id)
    if target.conversation_id is None:
        # Sent to the inbox address without naming a conversation: nothing to open for it.
        log.info("automatic email %s (%s) dropped", email.rfc_message_id, email.automatic)
        return Delivery(None, None, False)
    conversation, contact = await conversations.load(
        session, target.workspace_id, target.conversation_id, for_update=True
    )
    duplicate = await repository.received(email.rfc_message_id)
    if duplicate is not None:
        return Delivery(duplicate.conversation_id, duplicate.message_id, False)
    _ = translator(await _note_language(session, target.workspace_id))
    headline = _("Automatic reply from {sender} (not shown to the team as a message): {subject}")
    text = headline.format(sender=email.sender, subject=email.subject or "-")
    if email.text:
        text += "\n\n" + email.text
    note, _created = await _system_note(
        session,
        conversation,
        contact,
        text,
        settings.realtime.max_message_chars,
        {"channel": "email", "automatic": email.automatic, "collapsed": True},
    )
    repository.add(
        EmailMessage(
            conversation_id=conversation.id,
            message_id=note.id,
            direction=Direction.IN.value,
            rfc_message_id=email.rfc_message_id,
        )
    )
    await session.flush()
    return Delivery(conversation.id, note.id, True)


async def receive_email(
    session: AsyncSession, settings: Settings, recipient: str, email: InboundEmail
) -> Delivery:
    """Store a customer's email as their message, once, and queue the conversation for a person."""
    target = await resolve(session, settings.email, recipient, email)
    if target is None:
        raise InboundRejected(
            "550 5.1.1 This address does not lead to a conversation. Reply to the email you received."
        )
    if email.automatic:
        return await _receive_automatic(session, settings, target, email)
    repository = EmailRepository(session, target.workspace_id)
    duplicate = await repository.received(email.rfc_message_id)
    if duplicate is not None:
        return Delivery(duplicate.conversation_id, duplicate.message_id, False)
    text = email.text[: settings.realtime.max_message_chars]
    content: dict[str, Any] = {"channel": "email", "from": email.sender, "subject": email.subject}
    if email.attachments:
        content["attachments"] = email.attachments
    if target.conversation_id is not None:
        conversation, contact = await conversations.load(
            session, target.workspace_id, target.conversation_id, for_update=True
        )
        # Another delivery of it may have committed while we waited for the lock.
        duplicate = await repository.received(email.rfc_message_id)
        if duplicate is not None:
            return Delivery(duplicate.conversation_id, duplicate.message_id, False)
        message, _ = await messages.send_as_contact(
            session,
            conversation,
            contact,
            body=text,
            client_id=None,
            max_chars=settings.realtime.max_message_chars,
            content=content,
        )
    else:
        assert target.inbox is not None
        conversation, contact, message = await _new_conversation(
            session, settings, target.inbox, email, text, content
        )
    repository.add(
        EmailMessage(
            conversation_id=conversation.id,
            message_id=message.id,
            direction=Direction.IN.value,
            rfc_message_id=email.rfc_message_id,
        )
    )
    await session.flush()
    if email.attachments:
        _ = translator(await _note_language(session, target.workspace_id))
        await _system_note(
            session,
            conversation,
            contact,
            _(
                "This email had {count} attachment(s); Sangdam does not keep attachments yet. "
                "Ask the customer to send them another way if you need them."
            ).format(count=email.attachments),
            settings.realtime.max_message_chars,
            {"channel": "email", "attachments": email.attachments},
        )
    if conversation.status == Status.BOT.value:
        # Email has no bot: whoever writes back by email wants a person.
        conversation.status = Status.OPEN.value
        conversation.bot_state = {}
        conversation.handed_off_at = conversation.handed_off_at or message.created_at
    if (
        conversation.status == Status.OPEN.value
        and conversation.assignee_id is None
        and conversation.queued_at is None
    ):
        await routing.enqueue(session, conversation, contact)
    return Delivery(conversation.id, message.id, True)


async def _new_conversation(
    session: AsyncSession,
    settings: Settings,
    inbox: Inbox,
    email: InboundEmail,
    text: str,
    content: dict[str, Any],
) -> tuple[Conversation, Contact, Message]:
    repository = EmailRepository(session, inbox.workspace_id)
    contact = await repository.contact_by_email(email.sender)
    if contact is None:
        contact = Contact(email=email.sender, name=email.sender_name or None)
        ContactRepository(session, inbox.workspace_id).add(contact)
        await session.flush()
    conversation, message = await conversations.start_conversation(
        session,
        inbox,
        contact,
        body=text,
        client_id=None,
        context=PageContext(),
        max_chars=settings.realtime.max_message_chars,
        content=content,
        extra_origin={"channel": "email", "email": email.sender, "subject": email.subject},
    )
    await ensure_thread(session, conversation, email.sender, email.subject or _subject_from(text))
    return conversation, contact, message
