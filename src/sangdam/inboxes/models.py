from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class ChannelType(enum.StrEnum):
    WEB_WIDGET = "web_widget"
    EMAIL = "email"
    API = "api"
    # Messengers (sangdam.channels): one inbox per connected bot or official account.
    TELEGRAM = "telegram"
    LINE = "line"


class Inbox(Base):
    """Where conversations come in: a website widget now, email and messengers later."""

    __tablename__ = "inboxes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    channel_type: Mapped[str] = mapped_column(String(32), default=ChannelType.WEB_WIDGET.value)
    # Public, embedded in the script tag; identifies the inbox, grants nothing else.
    public_key: Mapped[str] = mapped_column(String(40), unique=True)
    # Channel settings: greeting, colour, allowed origins for the widget...
    config: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
