from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


ALL_SCOPES = (TokenScope.READ.value, TokenScope.WRITE.value, TokenScope.ADMIN.value)


class Workspace(Base):
    """A tenant: one company's support team. Every other row belongs to one."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Signs member identities from the company's backend (memberHash, memberToken).
    identity_secret: Mapped[str] = mapped_column(String(64))
    # Only an expiring memberToken verifies a member; a bare memberHash (which never
    # expires, so a copied one works forever) is then treated as a claim.
    require_member_token: Mapped[bool] = mapped_column(Boolean, default=False)
    default_locale: Mapped[str] = mapped_column(String(8), default="ko")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    # The help center lives at /help/<slug>/.
    slug: Mapped[str | None] = mapped_column(String(60), unique=True)
    # Bumped whenever FAQ entries change, so every process rebuilds its bot index.
    knowledge_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Agent(Base):
    """A user's membership in a workspace, with the role that governs what they may do."""

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT.value)
    # The name customers see on replies; defaults to the user's name.
    display_name: Mapped[str] = mapped_column(String(200))
    # Set by the agent (online / away / offline); "online" also needs a live inbox.
    availability: Mapped[str] = mapped_column(String(16), default="online")
    # Concurrency cap for automatic assignment.
    max_concurrent: Mapped[int] = mapped_column(Integer, default=3)
    # Refreshed by the agent's inbox socket; stale means the agent is gone.
    presence_seen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # For round-robin among equally loaded agents.
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set when an admin deactivates the membership: no access, no assignments; their
    # past replies keep their name. Cleared when reactivated.
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    @property
    def active(self) -> bool:
        return self.deactivated_at is None


class ApiToken(Base):
    """A workspace API token; only its hash is kept, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so an admin can tell tokens apart without the secret.
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    # What it may do (TokenScope values): read = GET; write = changes to conversations,
    # messages, contacts…; admin = act with its creator's role, so settings too.
    scopes: Mapped[list[str]] = mapped_column(Json, default=lambda: list(ALL_SCOPES))
    # Refused from then on; None: until revoked.
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Written at most once a minute (workspaces.service.TOKEN_USE_RESOLUTION).
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
