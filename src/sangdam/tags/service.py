"""Tags: the workspace's list, and adding or removing them on conversations and contacts.

A conversation's tags live in ``conversation_tags``; the conversation keeps a copy
of the ids (``tag_ids``) so every inbox view and event carries them. Each change
bumps the conversation's version, emits ``conversation.updated``, and an added tag is a
change others react to (``ConversationTagged``, ``ContactTagged``: automation's "tagged").
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact
from sangdam.contacts.schemas import ContactOut
from sangdam.conversations.models import Conversation
from sangdam.events.schemas import Event, EventType
from sangdam.events.service import emit
from sangdam.kit.errors import Conflict
from sangdam.messages.service import emit_conversation_updated
from sangdam.reactions.schemas import ContactTagged, ConversationTagged
from sangdam.reactions.service import react
from sangdam.tags.models import ContactTag, ConversationTag, Tag
from sangdam.tags.repository import TagRepository
from sangdam.tags.schemas import TagIn


async def create_tag(session: AsyncSession, workspace_id: int, payload: TagIn) -> Tag:
    repository = TagRepository(session, workspace_id)
    if await repository.by_name(payload.name) is not None:
        raise Conflict(
            "A tag named {name!r} exists already; use that one or rename it.",
            values={"name": payload.name},
        )
    tag = Tag(name=payload.name, color=payload.color.lower())
    repository.add(tag)
    await session.flush()
    return tag


async def update_tag(session: AsyncSession, workspace_id: int, tag_id: int, payload: TagIn) -> Tag:
    repository = TagRepository(session, workspace_id)
    tag = await repository.get(tag_id)
    other = await repository.by_name(payload.name)
    if other is not None and other.id != tag.id:
        raise Conflict("Another tag is named {name!r} already.", values={"name": payload.name})
    tag.name, tag.color = payload.name, payload.color.lower()
    return tag


async def delete_tag(session: AsyncSession, workspace_id: int, tag_id: int) -> None:
    """Delete a tag and take it off every conversation (each one's list updates live)."""
    repository = TagRepository(session, workspace_id)
    tag = await repository.get(tag_id)
    for conversation in await repository.conversations_with(tag.id):
        conversation.tag_ids = [i for i in conversation.tag_ids if i != tag.id]
        conversation.version += 1
        emit_conversation_updated(
            session,
            conversation,
            await session.get(Contact, conversation.contact_id),
            visible_to_visitor=False,
        )
    await session.delete(tag)


async def tag_conversation(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    tag_id: int,
    *,
    by_agent_id: int | None = None,
    by_rule_id: int | None = None,
) -> bool:
    """Add a tag to a (locked) conversation. Returns False when it had it already."""
    repository = TagRepository(session, conversation.workspace_id)
    tag = await repository.get(tag_id)  # another workspace's tag is "not found"
    if tag.id in conversation.tag_ids:
        return False
    repository.add(
        ConversationTag(
            conversation_id=conversation.id,
            tag_id=tag.id,
            added_by_agent_id=by_agent_id,
            added_by_rule_id=by_rule_id,
        )
    )
    # A new list, so the JSON column sees the change.
    conversation.tag_ids = sorted({*conversation.tag_ids, tag.id})
    conversation.version += 1
    await session.flush()
    # Tags are for the team; the customer never sees them.
    emit_conversation_updated(session, conversation, contact, visible_to_visitor=False)
    await react(session, ConversationTagged(conversation, contact, tag.id))
    return True


async def untag_conversation(
    session: AsyncSession, conversation: Conversation, contact: Contact, tag_id: int
) -> bool:
    if tag_id not in conversation.tag_ids:
        return False
    await TagRepository(session, conversation.workspace_id).remove_conversation_tag(
        conversation.id, tag_id
    )
    conversation.tag_ids = [i for i in conversation.tag_ids if i != tag_id]
    conversation.version += 1
    emit_conversation_updated(session, conversation, contact, visible_to_visitor=False)
    return True


def _emit_contact(session: AsyncSession, contact: Contact, tag_ids: list[int]) -> None:
    emit(
        session,
        Event(
            type=EventType.CONTACT_UPDATED,
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            data={
                "contact": ContactOut.model_validate(contact).model_dump(mode="json"),
                "tag_ids": tag_ids,
            },
        ),
    )


async def tag_contact(
    session: AsyncSession,
    contact: Contact,
    tag_id: int,
    *,
    by_agent_id: int | None = None,
    by_rule_id: int | None = None,
) -> list[int]:
    """Add a tag to a contact; returns the contact's tag ids."""
    repository = TagRepository(session, contact.workspace_id)
    tag = await repository.get(tag_id)
    if await repository.contact_tag(contact.id, tag.id) is not None:
        return await repository.contact_tag_ids(contact.id)
    repository.add(
        ContactTag(
            contact_id=contact.id,
            tag_id=tag.id,
            added_by_agent_id=by_agent_id,
            added_by_rule_id=by_rule_id,
        )
    )
    await session.flush()
    tag_ids = await repository.contact_tag_ids(contact.id)
    _emit_contact(session, contact, tag_ids)
    await react(session, ContactTagged(contact, tag.id))
    return tag_ids


async def untag_contact(session: AsyncSession, contact: Contact, tag_id: int) -> list[int]:
    repository = TagRepository(session, contact.workspace_id)
    await repository.remove_contact_tag(contact.id, tag_id)
    tag_ids = await repository.contact_tag_ids(contact.id)
    _emit_contact(session, contact, tag_ids)
    return tag_ids
