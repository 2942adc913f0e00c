"""Contacts: visitors as they arrive, their credentials and the context they report."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact, VisitorToken
from sangdam.contacts.repository import ContactRepository, visitor_by_token_hash
from sangdam.contacts.schemas import ContactOut, PageContext
from sangdam.db import utcnow
from sangdam.errors import Unauthorized
from sangdam.events.schemas import Event, EventType
from sangdam.events.service import emit
from sangdam.inboxes.models import Inbox
from sangdam.kit.secrets import hash_token, new_token
from sangdam.kit.useragent import parse_user_agent


def apply_context(contact: Contact, context: PageContext, user_agent: str | None) -> None:
    if context.url:
        contact.current_url = context.url
        contact.current_title = context.title
    if context.referrer:
        contact.referrer = context.referrer
    if context.locale:
        contact.locale = context.locale
    if context.timezone:
        contact.timezone = context.timezone
    if user_agent:
        info = parse_user_agent(user_agent[:512])
        contact.user_agent = user_agent[:512]
        contact.device, contact.os, contact.browser = info.device, info.os, info.browser
    contact.last_seen_at = utcnow()


async def create_visitor(
    session: AsyncSession, inbox: Inbox, context: PageContext, user_agent: str | None
) -> tuple[str, Contact]:
    """A new anonymous contact and the token its widget keeps (returned once)."""
    contact = Contact(attributes={})
    apply_context(contact, context, user_agent)
    ContactRepository(session, inbox.workspace_id).add(contact)
    await session.flush()
    token = new_token("sdv")
    session.add(
        VisitorToken(
            workspace_id=inbox.workspace_id,
            contact_id=contact.id,
            inbox_id=inbox.id,
            token_hash=hash_token(token),
        )
    )
    return token, contact


async def authenticate_visitor(session: AsyncSession, token: str) -> tuple[VisitorToken, Contact]:
    found = await visitor_by_token_hash(session, hash_token(token)) if token else None
    if found is None:
        raise Unauthorized(
            "This chat session is not valid any more. Reload the page to start a new one.",
            code="bad_visitor_token",
        )
    return found


async def record_visit(
    session: AsyncSession, contact: Contact, context: PageContext, user_agent: str | None
) -> None:
    """A returning visitor opened a page: update where they are and tell the inbox."""
    previous_seen = contact.last_seen_at
    apply_context(contact, context, user_agent)
    # A new visit after half an hour away, as web analytics count it.
    if (contact.last_seen_at - previous_seen).total_seconds() > 30 * 60:
        contact.visits += 1
    emit(
        session,
        Event(
            type=EventType.CONTACT_UPDATED,
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            data={"contact": ContactOut.model_validate(contact).model_dump(mode="json")},
        ),
    )
