"""Agent endpoints for conversations: the inbox list, status, assignment, read state."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.conversations import service
from sangdam.conversations.models import Status
from sangdam.conversations.repository import ConversationRepository
from sangdam.conversations.schemas import (
    AssignIn,
    ConversationOut,
    ConversationPage,
    ReadIn,
    StatusIn,
    agent_view,
)
from sangdam.kit.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id, Text

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["conversations"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


@router.get("/conversations", response_model=ConversationPage, responses=responses(BadRequest))
async def list_conversations(
    context: CurrentAgent,
    session: Session,
    status: Literal["bot", "open", "snoozed", "resolved", "all"] = "open",
    assignee: Literal["any", "me", "unassigned"] = "any",
    before: Text | None = Query(default=None, description="`next_before` of the previous page"),
    limit: int = Query(default=50, ge=1, le=200),
    tag_id: Id | None = Query(default=None, description="Only conversations with this tag"),
) -> ConversationPage:
    return await service.list_for_agent(
        session,
        context.workspace_id,
        context.agent.id,
        status=None if status == "all" else status,
        assignee=assignee,
        before=before,
        limit=limit,
        tag_id=tag_id,
    )


@router.get("/conversations/counts")
async def conversation_counts(context: CurrentAgent, session: Session) -> dict[str, int]:
    return await ConversationRepository(session, context.workspace_id).counts(context.agent.id)


async def _view(session: Session, context: CurrentAgent, conversation_id: Id) -> ConversationOut:
    conversation, contact = await service.load(session, context.workspace_id, conversation_id)
    view = ConversationOut.model_validate(agent_view(conversation, contact))
    read = await ConversationRepository(session, context.workspace_id).read_state(
        conversation_id, context.agent.id
    )
    view.my_last_seen_seq = read.last_seen_seq if read else 0
    return view


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    context: CurrentAgent, session: Session, conversation_id: Id
) -> ConversationOut:
    return await _view(session, context, conversation_id)


@router.post("/conversations/{conversation_id}/status", response_model=ConversationOut)
async def set_status(
    context: CurrentAgent, session: Session, conversation_id: Id, payload: StatusIn
) -> ConversationOut:
    await service.set_status(session, context.workspace_id, conversation_id, Status(payload.status))
    return await _view(session, context, conversation_id)


@router.post(
    "/conversations/{conversation_id}/assignee",
    response_model=ConversationOut,
    responses=responses(BadRequest),
)
async def assign(
    context: CurrentAgent, session: Session, conversation_id: Id, payload: AssignIn
) -> ConversationOut:
    await service.assign(
        session, context.workspace_id, conversation_id, payload.agent_id, by=context.agent
    )
    return await _view(session, context, conversation_id)


@router.post("/conversations/{conversation_id}/read", responses=responses(BadRequest))
async def mark_read(
    context: CurrentAgent, session: Session, conversation_id: Id, payload: ReadIn
) -> dict[str, int]:
    seq = await service.mark_read_by_agent(
        session, context.workspace_id, conversation_id, context.agent, payload.seq
    )
    return {"seq": seq}
