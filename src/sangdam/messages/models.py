from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class SenderType(enum.StrEnum):
    CONTACT = "contact"
    AGENT = "agent"
    BOT = "bot"
    SYSTEM = "system"


class MessageKind(enum.StrEnum):
    TEXT = "text"
    # Internal note: agents only, never delivered to the customer.
    NOTE = "note"
    # "Conversation resolved", "assigned to ..." lines in the timeline.
    ACTIVITY = "activity"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        # Idempotency: one message per sender and client-generated id.
        UniqueConstraint("workspace_id", "sender_type", "sender_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # Position in the conversation: 1, 2, 3... without gaps, assigned on insert.
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default=MessageKind.TEXT.value)
    sender_type: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[int | None] = mapped_column(Integer)
    # The name shown on the message, as it was when sent (like an email From).
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    client_id: Mapped[str | None] = mapped_column(String(64))
    # sha256 of what was sent, to tell a retry from a different message reusing an id.
    content_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    # Structured payload: attachments, bot buttons, activity details.
    content: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
