from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, UtcDateTime, utcnow


class Tag(Base):
    """A label of the workspace (불만, 개선 아이디어, VIP...), for conversations and contacts."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(50))
    # #rrggbb, shown as the chip's colour.
    color: Mapped[str] = mapped_column(String(7), default="#64748b")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class _Tagging:
    """What both kinds of tagging keep: which tag, whose workspace, who added it, when."""

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # Who added it: an agent, or an automation rule (kept without a foreign key: rules come and go).
    added_by_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    added_by_rule_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConversationTag(_Tagging, Base):
    __tablename__ = "conversation_tags"
    # The inbox filter: conversations with a tag, per workspace.
    __table_args__ = (Index("ix_conversation_tags_filter", "workspace_id", "tag_id"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )


class ContactTag(_Tagging, Base):
    __tablename__ = "contact_tags"
    __table_args__ = (Index("ix_contact_tags_filter", "workspace_id", "tag_id"),)

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
