"""Queries on users and sessions. Users are global; memberships are per workspace."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import LoginFailure, TrustedDevice, User, WebSession


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_by_email(self, email: str) -> User | None:
        return (await self.session.execute(select(User).where(User.email == email))).scalar()

    async def user_by_id(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def count_failures(self, key: str, since: dt.datetime) -> int:
        stmt = select(func.count()).where(LoginFailure.key == key, LoginFailure.created_at > since)
        return int((await self.session.execute(stmt)).scalar_one())

    async def counts_of_failures(self, keys: list[str], since: dt.datetime) -> dict[str, int]:
        """Failures since ``since`` for each key, in one query."""
        stmt = (
            select(LoginFailure.key, func.count())
            .where(LoginFailure.key.in_(keys), LoginFailure.created_at > since)
            .group_by(LoginFailure.key)
        )
        found = {key: int(count) for key, count in (await self.session.execute(stmt)).all()}
        return {key: found.get(key, 0) for key in keys}

    async def failure_expiring(
        self, key: str, since: dt.datetime, offset: int
    ) -> dt.datetime | None:
        """The failure whose expiry brings ``key`` back under its limit (oldest + offset)."""
        stmt = (
            select(LoginFailure.created_at)
            .where(LoginFailure.key == key, LoginFailure.created_at > since)
            .order_by(LoginFailure.created_at)
            .offset(offset)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar()

    async def trusted_device(self, token_hash: str) -> TrustedDevice | None:
        stmt = select(TrustedDevice).where(TrustedDevice.token_hash == token_hash)
        return (await self.session.execute(stmt)).scalar()

    def add_device(self, device: TrustedDevice) -> None:
        self.session.add(device)

    async def session_with_user(self, token_hash: str) -> tuple[User, WebSession] | None:
        stmt = (
            select(User, WebSession)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.token_hash == token_hash)
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (row[0], row[1])

    async def delete_session(self, token_hash: str) -> None:
        await self.session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))
