from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class Status(enum.StrEnum):
    # The support bot is handling it; no human is needed yet.
    BOT = "bot"
    OPEN = "open"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_inbox_list", "workspace_id", "status", "last_activity_at"),
        # Reports: conversations started in a date range.
        Index("ix_conversations_created", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=Status.OPEN.value)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    # Highest message seq in this conversation; bumped in the inserting transaction.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped on every change, so a client can keep the newest copy it has seen.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Highest seq the visitor has seen ("read up to").
    contact_last_seen_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Highest seq any agent has read; the widget shows "seen" from it.
    agent_last_seen_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_message_preview: Mapped[str] = mapped_column(String(200), default="")
    last_message_sender: Mapped[str | None] = mapped_column(String(16))
    # Where the conversation started: site, page URL, referrer, title.
    origin: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_activity_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set while the customer waits on a human; cleared by an agent's reply.
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The category the customer chose or the bot recognised (제품기능, 이용가격...).
    category: Mapped[str | None] = mapped_column(String(100))
    # Where the customer is in the bot flow; empty once a human took over.
    bot_state: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    handed_off_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Routing: the team whose queue it waits in, its priority (VIP first), when assigned.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Ids of its tags (tags.ConversationTag is the truth), so every view carries them for free.
    tag_ids: Mapped[list[int]] = mapped_column(Json, default=list)


class ConversationRead(Base):
    """How far an agent has read a conversation."""

    __tablename__ = "conversation_reads"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    last_seen_seq: Mapped[int] = mapped_column(Integer, default=0)
