from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class ChannelAccount(Base):
    """A connected messenger account (a Telegram bot, a LINE official account) and its inbox."""

    __tablename__ = "channel_accounts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), unique=True)
    # "telegram" | "line": which adapter speaks for it (inboxes.models.ChannelType).
    kind: Mapped[str] = mapped_column(String(32))
    # 128 random bits in the webhook URL: names this account only. Not a credential —
    # every delivery must also carry the channel's signature or secret token.
    webhook_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The credentials (bot token, channel secret...) as JSON, Fernet-encrypted with
    # settings.channels.secret_keys; never in clear on disk, in logs or in answers.
    credentials: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ChannelUpdate(Base):
    """One inbound webhook event, stored before it is acknowledged and processed by a job.

    Its key (Telegram's update_id, LINE's webhookEventId) is unique per account, so a
    delivery the platform repeats is recognised and stored once.
    """

    __tablename__ = "channel_updates"
    __table_args__ = (UniqueConstraint("account_id", "external_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True
    )
    external_key: Mapped[str] = mapped_column(String(128))
    # The parsed event (sender, text...), as the adapter read it from the verified body.
    event: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # Set once the event became a message: a job run twice stores it once.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ChannelIdentity(Base):
    """A person on a messenger, mapped to a contact: where replies go, and their current chat."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("account_id", "external_user_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True
    )
    # The messenger's user id (Telegram from.id, LINE userId).
    external_user_id: Mapped[str] = mapped_column(String(128))
    # Where replies are sent (Telegram chat_id, LINE userId/groupId).
    address: Mapped[str] = mapped_column(String(128))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    # The conversation their next message continues (a new one once it is resolved).
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ChannelSend(Base):
    """An agent's reply on its way out, per message: which of its parts the API accepted.

    A reply job that runs again (a retry, a worker that died) sends only the parts not
    recorded here, so no part is sent twice once its acceptance was recorded.
    """

    __tablename__ = "channel_sends"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True
    )
    parts_total: Mapped[int] = mapped_column(Integer, default=1)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    # "sending" | "sent" | "failed" (the API refused it for good: blocked bot, bad token)
    # | "delivered" | "read" where the channel reports it.
    status: Mapped[str] = mapped_column(String(16), default="sending")
    # The messenger's ids of the parts it accepted (Telegram message_id, LINE sentMessages).
    external_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
