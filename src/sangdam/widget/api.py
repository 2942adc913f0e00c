"""Visitor endpoints used by the widget. The visitor token decides everything."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from sangdam.auth.dependencies import AppSettings, CurrentVisitor, Session, sangdam
from sangdam.contacts.schemas import (
    IdentifyIn,
    IdentifyOut,
    PageContext,
    TrackIn,
    VisitorContactOut,
)
from sangdam.contacts.service import create_visitor, identify_visitor, record_visit, track_event
from sangdam.conversations.repository import ConversationRepository
from sangdam.conversations.schemas import ReadIn, VisitorConversationOut
from sangdam.conversations.service import mark_read_by_contact
from sangdam.inboxes.models import Inbox
from sangdam.inboxes.repository import inbox_by_public_key
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id, Seq, Text
from sangdam.knowledge.service import suggest_articles
from sangdam.messages.repository import MessageRepository
from sangdam.messages.schemas import VisitorMessageOut
from sangdam.messages.service import visitor_message
from sangdam.widget import service
from sangdam.widget.schemas import (
    ArticleSuggestion,
    ArticleSuggestions,
    LeaveEmailIn,
    SessionOut,
    StartConversationIn,
    StartedOut,
    VisitorIn,
    VisitorMessageIn,
    VisitorMessagePage,
    VisitorOut,
)
from sangdam.workspaces.models import Workspace

router = APIRouter(
    prefix="/api/widget/v1",
    tags=["widget"],
    responses=responses(Unauthorized, NotFound, Unprocessable, TooManyRequests),
)
# A message: a retry with the same client_id answers 200 with the message stored first.
_MESSAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"description": "A retry: the message sent earlier with this client_id"},
    **responses(BadRequest, Conflict, PayloadTooLarge),
}


async def _inbox(session: Session, key: str) -> Inbox:
    inbox = await inbox_by_public_key(session, key)
    if inbox is None:
        raise NotFound("This chat widget's key is unknown. Check the key in the script tag.")
    return inbox


@router.post("/visitors", response_model=VisitorOut, status_code=201)
async def new_visitor(
    payload: VisitorIn, session: Session, request: Request, settings: AppSettings
) -> VisitorOut:
    inbox = await _inbox(session, payload.inbox_key)
    limits = sangdam(request).limits
    await limits.new_visitor(limits.address(request), inbox.workspace_id)
    token, contact = await create_visitor(
        session, inbox, payload.context, request.headers.get("user-agent")
    )
    return VisitorOut(
        token=token,
        contact=VisitorContactOut.model_validate(contact),
        config=await service.widget_config(session, inbox, settings.base_url),
    )


@router.post("/session", response_model=SessionOut)
async def resume_session(
    visitor: CurrentVisitor,
    session: Session,
    request: Request,
    context: PageContext,
    settings: AppSettings,
) -> SessionOut:
    """A returning visitor: report the page they are on, get their conversations back."""
    await record_visit(session, visitor.contact, context, request.headers.get("user-agent"))
    inbox = await session.get(Inbox, visitor.token.inbox_id)
    assert inbox is not None
    conversations = await ConversationRepository(session, visitor.workspace_id).for_contact(
        visitor.contact.id
    )
    return SessionOut(
        contact=VisitorContactOut.model_validate(visitor.contact),
        config=await service.widget_config(session, inbox, settings.base_url),
        conversations=[await service.visitor_conversation(session, c) for c in conversations],
    )


@router.post("/identify", response_model=IdentifyOut, responses=responses(BadRequest))
async def identify(
    visitor: CurrentVisitor,
    session: Session,
    payload: IdentifyIn,
    settings: AppSettings,
    request: Request,
) -> IdentifyOut:
    """``Sangdam.boot({memberId, memberHash | memberToken, name, email, profile})``.

    A verified member may come back with a new token: the browser now speaks for
    that member's contact. An unverified identity stays an anonymous visitor.
    """
    limits = sangdam(request).limits
    await limits.identify(visitor.contact.id, limits.address(request))
    token, contact, identity = await identify_visitor(
        session,
        visitor.token,
        visitor.contact,
        payload,
        token_max_seconds=settings.contacts.member_token_max_seconds,
    )
    return IdentifyOut(
        token=token,
        contact=VisitorContactOut.model_validate(contact),
        verified=identity.verified,
        problem=identity.problem,
    )


@router.post("/events", status_code=204)
async def track(
    visitor: CurrentVisitor,
    session: Session,
    payload: TrackIn,
    settings: AppSettings,
    request: Request,
) -> Response:
    """``Sangdam.track(event, props)`` from the host page."""
    limits = sangdam(request).limits
    await limits.track(limits.address(request))
    await track_event(
        session, visitor.contact, payload, per_minute=settings.contacts.events_per_minute
    )
    return Response(status_code=204)


@router.post(
    "/conversations", response_model=StartedOut, status_code=201, responses=_MESSAGE_ERRORS
)
async def start(
    visitor: CurrentVisitor,
    session: Session,
    payload: StartConversationIn,
    settings: AppSettings,
    response: Response,
    request: Request,
) -> StartedOut:
    limits = sangdam(request).limits
    await limits.message(
        contact_id=visitor.contact.id,
        address=limits.address(request),
        workspace_id=visitor.workspace_id,
        starts_conversation=True,
    )
    conversation, message, created = await service.receive_message(
        session,
        inbox_id=visitor.token.inbox_id,
        contact=visitor.contact,
        conversation_id=None,
        body=payload.body,
        client_id=payload.client_id,
        button=payload.button,
        context=payload.context,
        max_chars=settings.realtime.max_message_chars,
        base_url=settings.base_url,
        email=payload.email,
    )
    if not created:
        response.status_code = 200
    return StartedOut(
        conversation=VisitorConversationOut.model_validate(conversation),
        message=VisitorMessageOut.model_validate(visitor_message(message)),
    )


@router.get("/articles", response_model=ArticleSuggestions)
async def articles(
    visitor: CurrentVisitor,
    session: Session,
    settings: AppSettings,
    request: Request,
    lang: Literal["ko", "en"] = "ko",
    q: Annotated[Text, Query(max_length=200)] = "",
    limit: int = Query(default=5, ge=1, le=10),
) -> ArticleSuggestions:
    if q.strip():
        limits = sangdam(request).limits
        await limits.search(limits.address(request))
    workspace = await session.get(Workspace, visitor.workspace_id)
    if workspace is None or not workspace.slug:
        return ArticleSuggestions(query=q, articles=[])
    base = f"{settings.base_url}/help/{workspace.slug}"
    refs = await suggest_articles(
        session, workspace.id, q, lang=lang, page_title=visitor.contact.current_title, limit=limit
    )
    return ArticleSuggestions(
        query=q.strip(),
        articles=[
            ArticleSuggestion(
                title=a.title,
                description=a.description,
                category=a.category,
                url=f"{base}/{a.lang}/{a.slug}",
            )
            for a in refs
        ],
    )


@router.get("/conversations/{conversation_id}/messages", response_model=VisitorMessagePage)
async def history(
    visitor: CurrentVisitor,
    session: Session,
    conversation_id: Id,
    after_seq: Seq | None = Query(default=None, ge=0),
    before_seq: Id | None = Query(default=None),  # seqs start at 1: the Id range
    limit: int = Query(default=50, ge=1, le=500),
) -> VisitorMessagePage:
    await service.own_conversation(session, visitor.contact, conversation_id)
    messages, has_more = await MessageRepository(session, visitor.workspace_id).window(
        conversation_id,
        after_seq=after_seq,
        before_seq=before_seq,
        limit=limit,
        public_only=True,
    )
    return VisitorMessagePage(
        messages=[VisitorMessageOut.model_validate(visitor_message(m)) for m in messages],
        has_more=has_more,
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=VisitorMessageOut,
    status_code=201,
    responses=_MESSAGE_ERRORS,
)
async def send(
    visitor: CurrentVisitor,
    session: Session,
    conversation_id: Id,
    payload: VisitorMessageIn,
    settings: AppSettings,
    response: Response,
    request: Request,
) -> VisitorMessageOut:
    limits = sangdam(request).limits
    await limits.message(
        contact_id=visitor.contact.id,
        address=limits.address(request),
        workspace_id=visitor.workspace_id,
        starts_conversation=False,
    )
    _, message, created = await service.receive_message(
        session,
        inbox_id=visitor.token.inbox_id,
        contact=visitor.contact,
        conversation_id=conversation_id,
        body=payload.body,
        client_id=payload.client_id,
        button=payload.button,
        context=PageContext(),
        max_chars=settings.realtime.max_message_chars,
        base_url=settings.base_url,
    )
    if not created:
        response.status_code = 200
    return VisitorMessageOut.model_validate(visitor_message(message))


@router.post(
    "/conversations/{conversation_id}/email",
    response_model=VisitorContactOut,
    responses=responses(BadRequest),
)
async def leave_email(
    visitor: CurrentVisitor,
    session: Session,
    conversation_id: Id,
    payload: LeaveEmailIn,
    request: Request,
) -> VisitorContactOut:
    """An address for the answer, left while nobody is in (at any point of the chat)."""
    limits = sangdam(request).limits
    await limits.identify(visitor.contact.id, limits.address(request))
    await service.leave_email(session, visitor.contact, conversation_id, payload.email)
    return VisitorContactOut.model_validate(visitor.contact)


@router.post("/conversations/{conversation_id}/read", responses=responses(BadRequest))
async def read(
    visitor: CurrentVisitor, session: Session, conversation_id: Id, payload: ReadIn
) -> dict[str, int]:
    conversation = await service.own_conversation(
        session, visitor.contact, conversation_id, for_update=True
    )
    return {"seq": await mark_read_by_contact(session, conversation, payload.seq)}
