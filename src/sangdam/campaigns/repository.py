from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sangdam.campaigns.models import Campaign, CampaignSend, SendStatus
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.kit.repository import WorkspaceRepository
from sangdam.messages.models import Message, SenderType

# A conversation someone is in the middle of: a campaign must not talk over it.
LIVE_STATUSES = (Status.OPEN.value, Status.BOT.value)


class CampaignRepository(WorkspaceRepository):
    async def all(self) -> list[Campaign]:
        stmt = self.select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
        return list((await self.session.execute(stmt)).scalars())

    async def get(self, campaign_id: int, *, for_update: bool = False) -> Campaign:
        return await self.get_scoped(Campaign, campaign_id, "Campaign", for_update=for_update)

    async def delete(self, campaign: Campaign) -> None:
        await self.session.delete(campaign)

    async def reserve(self, campaign_id: int, contact_ids: Sequence[int]) -> None:
        """A pending row per customer; one that already has a row keeps it."""
        if not contact_ids:
            return
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        rows = [
            {
                "workspace_id": self.workspace_id,
                "campaign_id": campaign_id,
                "contact_id": contact_id,
                "status": SendStatus.PENDING.value,
            }
            for contact_id in contact_ids
        ]
        await self.session.execute(
            insert(CampaignSend)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["campaign_id", "contact_id"])
        )

    async def pending(self, campaign_id: int, limit: int) -> list[CampaignSend]:
        stmt = (
            self.select(CampaignSend)
            .where(
                CampaignSend.campaign_id == campaign_id,
                CampaignSend.status == SendStatus.PENDING.value,
            )
            .order_by(CampaignSend.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def has_pending(self, campaign_id: int) -> bool:
        stmt = self.scoped(
            select(CampaignSend.id).where(
                CampaignSend.campaign_id == campaign_id,
                CampaignSend.status == SendStatus.PENDING.value,
            ),
            CampaignSend,
        ).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def in_live_chat(self, contact_ids: Sequence[int]) -> set[int]:
        stmt = self.scoped(
            select(Conversation.contact_id).where(
                Conversation.contact_id.in_(list(contact_ids)),
                Conversation.status.in_(LIVE_STATUSES),
            ),
            Conversation,
        )
        return set((await self.session.execute(stmt)).scalars())

    async def recently_sent(self, contact_ids: Sequence[int], since: dt.datetime) -> set[int]:
        """Customers who got any campaign message since then (the frequency cap)."""
        stmt = self.scoped(
            select(CampaignSend.contact_id).where(
                CampaignSend.contact_id.in_(list(contact_ids)),
                CampaignSend.status == SendStatus.SENT.value,
                CampaignSend.sent_at >= since,
            ),
            CampaignSend,
        )
        return set((await self.session.execute(stmt)).scalars())

    async def mark(self, send_ids: Sequence[int], status: SendStatus) -> None:
        if send_ids:
            await self.session.execute(
                update(CampaignSend)
                .where(
                    CampaignSend.workspace_id == self.workspace_id,
                    CampaignSend.id.in_(list(send_ids)),
                )
                .values(status=status.value)
            )

    async def counts(self, campaign_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """Per campaign: sends by status, and how many were shown and replied to."""
        if not campaign_ids:
            return {}
        sends = CampaignSend.__table__.c
        replied = exists().where(
            Message.conversation_id == sends.conversation_id,
            Message.sender_type == SenderType.CONTACT.value,
        )
        stmt = self.scoped(
            select(
                sends.campaign_id,
                sends.status,
                func.count(),
                func.count(Conversation.id).filter(Conversation.contact_last_seen_seq >= 1),
                func.count(Conversation.id).filter(replied),
            )
            .select_from(CampaignSend)
            .outerjoin(Conversation, Conversation.id == sends.conversation_id)
            .where(sends.campaign_id.in_(list(campaign_ids)))
            .group_by(sends.campaign_id, sends.status),
            CampaignSend,
        )
        out: dict[int, dict[str, int]] = {}
        for campaign_id, status, count, shown, answered in await self.session.execute(stmt):
            row = out.setdefault(campaign_id, {"recipients": 0, "shown": 0, "replied": 0})
            row[status] = int(count)
            row["recipients"] += int(count)
            row["shown"] += int(shown)
            row["replied"] += int(answered)
        return out

    async def contacts(self, contact_ids: Sequence[int]) -> dict[int, Contact]:
        stmt = self.select(Contact).where(Contact.id.in_(list(contact_ids)))
        return {contact.id: contact for contact in (await self.session.execute(stmt)).scalars()}
