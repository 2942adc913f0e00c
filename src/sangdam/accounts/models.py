from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, UtcDateTime, utcnow


class User(Base):
    """A person who can sign in; their roles live on workspace memberships (agents)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    # "ko" or "en": the inbox speaks the agent's language. Until they pick one
    # (``locale_chosen``), each sign-in takes the browser's.
    locale: Mapped[str] = mapped_column(String(8), default="ko")
    locale_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on password change; sessions minted under an older value are dead.
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebSession(Base):
    """A signed-in browser. Only a hash of the cookie value is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    auth_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    user_agent: Mapped[str] = mapped_column(String(400), default="")


class LoginFailure(Base):
    """Failed sign-ins, kept in the database so every process sees the same count."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # sha256 of what was counted: "email|address", "address|…", "account|…" or "device|…"
    # (accounts/service.py), so one failure can count against several limits.
    key: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class TrustedDevice(Base):
    """A browser that signed in as this user before (the ``sangdam_device`` cookie).

    Failed sign-ins by strangers lock strangers out; a trusted device has its own
    count, so nobody can lock the real user out of their usual browser.
    """

    __tablename__ = "trusted_devices"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # sha256 of the cookie value; the value itself is only in the browser.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class PasswordReset(Base):
    """A one-time link to set a new password ("forgot password", or sent by an admin)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # sha256 of the link's secret; the secret itself is only in the email.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class UserAvatar(Base):
    """A user's picture: re-encoded as a small PNG (nothing of the upload survives but
    pixels), kept apart from ``users`` so sign-ins never load it."""

    __tablename__ = "user_avatars"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    png: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
