"""Agent endpoints for contacts: the customer panel."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.contacts.repository import ContactRepository
from sangdam.contacts.schemas import ContactOut
from sangdam.conversations.repository import ConversationRepository
from sangdam.conversations.schemas import ConversationOut, agent_view

router = APIRouter(prefix="/api/v1/workspaces/{workspace_id}", tags=["contacts"])


class ContactDetail(BaseModel):
    contact: ContactOut
    conversations: list[ConversationOut]


@router.get("/contacts/{contact_id}", response_model=ContactDetail)
async def get_contact(context: CurrentAgent, session: Session, contact_id: int) -> ContactDetail:
    contact = await ContactRepository(session, context.workspace_id).get(contact_id)
    conversations = await ConversationRepository(session, context.workspace_id).for_contact(
        contact_id
    )
    return ContactDetail(
        contact=ContactOut.model_validate(contact),
        conversations=[
            ConversationOut.model_validate(agent_view(c, contact)) for c in conversations
        ],
    )
