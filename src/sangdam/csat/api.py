"""Ratings: the customer's answer from the widget, the agent's view, the admin's settings."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sangdam.auth.dependencies import CurrentAgent, CurrentVisitor, Session, sangdam
from sangdam.conversations.service import load
from sangdam.csat import service
from sangdam.csat.repository import CsatRepository
from sangdam.csat.schemas import CsatSettingsIn, CsatSettingsOut, RatingIn, RatingOut
from sangdam.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id
from sangdam.widget.service import own_conversation
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["ratings"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)
widget_router = APIRouter(
    prefix="/api/widget/v1",
    tags=["widget"],
    responses=responses(Unauthorized, NotFound, Unprocessable, TooManyRequests),
)


@widget_router.post(
    "/conversations/{conversation_id}/rating",
    response_model=RatingOut,
    status_code=201,
    responses=responses(Conflict),
)
async def rate(
    visitor: CurrentVisitor,
    session: Session,
    conversation_id: Id,
    payload: RatingIn,
    request: Request,
) -> RatingOut:
    """The customer rates a conversation that ended (once per ending)."""
    limits = sangdam(request).limits
    await limits.identify(visitor.contact.id, limits.address(request))
    conversation = await own_conversation(
        session, visitor.contact, conversation_id, for_update=True
    )
    rating = await service.rate_conversation(
        session, conversation, visitor.contact, score=payload.score, comment=payload.comment
    )
    return RatingOut.model_validate(rating)


@router.get("/conversations/{conversation_id}/ratings", response_model=list[RatingOut])
async def conversation_ratings(
    context: CurrentAgent, session: Session, conversation_id: Id
) -> list[RatingOut]:
    """Every rating the conversation got, oldest first (one per time it ended)."""
    conversation, _ = await load(session, context.workspace_id, conversation_id)
    ratings = await CsatRepository(session, context.workspace_id).ratings_of(conversation.id)
    return [RatingOut.model_validate(r) for r in ratings]


@router.get("/csat/settings", response_model=CsatSettingsOut)
async def get_settings(context: CurrentAgent, session: Session) -> CsatSettingsOut:
    return await service.rating_settings(session, context.workspace_id)


@router.put("/csat/settings", response_model=CsatSettingsOut)
async def put_settings(
    context: CurrentAgent, session: Session, payload: CsatSettingsIn
) -> CsatSettingsOut:
    require_admin(context.role)
    return await service.update_rating_settings(session, context.workspace_id, payload)
