from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class AutomationRule(Base):
    """When <event> and <conditions> then <actions>: data, validated by automation.schemas."""

    __tablename__ = "automation_rules"
    __table_args__ = (Index("ix_automation_rules_event", "workspace_id", "event", "enabled"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The trigger's event, copied out of ``definition`` so the lookup per event is one index scan.
    event: Mapped[str] = mapped_column(String(32))
    # {"trigger": ..., "conditions": [...], "actions": [...]} (schemas.RuleDefinition).
    definition: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # Rules run in this order (then by id).
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Signs this rule's webhook calls (HMAC-SHA256); shown to admins.
    webhook_secret: Mapped[str] = mapped_column(String(80))
    run_count: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class AutomationRun(Base):
    """One time a rule matched: what it did, so an admin can see why something happened."""

    __tablename__ = "automation_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("automation_rules.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    event: Mapped[str] = mapped_column(String(32))
    # [{"type": "add_tag", "result": "done" | "skipped: ..." }]
    actions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
