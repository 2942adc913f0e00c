"""What reports keep beyond the conversations themselves: each resolved conversation's times."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, UtcDateTime


class ConversationTimes(Base):
    """How long the customer waited at each step of one conversation, measured when it was
    (last) resolved, in seconds and in business-hours seconds (the team's hours then).

    Written by the reaction to ``ConversationResolved`` in the resolving transaction, from
    the conversation's messages and assignments: reports read one narrow row per
    conversation instead of its messages (docs/reports.md).
    """

    __tablename__ = "conversation_times"
    __table_args__ = (Index("ix_conversation_times_created", "workspace_id", "created_at"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # The conversation's, copied so a report's date range reads this table alone.
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    agent_id: Mapped[int | None] = mapped_column(Id)
    team_id: Mapped[int | None] = mapped_column(Id)
    # From the moment the customer asked for a person (queue entry) to the first reply.
    first_response_s: Mapped[float | None] = mapped_column(Float)
    first_response_bh_s: Mapped[float | None] = mapped_column(Float)
    # From queue entry to the first assignment (or reply, if nobody was assigned).
    wait_s: Mapped[float | None] = mapped_column(Float)
    wait_bh_s: Mapped[float | None] = mapped_column(Float)
    # From the conversation's start to its resolution.
    resolution_s: Mapped[float] = mapped_column(Float)
    resolution_bh_s: Mapped[float] = mapped_column(Float)
    # Every customer message answered by an agent: how many, and their waits added up.
    replies: Mapped[int] = mapped_column(Integer, default=0)
    reply_s: Mapped[float] = mapped_column(Float, default=0.0)
    reply_bh_s: Mapped[float] = mapped_column(Float, default=0.0)
