from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import User
from sangdam.contacts.models import Contact
from sangdam.email.models import Direction, EmailMessage, EmailThread
from sangdam.inboxes.models import ChannelType, Inbox
from sangdam.kit.repository import WorkspaceRepository
from sangdam.messages.models import Message, MessageKind, SenderType
from sangdam.routing.models import TeamMember
from sangdam.workspaces.models import Agent, Role


class EmailRepository(WorkspaceRepository):
    async def thread(self, conversation_id: int) -> EmailThread | None:
        stmt = self.select(EmailThread).where(EmailThread.conversation_id == conversation_id)
        return (await self.session.execute(stmt)).scalar()

    async def emails(self, conversation_id: int) -> list[EmailMessage]:
        """The thread's emails in the order they were stored (for References)."""
        stmt = (
            self.select(EmailMessage)
            .where(EmailMessage.conversation_id == conversation_id)
            .order_by(EmailMessage.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def for_message(self, message_id: int) -> EmailMessage | None:
        stmt = self.select(EmailMessage).where(EmailMessage.message_id == message_id)
        return (await self.session.execute(stmt)).scalar()

    async def received(self, rfc_message_id: str) -> EmailMessage | None:
        stmt = self.select(EmailMessage).where(
            EmailMessage.direction == Direction.IN.value,
            EmailMessage.rfc_message_id == rfc_message_id,
        )
        return (await self.session.execute(stmt)).scalar()

    async def first_contact_message(self, conversation_id: int) -> Message | None:
        stmt = (
            self.select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.sender_type == SenderType.CONTACT.value,
            )
            .order_by(Message.seq)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar()

    async def history(self, conversation_id: int, before_seq: int, limit: int) -> list[Message]:
        """What the customer saw before ``before_seq`` (no notes or activity lines), newest first."""
        stmt = (
            self.select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.seq < before_seq,
                Message.kind == MessageKind.TEXT.value,
                Message.sender_type != SenderType.SYSTEM.value,
            )
            .order_by(Message.seq.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def contact_by_email(self, address: str) -> Contact | None:
        stmt = self.select(Contact).where(Contact.email == address).order_by(Contact.id).limit(1)
        return (await self.session.execute(stmt)).scalar()

    async def recipients(self, team_id: int | None, everyone: bool) -> list[tuple[Agent, User]]:
        """Who hears of an offline message: the team's members, or the admins for the catch-all."""
        stmt = self.scoped(select(Agent, User).join(User, User.id == Agent.user_id), Agent)
        if everyone or team_id is None:
            stmt = stmt.where(Agent.role.in_([Role.OWNER.value, Role.ADMIN.value]))
        else:
            members = select(TeamMember.agent_id).where(TeamMember.team_id == team_id)
            stmt = stmt.where(Agent.id.in_(members))
        return [(a, u) for a, u in (await self.session.execute(stmt.order_by(Agent.id))).all()]


# Inbound mail names its workspace only through the address or the headers it answers;
# these lookups find it. Each key is unguessable (a 128-bit token, a Message-ID Sangdam
# generated with a per-workspace MAC) or an address the workspace published.


async def thread_by_token(session: AsyncSession, token: str) -> EmailThread | None:
    stmt = select(EmailThread).where(EmailThread.reply_token == token)
    return (await session.execute(stmt)).scalar()


async def sent_by_message_ids(session: AsyncSession, rfc_ids: list[str]) -> list[EmailMessage]:
    """Emails Sangdam sent with one of these Message-IDs (never ones it merely received)."""
    if not rfc_ids:
        return []
    stmt = select(EmailMessage).where(
        EmailMessage.direction == Direction.OUT.value, EmailMessage.rfc_message_id.in_(rfc_ids)
    )
    return list((await session.execute(stmt)).scalars())


async def email_inboxes(session: AsyncSession) -> list[Inbox]:
    stmt = select(Inbox).where(Inbox.channel_type == ChannelType.EMAIL.value).order_by(Inbox.id)
    return list((await session.execute(stmt)).scalars())
