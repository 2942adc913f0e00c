from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class Availability(enum.StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Team(Base):
    """A team or department with its own queue (product, language, skill, channel)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # The workspace's catch-all queue: every agent is a member.
    everyone: Mapped[bool] = mapped_column(Boolean, default=False)
    # Off: members claim from the queue themselves ("anyone can take it").
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=False)
    # An assignee who hasn't answered by then loses the conversation to the queue.
    no_answer_minutes: Mapped[int] = mapped_column(Integer, default=5)
    # Business hours (routing.schemas.BusinessHours); null means always open.
    hours: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # {"url": Slack incoming webhook, "business_hours_only": bool}; null: no Slack.
    slack: Mapped[dict[str, Any] | None] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )


class AssignmentEvent(Base):
    """Why a conversation went to whom (or back to the queue), shown in the conversation."""

    __tablename__ = "assignment_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    # assigned | claimed | manual | requeued
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200))
    # {"key": ..., "params": {...}} of routing.service.REASONS, for the inbox's language.
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # The candidates considered: [{"agent_id", "load", "cap"}], for auto-assignment.
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
