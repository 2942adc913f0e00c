"""Email's background work: the outgoing jobs, and the SMTP listener for customers' replies.

The listener is Sangdam's inbound endpoint for email, as thin as an HTTP handler: it
checks each recipient at RCPT (550 for an address that leads nowhere), caps the size
(552 past ``max_inbound_bytes``), then hands the email to ``service.receive_email`` in
one transaction per recipient. Events go out after commit, so the inbox updates live.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.service import PASSWORD_RESET_EMAIL
from sangdam.config import Settings
from sangdam.db import Database
from sangdam.email import service
from sangdam.jobs.service import handler
from sangdam.kit.errors import TooManyRequests
from sangdam.kit.ratelimit import PublicLimits
from sangdam.members.service import INVITATION_EMAIL
from sangdam.notifications.service import OFFLINE_MESSAGE_EMAIL

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 10


@handler(service.REPLY_JOB)
async def send_reply(db: Database, payload: dict[str, Any]) -> None:
    settings = db.settings.email
    if not settings.sending:
        log.warning("email is not configured (SANGDAM_EMAIL__HOST); reply %s not mailed", payload)
        return
    async with db.transaction() as session:
        outgoing = await service.prepare_reply(
            session, settings, int(payload["workspace_id"]), int(payload["message_id"])
        )
    if outgoing is not None:
        await service.deliver(settings, outgoing)


Prepare = Callable[[AsyncSession], Awaitable[service.Outgoing | None]]


async def _mail(db: Database, prepare: Prepare) -> None:
    """Build an email from the database and send it (nothing when email is not set up, or
    when there is nothing to send any more)."""
    if not db.settings.email.sending:
        return
    async with db.read() as session:
        outgoing = await prepare(session)
    if outgoing is not None:
        await service.deliver(db.settings.email, outgoing)


@handler(OFFLINE_MESSAGE_EMAIL)
async def send_offline_notice(db: Database, payload: dict[str, Any]) -> None:
    workspace_id, conversation_id = int(payload["workspace_id"]), int(payload["conversation_id"])
    await _mail(
        db,
        lambda session: service.prepare_offline_notice(
            session, db.settings, workspace_id, conversation_id, payload.get("notice")
        ),
    )


@handler(INVITATION_EMAIL)
async def send_invitation(db: Database, payload: dict[str, Any]) -> None:
    if "secret_link" not in payload:
        return  # a finished job's copy: the link is gone with it
    invitation_id, link = int(payload["invitation_id"]), str(payload["secret_link"])
    inviter = str(payload.get("inviter") or "")
    await _mail(
        db,
        lambda session: service.prepare_invitation(
            session, db.settings, invitation_id, inviter, link
        ),
    )


@handler(PASSWORD_RESET_EMAIL)
async def send_password_reset(db: Database, payload: dict[str, Any]) -> None:
    if "secret_link" not in payload:
        return
    user_id, link = int(payload["user_id"]), str(payload["secret_link"])
    await _mail(
        db, lambda session: service.prepare_password_reset(session, db.settings, user_id, link)
    )


class InboundHandler:
    """aiosmtpd hooks: ``handle_RCPT`` and ``handle_DATA`` return the SMTP reply line."""

    def __init__(
        self, db: Database, settings: Settings, limits: PublicLimits | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.limits = limits

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients in one email."
        async with self.db.read() as db_session:
            known = await service.accepts_recipient(db_session, self.settings.email, address)
        if not known:
            return "550 5.1.1 No such mailbox here. Reply to the email you received from us."
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            email = service.parse_inbound(raw)
        except service.InboundRejected as rejected:
            return rejected.reply
        refusal = None
        delivered = 0
        for recipient in envelope.rcpt_tos:
            try:
                await self._deliver(recipient, email)
                delivered += 1
            except service.InboundRejected as rejected:
                refusal = refusal or rejected.reply
            except TooManyRequests as limited:
                # Temporary: the sending server keeps the email and tries again later.
                refusal = refusal or f"451 4.7.1 {limited.message}"
            except Exception:
                log.exception("inbound email %s failed", email.rfc_message_id)
                refusal = refusal or "451 4.3.0 Temporary failure; please try again later."
        if delivered or refusal is None:
            return "250 2.0.0 Message accepted"
        return refusal

    async def _deliver(self, recipient: str, email: service.InboundEmail) -> None:
        if self.limits is not None:
            async with self.db.read() as session:
                target = await service.resolve(session, self.settings.email, recipient, email)
            if target is not None:
                await self.limits.email(email.sender, target.workspace_id)
        for attempt in range(2):
            try:
                async with self.db.transaction() as session:
                    await service.receive_email(session, self.settings, recipient, email)
                return
            except IntegrityError:
                # A second delivery of the same email committed first: the retry finds it.
                if attempt:
                    raise


async def start_listener(
    db: Database, settings: Settings, limits: PublicLimits | None = None
) -> asyncio.Server:
    """Listen for customers' emails on ``settings.email.listen_host:listen_port``."""
    inbound = InboundHandler(db, settings, limits)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            inbound,
            data_size_limit=settings.email.max_inbound_bytes,
            enable_SMTPUTF8=True,
            hostname=settings.email.domain,
            ident="Sangdam",
            timeout=60,
        ),
        host=settings.email.listen_host,
        port=settings.email.listen_port,
    )
