from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sangdam.db import Base, Id, Json, UtcDateTime, utcnow


class FaqEntry(Base):
    """One question the bot and the agents answer the same way (seed 000)."""

    __tablename__ = "faq_entries"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    # The admin's own id for the entry ("refund"): stable across imports and exports.
    key: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(String(500))
    paraphrases: Mapped[list[str]] = mapped_column(Json, default=list)
    # Safe Markdown: rendered with raw HTML escaped.
    answer: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8), default="ko")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Article(Base):
    """A public help-center page, one language each."""

    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("workspace_id", "lang", "slug"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(120))
    lang: Mapped[str] = mapped_column(String(8), default="ko")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class FaqTextEmbedding(Base):
    """A FAQ text's vector from one encoder, kept so that a process that starts (or a
    second node) builds the bot's index without encoding every text again."""

    __tablename__ = "faq_text_embeddings"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    encoder: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 of the text: the key stays short whatever the text's length.
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # float32, little-endian, L2-normalised
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
