"""Contacts: visitors as they arrive, their credentials, the context they report,
the member identity the company's backend signs, and what they do on the site.

Identity model (docs/customers.md): ``memberHash`` = hex HMAC-SHA256(memberId, the
workspace's secret) proves only the member id, forever (like Intercom's and
Channel.io's classic verification); name, email and profile from the page stay
claims. ``memberToken`` signs everything it carries and expires. An identity that
fails either check never touches a verified contact.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.service import normalise_email
from sangdam.contacts.models import Contact, ContactEvent, VisitorToken
from sangdam.contacts.repository import (
    ContactEventRepository,
    ContactRepository,
    visitor_by_token_hash,
)
from sangdam.contacts.schemas import (
    KEY_PATTERN,
    MAX_ATTRIBUTE_TEXT,
    MAX_ATTRIBUTES,
    MAX_PROFILE_BYTES,
    ContactOut,
    IdentifyIn,
    PageContext,
    TrackIn,
    check_flat_object,
)
from sangdam.db import utcnow
from sangdam.events.schemas import Event, EventType
from sangdam.events.service import emit
from sangdam.inboxes.models import Inbox
from sangdam.kit.errors import BadRequest, TooManyRequests, Unauthorized
from sangdam.kit.input import clean_json
from sangdam.kit.secrets import hash_token, new_token
from sangdam.kit.useragent import parse_user_agent
from sangdam.reactions.schemas import AttributesChanged
from sangdam.reactions.service import react
from sangdam.workspaces.models import Workspace

log = logging.getLogger(__name__)
PAGE_VIEW = "page_view"
TRACKED = "event"


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


def _issue_token(session: AsyncSession, contact: Contact, inbox_id: int) -> str:
    token = new_token("sdv")
    session.add(
        VisitorToken(
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            inbox_id=inbox_id,
            token_hash=hash_token(token),
        )
    )
    return token


def record_page_view(session: AsyncSession, contact: Contact, context: PageContext) -> None:
    if not context.url:
        return
    session.add(
        ContactEvent(
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            kind=PAGE_VIEW,
            name=PAGE_VIEW,
            props={},
            url=context.url,
            title=context.title,
        )
    )


async def create_visitor(
    session: AsyncSession, inbox: Inbox, context: PageContext, user_agent: str | None
) -> tuple[str, Contact]:
    """A new anonymous contact and the token its widget keeps (returned once)."""
    contact = Contact(attributes={}, signed_keys=[])
    apply_context(contact, context, user_agent)
    ContactRepository(session, inbox.workspace_id).add(contact)
    await session.flush()
    record_page_view(session, contact, context)
    return _issue_token(session, contact, inbox.id), contact


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
    record_page_view(session, contact, context)
    emit_contact_updated(session, contact)


def emit_contact_updated(session: AsyncSession, contact: Contact) -> None:
    emit(
        session,
        Event(
            type=EventType.CONTACT_UPDATED,
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            data={"contact": ContactOut.model_validate(contact).model_dump(mode="json")},
        ),
    )


# ---- identified members --------------------------------------------------------------


def member_hash(secret: str, member_id: str) -> str:
    """What the company's backend computes: hex HMAC-SHA256 of the member id."""
    return hmac.new(secret.encode(), member_id.encode(), hashlib.sha256).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def member_token(secret: str, claims: dict[str, Any]) -> str:
    """An expiring signed identity: base64url(JSON claims) "." hex HMAC-SHA256 of the first part.

    ``claims``: memberId, exp (Unix seconds), optional name, email and profile. Shown
    here so tests and docs use the exact format a backend must produce.
    """
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{signature}"


@dataclass
class Identity:
    member_id: str | None
    verified: bool
    name: str | None = None
    email: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    # Which of the fields above were signed (memberToken) rather than claimed.
    signed: frozenset[str] = frozenset()
    problem: str | None = None


