from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class Contact(Base):
    """A customer: an anonymous visitor at first, later maybe an identified member."""

    __tablename__ = "contacts"
    __table_args__ = (
        # One contact per member: a verified boot on any browser finds the same history.
        Index("ix_contacts_member", "workspace_id", "member_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    # Browser context, as last reported by the widget and parsed on the server.
    locale: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    device: Mapped[str | None] = mapped_column(String(64))
    os: Mapped[str | None] = mapped_column(String(64))
    browser: Mapped[str | None] = mapped_column(String(64))
    current_url: Mapped[str | None] = mapped_column(String(2048))
    current_title: Mapped[str | None] = mapped_column(String(300))
    referrer: Mapped[str | None] = mapped_column(String(2048))
    visits: Mapped[int] = mapped_column(Integer, default=1)
    # Custom attributes (``profile`` of ``Sangdam.boot``), flat: key -> str/number/bool/null.
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # Keys of ``attributes`` (and "name", "email") whose value came signed by the
    # company's backend; every other value is only what the browser claimed.
    signed_keys: Mapped[list[str] | None] = mapped_column(Json, default=list)
    # Set only by a verified boot (memberHash or memberToken); never by a claim.
    member_id: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # What an unverified boot claimed to be: shown to agents, marked, never merged.
    claimed_member_id: Mapped[str | None] = mapped_column(String(200))
    first_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class VisitorToken(Base):
    """The widget's credential for one contact; only a hash is stored."""

    __tablename__ = "visitor_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ContactEvent(Base):
    """A page view or a ``Sangdam.track`` event. Append-only; purged after the retention
    period (by ``created_at``), so it never grows without bound."""

    __tablename__ = "contact_events"
    __table_args__ = (
        Index("ix_contact_events_timeline", "workspace_id", "contact_id", "created_at"),
        Index("ix_contact_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # "page_view" (recorded by the widget) or "event" (Sangdam.track from the host page).
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80))
    props: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
