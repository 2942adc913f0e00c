"""The bot's flows (admin), a conversation's bot path (agents), and outcome counts."""

from __future__ import annotations

from fastapi import APIRouter, Query

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.bot import service
from sangdam.bot.models import BotFlow
from sangdam.bot.repository import BotRepository
from sangdam.bot.schemas import (
    BotOutcomes,
    BotPath,
    BotReport,
    BotStep,
    FlowIn,
    FlowOut,
    LearnIn,
    LearnOffer,
)
from sangdam.conversations.service import load
from sangdam.db import utcnow
from sangdam.inboxes.repository import InboxRepository
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id
from sangdam.knowledge.schemas import FaqOut
from sangdam.knowledge.service import faq_out
from sangdam.workspaces.service import ADMIN_ROLES, require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["bot"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


@router.get("/bot/flow", response_model=FlowOut)
async def get_flow(
    context: CurrentAgent,
    session: Session,
    inbox_id: Id | None = Query(default=None, description="An entry point; none for the default"),
) -> FlowOut:
    if inbox_id is not None:
        await InboxRepository(session, context.workspace_id).get(inbox_id)
    flow = await service.flow_for(session, context.workspace_id, inbox_id)
    return FlowOut(
        inbox_id=inbox_id, enabled=flow.enabled, definition=flow.definition, derived=flow.derived
    )


@router.put("/bot/flow", response_model=FlowOut)
async def put_flow(
    context: CurrentAgent,
    session: Session,
    payload: FlowIn,
    inbox_id: Id | None = Query(default=None, description="An entry point; none for the default"),
) -> FlowOut:
    require_admin(context.role)
    if inbox_id is not None:
        await InboxRepository(session, context.workspace_id).get(inbox_id)
    repository = BotRepository(session, context.workspace_id)
    row = await repository.flow(inbox_id)
    if row is None:
        row = BotFlow(inbox_id=inbox_id)
        repository.add(row)
    row.enabled = payload.enabled
    row.definition = payload.definition.model_dump()
    row.updated_at = utcnow()
    return FlowOut(
        inbox_id=inbox_id, enabled=row.enabled, definition=payload.definition, derived=False
    )


@router.get("/conversations/{conversation_id}/bot-path", response_model=BotPath)
async def bot_path(context: CurrentAgent, session: Session, conversation_id: Id) -> BotPath:
    """What the customer did with the bot before reaching a person."""
    conversation, _ = await load(session, context.workspace_id, conversation_id)
    steps = await BotRepository(session, context.workspace_id).path(conversation_id)
    return BotPath(
        category=conversation.category,
        handed_off_at=conversation.handed_off_at,
        steps=[BotStep.model_validate(step) for step in steps],
    )


@router.get("/bot/outcomes", response_model=BotOutcomes)
async def outcomes(
    context: CurrentAgent, session: Session, days: int = Query(default=7, ge=1, le=366)
) -> BotOutcomes:
    return await service.outcomes(session, context.workspace_id, days)


@router.get("/bot/report", response_model=BotReport)
async def report(
    context: CurrentAgent, session: Session, days: int = Query(default=30, ge=1, le=366)
) -> BotReport:
    """Outcomes, the questions the bot could not answer, and answers that did not help."""
    return await service.report(session, context.workspace_id, days)


@router.get("/conversations/{conversation_id}/bot-learn", response_model=LearnOffer)
async def learn_offer(context: CurrentAgent, session: Session, conversation_id: Id) -> LearnOffer:
    """The question the bot could not answer in this conversation, to offer adding it to
    the FAQ once an agent has answered it."""
    await load(session, context.workspace_id, conversation_id)
    question = await service.unanswered_question(session, context.workspace_id, conversation_id)
    return LearnOffer(question=question, can_edit_faq=context.role in ADMIN_ROLES)


@router.post("/bot/learn", response_model=FaqOut, responses=responses(BadRequest, Conflict))
async def learn(context: CurrentAgent, session: Session, payload: LearnIn) -> FaqOut:
    """Add a handed-off conversation's question to an FAQ entry, or make a new entry from
    the agent's answer; the bot answers it from then on."""
    require_admin(context.role)
    conversation, _ = await load(session, context.workspace_id, payload.conversation_id)
    entry = await service.learn(
        session, context.workspace_id, conversation, faq_id=payload.faq_id, answer=payload.answer
    )
    await session.flush()
    return faq_out(entry)
