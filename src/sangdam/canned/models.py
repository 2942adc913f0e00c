from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, UtcDateTime, utcnow


class CannedScope(enum.StrEnum):
    # Only its author sees it.
    PERSONAL = "personal"
    # The members of one team.
    TEAM = "team"
    # Everyone in the workspace.
    WORKSPACE = "workspace"


class CannedResponse(Base):
    """A saved answer (자주쓰는문구) typed with "/shortcut" in the reply box."""

    __tablename__ = "canned_responses"
    __table_args__ = (Index("ix_canned_responses_lookup", "workspace_id", "scope"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(16), default=CannedScope.PERSONAL.value)
    # The author of a personal one; null for team and workspace ones.
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    # ko / en; null: for any language.
    lang: Mapped[str | None] = mapped_column(String(8))
    shortcut: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(200))
    # Plain text with {{variables}}; never HTML.
    body: Mapped[str] = mapped_column(Text)
    created_by_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
