from __future__ import annotations

from sqlalchemy import delete, select

from sangdam.conversations.models import Conversation
from sangdam.kit.repository import WorkspaceRepository
from sangdam.tags.models import ContactTag, ConversationTag, Tag


class TagRepository(WorkspaceRepository):
    async def get(self, tag_id: int) -> Tag:
        return await self.get_scoped(Tag, tag_id, "Tag")

    async def all(self) -> list[Tag]:
        stmt = self.select(Tag).order_by(Tag.name, Tag.id)
        return list((await self.session.execute(stmt)).scalars())

    async def by_name(self, name: str) -> Tag | None:
        return (await self.session.execute(self.select(Tag).where(Tag.name == name))).scalar()

    async def existing_ids(self, tag_ids: list[int]) -> set[int]:
        if not tag_ids:
            return set()
        stmt = self.scoped(select(Tag.id).where(Tag.id.in_(tag_ids)), Tag)
        return set((await self.session.execute(stmt)).scalars())

    async def conversation_tag(self, conversation_id: int, tag_id: int) -> ConversationTag | None:
        stmt = self.select(ConversationTag).where(
            ConversationTag.conversation_id == conversation_id, ConversationTag.tag_id == tag_id
        )
        return (await self.session.execute(stmt)).scalar()

    async def contact_tag_ids(self, contact_id: int) -> list[int]:
        stmt = self.scoped(
            select(ContactTag.tag_id)
            .where(ContactTag.contact_id == contact_id)
            .order_by(ContactTag.tag_id),
            ContactTag,
        )
        return list((await self.session.execute(stmt)).scalars())

    async def contact_tag(self, contact_id: int, tag_id: int) -> ContactTag | None:
        stmt = self.select(ContactTag).where(
            ContactTag.contact_id == contact_id, ContactTag.tag_id == tag_id
        )
        return (await self.session.execute(stmt)).scalar()

    async def conversations_with(self, tag_id: int) -> list[Conversation]:
        stmt = self.scoped(
            select(Conversation)
            .join(ConversationTag, ConversationTag.conversation_id == Conversation.id)
            .where(ConversationTag.tag_id == tag_id),
            Conversation,
            ConversationTag,
        ).with_for_update(key_share=True, of=Conversation)
        return list((await self.session.execute(stmt)).scalars())

    async def remove_conversation_tag(self, conversation_id: int, tag_id: int) -> None:
        await self.session.execute(
            delete(ConversationTag).where(
                ConversationTag.workspace_id == self.workspace_id,
                ConversationTag.conversation_id == conversation_id,
                ConversationTag.tag_id == tag_id,
            )
        )

    async def remove_contact_tag(self, contact_id: int, tag_id: int) -> None:
        await self.session.execute(
            delete(ContactTag).where(
                ContactTag.workspace_id == self.workspace_id,
                ContactTag.contact_id == contact_id,
                ContactTag.tag_id == tag_id,
            )
        )
