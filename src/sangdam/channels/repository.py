from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.channels.models import ChannelAccount, ChannelIdentity, ChannelSend, ChannelUpdate
from sangdam.inboxes.models import Inbox
from sangdam.kit.repository import WorkspaceRepository


class ChannelRepository(WorkspaceRepository):
    async def account(self, account_id: int) -> ChannelAccount:
        return await self.get_scoped(ChannelAccount, account_id, "Channel")

    async def accounts(self) -> list[tuple[ChannelAccount, Inbox]]:
        stmt = self.scoped(
            select(ChannelAccount, Inbox)
            .join(Inbox, Inbox.id == ChannelAccount.inbox_id)
            .order_by(ChannelAccount.id),
            ChannelAccount,
        )
        return [(a, i) for a, i in (await self.session.execute(stmt)).all()]

    async def update(self, update_id: int, *, for_update: bool = False) -> ChannelUpdate | None:
        stmt = self.select(ChannelUpdate).where(ChannelUpdate.id == update_id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(stmt)).scalar()

    async def update_by_key(self, account_id: int, key: str) -> ChannelUpdate | None:
        stmt = self.select(ChannelUpdate).where(
            ChannelUpdate.account_id == account_id, ChannelUpdate.external_key == key
        )
        return (await self.session.execute(stmt)).scalar()

    async def identity(self, account_id: int, external_user_id: str) -> ChannelIdentity | None:
        stmt = self.select(ChannelIdentity).where(
            ChannelIdentity.account_id == account_id,
            ChannelIdentity.external_user_id == external_user_id,
        )
        return (await self.session.execute(stmt)).scalar()

    async def identity_for_contact(
        self, account_id: int, contact_id: int
    ) -> ChannelIdentity | None:
        stmt = (
            self.select(ChannelIdentity)
            .where(
                ChannelIdentity.account_id == account_id, ChannelIdentity.contact_id == contact_id
            )
            .order_by(ChannelIdentity.id)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar()

    async def send(self, send_id: int) -> ChannelSend | None:
        stmt = self.select(ChannelSend).where(ChannelSend.id == send_id)
        return (await self.session.execute(stmt)).scalar()

    async def send_for(self, message_id: int) -> ChannelSend | None:
        stmt = self.select(ChannelSend).where(ChannelSend.message_id == message_id)
        return (await self.session.execute(stmt)).scalar()


# A webhook names its account only by the key in its URL; the account names its workspace.


async def account_by_webhook_key(session: AsyncSession, key: str) -> ChannelAccount | None:
    stmt = select(ChannelAccount).where(ChannelAccount.webhook_key == key)
    return (await session.execute(stmt)).scalar()
