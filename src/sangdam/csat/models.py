"""Customer satisfaction: the chat rating asked when a conversation ends, and its settings."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class RatingScale(enum.StrEnum):
    # 1 to 5 stars.
    FIVE = "five"
    # Thumbs up or down, stored as 5 (good) or 1 (bad) so both scales add up in reports.
    GOOD_BAD = "good_bad"
    # The widget asks nothing.
    OFF = "off"


# A score at or above this is a satisfied customer (CSAT = satisfied / rated); at or below
# BAD_AT_MOST it is a bad rating (the automation trigger "rated" with rating "bad").
SATISFIED_FROM = 4
BAD_AT_MOST = 2


class CsatSettings(Base):
    """How a workspace asks for ratings; a workspace without a row uses the defaults."""

    __tablename__ = "csat_settings"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    rating_scale: Mapped[str] = mapped_column(String(16), default=RatingScale.FIVE.value)
    # Offer a comment box under the rating.
    ask_comment: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Rating(Base):
    """A customer's rating of one resolution of a conversation (reopened and resolved again,
    it may be rated again)."""

    __tablename__ = "ratings"
    __table_args__ = (
        # One rating per resolution: a second answer to the same ending is refused.
        UniqueConstraint("conversation_id", "resolved_at"),
        # Reports read ratings by workspace and time.
        Index("ix_ratings_workspace_created", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # Who had the conversation and where it waited when it ended: reports by agent and team.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    scale: Mapped[str] = mapped_column(String(16))
    # 1..5 (good/bad: 5 or 1).
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    # The resolution it rates (conversations.resolved_at when it was given).
    resolved_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    @property
    def satisfied(self) -> bool:
        return self.score >= SATISFIED_FROM


# ---- surveys: questions an admin configures, sent at resolve or hours after ---------------


class SurveyChannel(enum.StrEnum):
    # Live chats: a survey card in the widget.
    WIDGET = "widget"
    # Conversations answered by email (email in, or an offline message): a one-time link.
    EMAIL = "email"
    # Each conversation by its own channel.
    BOTH = "both"


class QuestionKind(enum.StrEnum):
    RATING = "rating"  # 1..5
    CHOICE = "choice"  # one of the question's options
    TEXT = "text"  # free text


class Survey(Base):
    """Questions asked after a conversation ends; every active survey whose channel fits
    the conversation is sent once per ending."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # [{"kind": "rating"|"choice"|"text", "text": str, "options": [str], "required": bool}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # 0: at resolve; else this many hours after (skipped if the customer wrote again).
    send_after_hours: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(16), default=SurveyChannel.BOTH.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class SurveySend(Base):
    """One survey asked about one ending of one conversation."""

    __tablename__ = "survey_sends"
    __table_args__ = (
        # One ending is asked once: a second resolve reaction for the same ending adds nothing.
        UniqueConstraint("survey_id", "conversation_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # Who had it and where it waited when it ended: results by agent and team.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    # "widget" or "email": how it is delivered.
    channel: Mapped[str] = mapped_column(String(16))
    resolved_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # sha256 of the one-time link's secret (the secret itself is only in the email).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Not sent: the customer wrote after this ending (or the survey was turned off).
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class SurveyResponse(Base):
    """The customer's answers to one send (one response per send)."""

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    send_id: Mapped[int] = mapped_column(
        ForeignKey("survey_sends.id", ondelete="CASCADE"), unique=True
    )
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    # One answer per question, in the survey's order: an int (rating), a str (choice, text)
    # or null (skipped optional question).
    answers: Mapped[list[Any]] = mapped_column(Json, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
