"""The widget's side of things: a visitor's own conversations, nothing else."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.conversations.repository import ConversationRepository
from sangdam.errors import NotFound
from sangdam.inboxes.models import Inbox
from sangdam.messages.repository import MessageRepository
from sangdam.messages.service import visitor_message
from sangdam.widget.schemas import WidgetConfig
from sangdam.workspaces.models import Workspace

DEFAULT_GREETING = {
    "ko": "안녕하세요! 무엇을 도와드릴까요? 보통 몇 분 안에 답변드려요.",
    "en": "Hi there! How can we help? We usually reply in a few minutes.",
}


async def own_conversation(
    session: AsyncSession, contact: Contact, conversation_id: int, *, for_update: bool = False
) -> Conversation:
    """The visitor's conversation, or "not found" — whether it exists for someone else or not."""
    conversation = await ConversationRepository(session, contact.workspace_id).get_for_contact(
        conversation_id, contact.id, for_update=for_update
    )
    if conversation is None:
        raise NotFound(f"Conversation {conversation_id} was not found.")
    return conversation


async def missed_messages(
    session: AsyncSession, contact: Contact, conversation_id: int, after_seq: int, limit: int = 500
) -> list[dict[str, Any]]:
    """Messages of the visitor's conversation after ``after_seq``, as the visitor sees them."""
    await own_conversation(session, contact, conversation_id)
    messages = await MessageRepository(session, contact.workspace_id).page(
        conversation_id, after_seq=after_seq, limit=limit, public_only=True
    )
    return [view for m in messages if (view := visitor_message(m)) is not None]


async def widget_config(session: AsyncSession, inbox: Inbox) -> WidgetConfig:
    workspace = await session.get(Workspace, inbox.workspace_id)
    assert workspace is not None
    greeting = {**DEFAULT_GREETING, **(inbox.config.get("greeting") or {})}
    return WidgetConfig(workspace_name=workspace.name, inbox_name=inbox.name, greeting=greeting)
