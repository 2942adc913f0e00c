"""Ratings: the customer's answer from the widget, the agent's view, the admin's settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sangdam.auth.dependencies import CurrentAgent, CurrentVisitor, Session, sangdam
from sangdam.conversations.service import load
from sangdam.csat import service
from sangdam.csat.repository import CsatRepository
from sangdam.csat.schemas import (
    CsatSettingsIn,
    CsatSettingsOut,
    RatingIn,
    RatingOut,
    SurveyAnswerIn,
    SurveyFormOut,
    SurveyIn,
    SurveyOut,
    SurveyResponseOut,
    SurveySendOut,
)
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id, Verbatim
from sangdam.widget.service import own_conversation
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["ratings"],
    responses=responses(BadRequest, Unauthorized, Forbidden, NotFound, Unprocessable),
)
public_router = APIRouter(
    prefix="/api/v1/surveys",
    tags=["surveys"],
    responses=responses(BadRequest, NotFound, Unprocessable, TooManyRequests),
)
widget_router = APIRouter(
    prefix="/api/widget/v1",
    tags=["widget"],
    responses=responses(BadRequest, Unauthorized, NotFound, Unprocessable, TooManyRequests),
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


# ---- surveys: the admin's configuration ---------------------------------------------------


@router.get("/surveys", response_model=list[SurveyOut])
async def list_surveys(context: CurrentAgent, session: Session) -> list[SurveyOut]:
    require_admin(context.role)
    surveys = await CsatRepository(session, context.workspace_id).surveys()
    return [SurveyOut.model_validate(s) for s in surveys]


@router.post("/surveys", response_model=SurveyOut, status_code=201)
async def create_survey(context: CurrentAgent, session: Session, payload: SurveyIn) -> SurveyOut:
    """A survey asked after every conversation of its channel ends (while it is active)."""
    require_admin(context.role)
    return SurveyOut.model_validate(
        await service.create_survey(session, context.workspace_id, payload)
    )


@router.put("/surveys/{survey_id}", response_model=SurveyOut)
async def update_survey(
    context: CurrentAgent, session: Session, survey_id: Id, payload: SurveyIn
) -> SurveyOut:
    require_admin(context.role)
    return SurveyOut.model_validate(
        await service.update_survey(session, context.workspace_id, survey_id, payload)
    )


@router.get("/conversations/{conversation_id}/survey-sends", response_model=list[SurveySendOut])
async def conversation_survey_sends(
    context: CurrentAgent, session: Session, conversation_id: Id
) -> list[SurveySendOut]:
    """The surveys this conversation was (or will be) asked, oldest first."""
    conversation, _ = await load(session, context.workspace_id, conversation_id)
    sends = await CsatRepository(session, context.workspace_id).sends_of(conversation.id)
    return [SurveySendOut.model_validate(s) for s in sends]


# ---- surveys: the customer's answer, in the widget -----------------------------------------


async def _own_send(session: Session, visitor: CurrentVisitor, send_id: int, *, lock: bool) -> Any:
    repository = CsatRepository(session, visitor.contact.workspace_id)
    send = await repository.send(send_id, for_update=lock)
    if send.contact_id != visitor.contact.id or send.sent_at is None:
        raise NotFound("Survey {id} was not found.", values={"id": send_id})
    return send


@widget_router.get("/surveys/{send_id}", response_model=SurveyFormOut)
async def widget_survey(visitor: CurrentVisitor, session: Session, send_id: Id) -> SurveyFormOut:
    """The questions of a survey the widget showed this customer."""
    send = await _own_send(session, visitor, send_id, lock=False)
    survey = await CsatRepository(session, send.workspace_id).survey(send.survey_id)
    return service.survey_form(survey, send)


@widget_router.post(
    "/surveys/{send_id}/response",
    response_model=SurveyResponseOut,
    status_code=201,
    responses=responses(Conflict),
)
async def widget_answer(
    visitor: CurrentVisitor,
    session: Session,
    send_id: Id,
    payload: SurveyAnswerIn,
    request: Request,
) -> SurveyResponseOut:
    """The customer answers a survey once."""
    limits = sangdam(request).limits
    await limits.identify(visitor.contact.id, limits.address(request))
    send = await _own_send(session, visitor, send_id, lock=True)
    response = await service.answer_survey(session, send, list(payload.answers))
    return SurveyResponseOut.model_validate(response)


# ---- surveys: the one-time link of an email (no sign-in) ------------------------------------


@public_router.get("/{token}", response_model=SurveyFormOut)
async def link_survey(request: Request, session: Session, token: Verbatim) -> SurveyFormOut:
    """The survey a one-time link asks (`answered` once it was answered)."""
    limits = sangdam(request).limits
    await limits.account_action(limits.address(request))
    survey, send = await service.open_link(session, token)
    return service.survey_form(survey, send)


@public_router.post(
    "/{token}/response",
    response_model=SurveyFormOut,
    status_code=201,
    responses=responses(Conflict),
)
async def link_answer(
    request: Request, session: Session, token: Verbatim, payload: SurveyAnswerIn
) -> SurveyFormOut:
    """Answer the survey of a one-time link; a second answer is refused (409)."""
    limits = sangdam(request).limits
    await limits.account_action(limits.address(request))
    survey, send = await service.open_link(session, token)
    await service.answer_survey(session, send, list(payload.answers))
    return service.survey_form(survey, send)
