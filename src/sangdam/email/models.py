from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, UtcDateTime, utcnow


class Direction(enum.StrEnum):
    # A customer's email that came in through the listener.
    IN = "in"
    # A reply Sangdam sent (its Message-ID is ours, so it can be matched safely).
    OUT = "out"


class EmailThread(Base):
    """A conversation that continues by email: where replies go and how answers find it."""

    __tablename__ = "email_threads"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True
    )
    # 128 random bits in Reply-To (reply+<token>@inbound domain); names exactly one
    # conversation, so a guessed or foreign token reaches nothing.
    reply_token: Mapped[str] = mapped_column(String(40), unique=True)
    # The customer's address, as they gave it (offline form) or wrote from.
    address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class EmailMessage(Base):
    """One email of a thread, by its Message-ID: threading headers and duplicate detection."""

    __tablename__ = "email_messages"
    __table_args__ = (
        # A second delivery of the same email is recognised, not stored twice.
        UniqueConstraint("workspace_id", "direction", "rfc_message_id"),
        Index("ix_email_messages_rfc_message_id", "rfc_message_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # The chat message it carries (null if that message was deleted since).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), unique=True
    )
    direction: Mapped[str] = mapped_column(String(8))
    # Without the angle brackets; see email.service.normalise_message_id.
    rfc_message_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
