"""Queries on users and sessions. Users are global; memberships are per workspace."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import (
    LoginFailure,
    PasswordReset,
    TrustedDevice,
    User,
    UserAvatar,
    WebSession,
)
from sangdam.workspaces.models import Agent


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

    async def forget_devices(self, user_id: int, unused_since: dt.datetime) -> None:
        await self.session.execute(
            delete(TrustedDevice).where(
                TrustedDevice.user_id == user_id, TrustedDevice.last_used_at < unused_since
            )
        )

    async def session_with_user(self, token_hash: str) -> tuple[User, WebSession] | None:
        stmt = (
            select(User, WebSession)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.token_hash == token_hash)
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (row[0], row[1])

    async def delete_session(self, token_hash: str) -> int | None:
        """Delete a browser session; returns its id (None if there was none)."""
        stmt = delete(WebSession).where(WebSession.token_hash == token_hash)
        return (await self.session.execute(stmt.returning(WebSession.id))).scalar()

    async def open_resets(self, user_id: int) -> list[PasswordReset]:
        stmt = select(PasswordReset).where(
            PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None)
        )
        return list((await self.session.execute(stmt)).scalars())

    def add_reset(self, reset: PasswordReset) -> None:
        self.session.add(reset)

    async def reset_by_hash(self, token_hash: str) -> PasswordReset | None:
        stmt = select(PasswordReset).where(PasswordReset.token_hash == token_hash)
        return (await self.session.execute(stmt.with_for_update())).scalar()

    async def avatar(self, user_id: int) -> UserAvatar | None:
        return await self.session.get(UserAvatar, user_id)

    def add_avatar(self, avatar: UserAvatar) -> None:
        self.session.add(avatar)

    async def user_count(self) -> int:
        return int((await self.session.execute(select(func.count()).select_from(User))).scalar_one())

    async def rename_memberships(self, user_id: int, previous: str, name: str) -> None:
        """Display names that were the user's name follow the new one (users are global;
        memberships keep a name per workspace)."""
        stmt = (
            update(Agent)
            .where(Agent.user_id == user_id, Agent.display_name == previous)
            .values(display_name=name)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)
