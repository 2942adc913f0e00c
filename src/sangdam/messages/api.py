"""Agent endpoints for messages: history and sending replies and notes."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from sangdam.auth.dependencies import AppSettings, CurrentAgent, Session
from sangdam.conversations.service import load
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id, Seq
from sangdam.messages.repository import MessageRepository
from sangdam.messages.schemas import MessageIn, MessageOut, MessagePage
from sangdam.messages.service import send_as_agent

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["messages"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage)
async def list_messages(
    context: CurrentAgent,
    session: Session,
    conversation_id: Id,
    after_seq: Seq | None = Query(
        default=None, ge=0, description="Catch up: messages after this seq"
    ),
    # Seqs start at 1, so "before" one is 1 or more: the Id range.
    before_seq: Id | None = Query(
        default=None, description="Scroll back: messages before this seq"
    ),
    limit: int = Query(default=50, ge=1, le=500),
) -> MessagePage:
    await load(session, context.workspace_id, conversation_id)
    messages, has_more = await MessageRepository(session, context.workspace_id).window(
        conversation_id, after_seq=after_seq, before_seq=before_seq, limit=limit
    )
    return MessagePage(messages=[MessageOut.model_validate(m) for m in messages], has_more=has_more)


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=MessageOut,
    status_code=201,
    responses={
        200: {"description": "A retry: the message sent earlier with this client_id"},
        **responses(BadRequest, Conflict, PayloadTooLarge),
    },
)
async def post_message(
    context: CurrentAgent,
    session: Session,
    conversation_id: Id,
    payload: MessageIn,
    response: Response,
    settings: AppSettings,
) -> MessageOut:
    conversation, contact = await load(
        session, context.workspace_id, conversation_id, for_update=True
    )
    message, created = await send_as_agent(
        session,
        conversation,
        contact,
        context.agent,
        body=payload.body,
        client_id=payload.client_id,
        private=payload.private,
        max_chars=settings.realtime.max_message_chars,
    )
    if not created:
        response.status_code = 200
    return MessageOut.model_validate(message)