def _read_member_token(secret: str, token: str, max_seconds: int) -> dict[str, Any] | str:
    """The token's claims, or why it is refused (bad_token, expired_token)."""
    payload, _, signature = token.partition(".")
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        return "bad_token"
    try:
        # Signed, but still text that enters: the same rule as every entry point.
        claims = clean_json(
            json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        )
    except (ValueError, binascii.Error):
        return "bad_token"
    if not isinstance(claims, dict) or not isinstance(claims.get("memberId"), str):
        return "bad_token"
    exp = claims.get("exp")
    now = utcnow().timestamp()
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
        return "expired_token"
    if exp - now > max_seconds:
        # A token valid for years would be a static hash again.
        return "bad_token"
    return claims


def verify_identity(
    secret: str, payload: IdentifyIn, *, token_max_seconds: int, require_token: bool = False
) -> Identity:
    """Decide what ``Sangdam.boot`` proves. Constant-time comparisons throughout.

    ``require_token`` (the workspace's "require memberToken"): a bare memberHash never
    expires, so one copied from a page would open the member's history forever; with it
    on, only a signed, expiring memberToken verifies (problem ``token_required``).
    """
    claimed = Identity(
        member_id=payload.member_id,
        verified=False,
        name=payload.name,
        email=payload.email,
        profile=payload.profile,
    )
    if payload.member_token:
        claims = _read_member_token(secret, payload.member_token, token_max_seconds)
        if isinstance(claims, str):
            claimed.problem = claims
            return claimed
        try:
            profile = check_flat_object(
                claims.get("profile"),
                what="memberToken profile",
                max_keys=MAX_ATTRIBUTES,
                max_bytes=MAX_PROFILE_BYTES,
                max_text=MAX_ATTRIBUTE_TEXT,
            )
        except ValueError:
            claimed.problem = "bad_token"
            return claimed
        member_id = str(claims["memberId"])[:200]
        if payload.member_id is not None and payload.member_id != member_id:
            claimed.problem = "bad_token"
            return claimed
        name, email = claims.get("name"), claims.get("email")
        signed = {f"profile.{key}" for key in profile} | {"member_id"}
        signed |= {"name"} if isinstance(name, str) else set()
        signed |= {"email"} if isinstance(email, str) else set()
        # Unsigned extras from the page are kept as claims; signed values win.
        return Identity(
            member_id=member_id,
            verified=True,
            name=name[:200] if isinstance(name, str) else payload.name,
            email=email[:320] if isinstance(email, str) else payload.email,
            profile={**payload.profile, **profile},
            signed=frozenset(signed),
        )
    if payload.member_id is None:
        return claimed
    if not payload.member_hash:
        claimed.problem = "missing_hash"
        return claimed
    if require_token:
        claimed.problem = "token_required"
        return claimed
    expected = member_hash(secret, payload.member_id)
    if not hmac.compare_digest(expected.encode(), payload.member_hash.strip().lower().encode()):
        claimed.problem = "bad_hash"
        return claimed
    return Identity(
        member_id=payload.member_id,
        verified=True,
        name=payload.name,
        email=payload.email,
        profile=payload.profile,
        signed=frozenset({"member_id"}),
    )


def _apply_identity(contact: Contact, identity: Identity) -> None:
    """Store name, email and profile; a claim never overwrites a signed value."""
    signed_keys = set(contact.signed_keys or [])
    attributes = dict(contact.attributes or {})

    def put(key: str, value: Any, is_signed: bool, assign: Any) -> None:
        if value is None or (key in signed_keys and not is_signed):
            return
        assign(value)
        if is_signed:
            signed_keys.add(key)
        else:
            signed_keys.discard(key)

    put("name", identity.name, "name" in identity.signed, lambda v: setattr(contact, "name", v))
    email = identity.email
    if email is not None:
        try:
            email = normalise_email(email)
        except BadRequest:
            email = None
    put("email", email, "email" in identity.signed, lambda v: setattr(contact, "email", v))
    for key, value in identity.profile.items():
        put(
            key,
            value,
            f"profile.{key}" in identity.signed,
            lambda v, k=key: attributes.__setitem__(k, v),
        )
    if len(attributes) > MAX_ATTRIBUTES:
        raise BadRequest(
            "This customer would have more than {limit} attributes. Send fewer profile keys.",
            code="too_many_attributes",
            values={"limit": MAX_ATTRIBUTES},
        )
    contact.attributes = attributes
    contact.signed_keys = sorted(signed_keys)


