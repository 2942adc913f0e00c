"""Customer satisfaction: the chat rating asked when a conversation ends, and its settings."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, UtcDateTime, utcnow


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
