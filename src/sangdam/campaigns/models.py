from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, UtcDateTime, utcnow


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    # The send job is under way (or waiting to be picked up again after a crash).
    SENDING = "sending"
    SENT = "sent"


class SendStatus(enum.StrEnum):
    # Recorded, not delivered yet: a job that died here delivers it on its next run.
    PENDING = "pending"
    SENT = "sent"
    # The customer was in a live chat (an open or bot conversation) when their turn came.
    SKIPPED_LIVE_CHAT = "skipped_live_chat"
    # The customer got another campaign within the frequency cap.
    SKIPPED_CAP = "skipped_cap"


class Campaign(Base):
    """A chat message to a segment, started in the widget from a named agent or the bot."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    # The web-widget inbox the conversations open in.
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    # "agent" (``sender_agent_id`` speaks, and gets the replies) or "bot".
    sender_type: Mapped[str] = mapped_column(String(16))
    sender_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    # A customer who got any campaign within this many days is skipped (0: no cap).
    frequency_cap_days: Mapped[int] = mapped_column(Integer, default=7)
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT.value)
    # The send job's cursor: customers up to this id have a campaign_sends row.
    cursor_contact_id: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class CampaignSend(Base):
    """One customer's turn in a campaign, written before the message goes out: the unique
    (campaign, contact) makes a second delivery impossible, a pending row makes a skipped
    one impossible."""

    __tablename__ = "campaign_sends"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_campaign_sends_pending", "campaign_id", "status", "id"),
        # The frequency cap: this customer's latest campaign message.
        Index("ix_campaign_sends_cap", "workspace_id", "contact_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(24), default=SendStatus.PENDING.value)
    # The conversation the message started (its ``origin`` names the campaign too).
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
