from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.kit.repository import WorkspaceRepository
from sangdam.knowledge.models import Article, FaqEntry, FaqTextEmbedding
from sangdam.workspaces.models import Workspace


class KnowledgeRepository(WorkspaceRepository):
    async def faqs(self, *, lang: str | None = None, category: str | None = None) -> list[FaqEntry]:
        stmt = self.select(FaqEntry).order_by(FaqEntry.category, FaqEntry.id)
        if lang is not None:
            stmt = stmt.where(FaqEntry.lang == lang)
        if category is not None:
            stmt = stmt.where(FaqEntry.category == category)
        return list((await self.session.execute(stmt)).scalars())

    async def faq(self, faq_id: int) -> FaqEntry:
        return await self.get_scoped(FaqEntry, faq_id, "FAQ entry")

    async def faq_by_key(self, key: str) -> FaqEntry | None:
        stmt = self.select(FaqEntry).where(FaqEntry.key == key)
        return (await self.session.execute(stmt)).scalar()

    async def faq_keys_starting(self, prefix: str) -> list[str]:
        """The keys of the workspace's FAQ entries that start with ``prefix`` (keys only)."""
        stmt = self.scoped(
            select(FaqEntry.key).where(FaqEntry.key.startswith(prefix, autoescape=True)), FaqEntry
        )
        return list((await self.session.execute(stmt)).scalars())

    async def delete_faqs_except(self, keys: set[str]) -> int:
        stmt = delete(FaqEntry).where(FaqEntry.workspace_id == self.workspace_id)
        if keys:
            stmt = stmt.where(FaqEntry.key.not_in(keys))
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def bump_version(self) -> None:
        """Tell every process that this workspace's bot index is stale."""
        await self.session.execute(
            update(Workspace)
            .where(Workspace.id == self.workspace_id)
            .values(knowledge_version=Workspace.knowledge_version + 1)
        )

    async def version(self) -> int:
        stmt = select(Workspace.knowledge_version).where(Workspace.id == self.workspace_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def text_embeddings(self) -> list[FaqTextEmbedding]:
        return list((await self.session.execute(self.select(FaqTextEmbedding))).scalars())

    async def save_text_embeddings(
        self, rows: list[FaqTextEmbedding], keep: set[tuple[str, str]]
    ) -> None:
        """Store ``rows`` (replacing a stored vector with the same key) and drop the
        stored vectors whose (encoder, text hash) is not in ``keep``: texts edited away
        or deleted."""
        stored = await self.session.execute(
            select(FaqTextEmbedding.encoder, FaqTextEmbedding.text_hash).where(
                FaqTextEmbedding.workspace_id == self.workspace_id
            )
        )
        present = {(encoder, digest) for encoder, digest in stored}
        stale: dict[str, list[str]] = {}
        for encoder, digest in present - keep:
            stale.setdefault(encoder, []).append(digest)
        for encoder, digests in stale.items():
            await self.session.execute(
                delete(FaqTextEmbedding).where(
                    FaqTextEmbedding.workspace_id == self.workspace_id,
                    FaqTextEmbedding.encoder == encoder,
                    FaqTextEmbedding.text_hash.in_(digests),
                )
            )
        for row in rows:
            if (row.encoder, row.text_hash) in present:
                await self.session.execute(
                    update(FaqTextEmbedding)
                    .where(
                        FaqTextEmbedding.workspace_id == self.workspace_id,
                        FaqTextEmbedding.encoder == row.encoder,
                        FaqTextEmbedding.text_hash == row.text_hash,
                    )
                    .values(vector=row.vector)
                )
            else:
                self.add(row)

    async def articles(
        self, *, lang: str | None = None, published_only: bool = False
    ) -> list[Article]:
        stmt = self.select(Article).order_by(Article.category, Article.title)
        if lang is not None:
            stmt = stmt.where(Article.lang == lang)
        if published_only:
            stmt = stmt.where(Article.published.is_(True))
        return list((await self.session.execute(stmt)).scalars())

    async def article(self, article_id: int) -> Article:
        return await self.get_scoped(Article, article_id, "Article")

    async def article_by_slug(self, lang: str, slug: str) -> Article | None:
        stmt = self.select(Article).where(Article.lang == lang, Article.slug == slug)
        return (await self.session.execute(stmt)).scalar()

    async def translations(self, slug: str) -> list[Article]:
        """The published versions of an article in each language (they share its slug)."""
        stmt = (
            self.select(Article)
            .where(Article.slug == slug, Article.published.is_(True))
            .order_by(Article.lang)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def articles_by_ids(self, ids: set[int]) -> dict[int, Article]:
        if not ids:
            return {}
        stmt = self.select(Article).where(Article.id.in_(ids))
        return {a.id: a for a in (await self.session.execute(stmt)).scalars()}

    async def published_articles_fingerprint(self) -> tuple[Any, ...]:
        """Changes whenever a published article is added, removed, edited or unpublished."""
        stmt = self.scoped(
            select(func.count(Article.id), func.sum(Article.id), func.max(Article.updated_at)),
            Article,
        ).where(Article.published.is_(True))
        return tuple((await self.session.execute(stmt)).one())


async def workspace_by_slug(session: AsyncSession, slug: str) -> Workspace | None:
    """The help center is public: its address names the workspace."""
    return (await session.execute(select(Workspace).where(Workspace.slug == slug))).scalar()


async def help_centers(session: AsyncSession) -> list[tuple[str, Any]]:
    """Every help center with a published article: (workspace slug, last update), for the
    sitemap index search engines read. Workspaces with nothing public are not named."""
    stmt = (
        select(Workspace.slug, func.max(Article.updated_at))
        .join(Article, Article.workspace_id == Workspace.id)
        .where(Article.published.is_(True), Workspace.slug.is_not(None))
        .group_by(Workspace.slug)
        .order_by(Workspace.slug)
    )
    return [(str(slug), updated) for slug, updated in (await session.execute(stmt)).all()]