def _copy_browser(source: Contact) -> Contact:
    """A new contact for the same browser: its context, none of its identity."""
    return Contact(
        workspace_id=source.workspace_id,
        attributes={},
        signed_keys=[],
        locale=source.locale,
        timezone=source.timezone,
        user_agent=source.user_agent,
        device=source.device,
        os=source.os,
        browser=source.browser,
        current_url=source.current_url,
        current_title=source.current_title,
        referrer=source.referrer,
    )


async def identify_visitor(
    session: AsyncSession,
    visitor_token: VisitorToken,
    contact: Contact,
    payload: IdentifyIn,
    *,
    token_max_seconds: int,
) -> tuple[str | None, Contact, Identity]:
    """Apply ``Sangdam.boot``. Returns (a new visitor token or None, the contact, identity).

    Verified: the browser now speaks for the one contact of that member id (found,
    or this anonymous contact promoted, or created). Not verified: the claims are
    stored on an anonymous contact; a verified contact is never touched.
    """
    workspace = await session.get(Workspace, contact.workspace_id)
    assert workspace is not None
    identity = verify_identity(
        workspace.identity_secret,
        payload,
        token_max_seconds=token_max_seconds,
        require_token=workspace.require_member_token,
    )
    repository = ContactRepository(session, contact.workspace_id)
    if identity.verified:
        assert identity.member_id is not None
        target = await repository.by_member_id(identity.member_id)
        if target is None:
            target = contact if contact.member_id is None else _copy_browser(contact)
            target.member_id = identity.member_id
            target.verified_at = utcnow()
            target.claimed_member_id = None
    else:
        if payload.member_id is not None:
            log.info(
                "unverified member boot in workspace %s: %s", contact.workspace_id, identity.problem
            )
        target = contact if contact.member_id is None else _copy_browser(contact)
        if identity.member_id is not None:
            target.claimed_member_id = identity.member_id
    before = dict(target.attributes or {})
    _apply_identity(target, identity)
    target.last_seen_at = utcnow()
    if target not in session:  # a new contact for this browser
        repository.add(target)
        await session.flush()
    after = target.attributes or {}
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    if changed:
        await react(session, AttributesChanged(target, frozenset(changed)))
    token = (
        None if target.id == contact.id else _issue_token(session, target, visitor_token.inbox_id)
    )
    emit_contact_updated(session, target)
    return token, target, identity


def require_member_token(workspace: Workspace, required: bool) -> None:
    """Accept only memberToken from now on (or memberHash again). Nothing else changes:
    contacts verified earlier stay verified; their next boot needs a token."""
    workspace.require_member_token = required


def rotate_identity_secret(workspace: Workspace) -> str:
    """A new secret: every memberHash and memberToken signed with the old one stops working."""
    workspace.identity_secret = secrets.token_hex(32)
    return workspace.identity_secret


# ---- events ---------------------------------------------------------------------------


async def track_event(
    session: AsyncSession, contact: Contact, payload: TrackIn, *, per_minute: int
) -> ContactEvent:
    """``Sangdam.track(event, props)``: stored on the contact's timeline, rate limited."""
    events = ContactEventRepository(session, contact.workspace_id)
    recent = await events.count_since(contact.id, TRACKED, utcnow() - dt.timedelta(minutes=1))
    if recent >= per_minute:
        raise TooManyRequests(
            "More than {limit} events a minute from one visitor; slow down the page's "
            "Sangdam.track calls.",
            code="too_many_events",
            values={"limit": per_minute},
        )
    event = ContactEvent(
        contact_id=contact.id,
        kind=TRACKED,
        name=payload.event,
        props=payload.props,
        url=payload.context.url,
        title=payload.context.title,
    )
    events.add(event)
    await session.flush()
    return event


def validate_attribute_filters(raw: list[str]) -> dict[str, str]:
    """``key:value`` pairs from the query string, keys checked like profile keys."""
    found: dict[str, str] = {}
    for item in raw[:10]:
        key, sep, value = item.partition(":")
        if not sep or not KEY_PATTERN.match(key):
            raise BadRequest(
                "Attribute filter {filter!r} must look like key:value, "
                "e.g. plan:pro (keys are letters, digits or _).",
                values={"filter": item[:80]},
            )
        found[key] = value
    return found
