from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class IntegrationKind(enum.StrEnum):
    # The company's endpoint that returns a card (e.g. recent orders) for a member.
    EXTERNAL_DATA = "external_data"
    GITHUB = "github"


class Integration(Base):
    """One integration of a workspace: its settings and its secret.

    ``secret`` is the external-data signing key (Sangdam generates it and the company
    checks it) or the GitHub token. It is never sent back to a browser in full.
    """

    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("workspace_id", "kind"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    secret: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class GithubIssue(Base):
    """A GitHub issue created from a conversation: kept so the inbox can link to it."""

    __tablename__ = "github_issues"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    repo: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column(Integer)
    html_url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(256))
    created_by_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
