"""Tags: the workspace's list (admins), and tagging conversations and contacts (agents)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.contacts.repository import ContactRepository
from sangdam.conversations.schemas import ConversationOut, agent_view
from sangdam.conversations.service import load
from sangdam.kit.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, responses
from sangdam.kit.input import Id
from sangdam.tags import service
from sangdam.tags.repository import TagRepository
from sangdam.tags.schemas import ContactTagsOut, TagIn, TagOut, TagRef
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["tags"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


@router.get("/tags", response_model=list[TagOut])
async def list_tags(context: CurrentAgent, session: Session) -> list[TagOut]:
    return [
        TagOut.model_validate(t) for t in await TagRepository(session, context.workspace_id).all()
    ]


@router.post("/tags", response_model=TagOut, status_code=201, responses=responses(Conflict))
async def create_tag(context: CurrentAgent, session: Session, payload: TagIn) -> TagOut:
    require_admin(context.role)
    return TagOut.model_validate(await service.create_tag(session, context.workspace_id, payload))


@router.put("/tags/{tag_id}", response_model=TagOut, responses=responses(Conflict))
async def update_tag(context: CurrentAgent, session: Session, tag_id: Id, payload: TagIn) -> TagOut:
    require_admin(context.role)
    return TagOut.model_validate(
        await service.update_tag(session, context.workspace_id, tag_id, payload)
    )


@router.delete("/tags/{tag_id}", status_code=204)
async def delete_tag(context: CurrentAgent, session: Session, tag_id: Id) -> Response:
    require_admin(context.role)
    await service.delete_tag(session, context.workspace_id, tag_id)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/tags", response_model=ConversationOut)
async def tag_conversation(
    context: CurrentAgent, session: Session, conversation_id: Id, payload: TagRef
) -> ConversationOut:
    conversation, contact = await load(
        session, context.workspace_id, conversation_id, for_update=True
    )
    await service.tag_conversation(
        session, conversation, contact, payload.tag_id, by_agent_id=context.agent.id
    )
    return ConversationOut.model_validate(agent_view(conversation, contact))


@router.delete("/conversations/{conversation_id}/tags/{tag_id}", response_model=ConversationOut)
async def untag_conversation(
    context: CurrentAgent, session: Session, conversation_id: Id, tag_id: Id
) -> ConversationOut:
    conversation, contact = await load(
        session, context.workspace_id, conversation_id, for_update=True
    )
    await service.untag_conversation(session, conversation, contact, tag_id)
    return ConversationOut.model_validate(agent_view(conversation, contact))


@router.get("/contacts/{contact_id}/tags", response_model=ContactTagsOut)
async def contact_tags(context: CurrentAgent, session: Session, contact_id: Id) -> ContactTagsOut:
    contact = await ContactRepository(session, context.workspace_id).get(contact_id)
    tag_ids = await TagRepository(session, context.workspace_id).contact_tag_ids(contact.id)
    return ContactTagsOut(contact_id=contact.id, tag_ids=tag_ids)


@router.post("/contacts/{contact_id}/tags", response_model=ContactTagsOut)
async def tag_contact(
    context: CurrentAgent, session: Session, contact_id: Id, payload: TagRef
) -> ContactTagsOut:
    contact = await ContactRepository(session, context.workspace_id).get(contact_id)
    tag_ids = await service.tag_contact(
        session, contact, payload.tag_id, by_agent_id=context.agent.id
    )
    return ContactTagsOut(contact_id=contact.id, tag_ids=tag_ids)


@router.delete("/contacts/{contact_id}/tags/{tag_id}", response_model=ContactTagsOut)
async def untag_contact(
    context: CurrentAgent, session: Session, contact_id: Id, tag_id: Id
) -> ContactTagsOut:
    contact = await ContactRepository(session, context.workspace_id).get(contact_id)
    tag_ids = await service.untag_contact(session, contact, tag_id)
    return ContactTagsOut(contact_id=contact.id, tag_ids=tag_ids)
