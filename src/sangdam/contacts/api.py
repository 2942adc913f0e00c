"""Agent endpoints for contacts: the customer list, the customer page and panel,
and the member-verification secret (admins)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query
from pydantic import BaseModel

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.contacts import service
from sangdam.contacts.repository import ContactEventRepository, ContactFilter, ContactRepository
from sangdam.contacts.schemas import (
    ContactEventOut,
    ContactEventPage,
    ContactOut,
    ContactPage,
    IdentitySecretOut,
    IdentitySettings,
)
from sangdam.conversations.repository import ConversationRepository
from sangdam.conversations.schemas import ConversationOut, agent_view
from sangdam.kit.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id, Text
from sangdam.workspaces.models import Workspace
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["contacts"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


class ContactDetail(BaseModel):
    contact: ContactOut
    conversations: list[ConversationOut]
    # Newest first: the last page views and tracked events.
    page_views: list[ContactEventOut] = []
    events: list[ContactEventOut] = []


def _cursor(raw: str | None) -> tuple[dt.datetime, int] | None:
    if not raw:
        return None
    try:
        at, _, contact_id = raw.rpartition("|")
        return dt.datetime.fromisoformat(at), int(contact_id)
    except ValueError:
        raise BadRequest(
            "The `cursor` is malformed; pass back `next_cursor` from the previous page."
        ) from None


@router.get("/contacts", response_model=ContactPage, responses=responses(BadRequest))
async def list_contacts(
    context: CurrentAgent,
    session: Session,
    q: Text | None = Query(default=None, max_length=200, description="Name, email or member id"),
    attr: list[Text] = Query(default=[], description="key:value, attribute must equal value"),
    seen_within_days: int | None = Query(default=None, ge=1, le=3650),
    verified: bool = Query(default=False, description="Only verified members"),
    tag_id: Id | None = Query(default=None, description="Only customers with this tag"),
    cursor: Text | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> ContactPage:
    filters = ContactFilter(
        query=q or None,
        attributes=service.validate_attribute_filters(attr),
        seen_within_days=seen_within_days,
        verified_only=verified,
        tag_id=tag_id,
    )
    rows = await ContactRepository(session, context.workspace_id).search(
        filters, after=_cursor(cursor), limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = f"{last.last_seen_at.isoformat()}|{last.id}"
    return ContactPage(
        contacts=[ContactOut.model_validate(c) for c in rows[:limit]], next_cursor=next_cursor
    )


@router.get("/contacts/{contact_id}", response_model=ContactDetail)
async def get_contact(context: CurrentAgent, session: Session, contact_id: Id) -> ContactDetail:
    contact = await ContactRepository(session, context.workspace_id).get(contact_id)
    conversations = await ConversationRepository(session, context.workspace_id).for_contact(
        contact_id, limit=200
    )
    events = ContactEventRepository(session, context.workspace_id)
    return ContactDetail(
        contact=ContactOut.model_validate(contact),
        conversations=[
            ConversationOut.model_validate(agent_view(c, contact)) for c in conversations
        ],
        page_views=[
            ContactEventOut.model_validate(e)
            for e in await events.recent(contact_id, kind=service.PAGE_VIEW, before=None, limit=10)
        ],
        events=[
            ContactEventOut.model_validate(e)
            for e in await events.recent(contact_id, kind=service.TRACKED, before=None, limit=10)
        ],
    )


@router.get("/contacts/{contact_id}/events", response_model=ContactEventPage)
async def contact_events(
    context: CurrentAgent,
    session: Session,
    contact_id: Id,
    kind: str | None = Query(default=None, pattern="^(page_view|event)$"),
    before: Id | None = Query(default=None),
    limit: int = Query(default=50, ge=1, le=200),
) -> ContactEventPage:
    await ContactRepository(session, context.workspace_id).get(contact_id)
    rows = await ContactEventRepository(session, context.workspace_id).recent(
        contact_id, kind=kind, before=before, limit=limit + 1
    )
    return ContactEventPage(
        events=[ContactEventOut.model_validate(e) for e in rows[:limit]],
        next_before=rows[limit - 1].id if len(rows) > limit else None,
    )


@router.get("/identity-verification", response_model=IdentitySecretOut)
async def identity_secret(context: CurrentAgent, session: Session) -> IdentitySecretOut:
    require_admin(context.role)
    workspace = await session.get(Workspace, context.workspace_id)
    assert workspace is not None
    return IdentitySecretOut(secret=workspace.identity_secret)


@router.post("/identity-verification/rotate", response_model=IdentitySecretOut)
async def rotate_identity_secret(context: CurrentAgent, session: Session) -> IdentitySecretOut:
    require_admin(context.role)
    workspace = await session.get(Workspace, context.workspace_id)
    assert workspace is not None
    return IdentitySecretOut(secret=service.rotate_identity_secret(workspace))


@router.get("/identity-verification/settings", response_model=IdentitySettings)
async def identity_settings(context: CurrentAgent, session: Session) -> IdentitySettings:
    require_admin(context.role)
    workspace = await session.get(Workspace, context.workspace_id)
    assert workspace is not None
    return IdentitySettings(require_member_token=workspace.require_member_token)


@router.put("/identity-verification/settings", response_model=IdentitySettings)
async def put_identity_settings(
    context: CurrentAgent, session: Session, payload: IdentitySettings
) -> IdentitySettings:
    require_admin(context.role)
    workspace = await session.get(Workspace, context.workspace_id)
    assert workspace is not None
    service.require_member_token(workspace, payload.require_member_token)
    return IdentitySettings(require_member_token=workspace.require_member_token)
