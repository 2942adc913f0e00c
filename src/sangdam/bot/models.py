from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class BotFlow(Base):
    """The button flow of one entry point (an inbox), or the workspace default (no inbox).

    ``definition`` is data the admin edits: greeting, category buttons, texts of
    each step in Korean and English. See ``bot.schemas.FlowDefinition``.
    """

    __tablename__ = "bot_flows"
    __table_args__ = (UniqueConstraint("workspace_id", "inbox_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    definition: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class BotEventKind(enum.StrEnum):
    # The customer pressed a button (category, FAQ, feedback, talk to a person).
    BUTTON = "button"
    # The customer typed a question to the bot.
    QUESTION = "question"
    # The bot showed an FAQ answer.
    ANSWERED = "answered"
    # The bot was unsure and offered suggestions.
    SUGGESTED = "suggested"
    # The bot had no answer (out of scope).
    NO_ANSWER = "no_answer"
    # Only a greeting or a thank-you: the bot greeted back with the topics.
    SMALL_TALK = "small_talk"
    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"
    HANDED_OFF = "handed_off"


class BotEvent(Base):
    """One step of a customer's path through the bot: shown to agents, counted in reports."""

    __tablename__ = "bot_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
