"""FAQ entries and help-center articles: one source for the bot and for agents (seed 000)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.bot.matching import FaqEntry as MatchEntry
from sangdam.bot.matching import FaqIndex, remember_embeddings
from sangdam.bot.matching.lexical import CharNgramIndex
from sangdam.bot.matching.passages import (
    MIN_LEAD_OVER_FAQ,
    article_of,
    best_passage,
    passage_entries,
)
from sangdam.bot.matching.text import detect_lang, normalize
from sangdam.db import Database, utcnow
from sangdam.kit.errors import BadRequest, Conflict, PayloadTooLarge
from sangdam.kit.markdown import as_message_text, plain_text, render_markdown
from sangdam.knowledge.models import Article, FaqEntry, FaqTextEmbedding
from sangdam.knowledge.repository import KnowledgeRepository
from sangdam.knowledge.schemas import (
    ArticleIn,
    FaqIn,
    FaqOut,
    ImportResult,
    SearchHit,
    SearchResult,
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ENTRIES = 5000
MAX_PARAPHRASES = 100  # as FaqIn allows
EXPORT_KEYS = ("id", "category", "question", "paraphrases", "answer", "lang")


def faq_out(entry: FaqEntry) -> FaqOut:
    return FaqOut(
        id=entry.id,
        key=entry.key,
        category=entry.category,
        question=entry.question,
        paraphrases=list(entry.paraphrases or []),
        answer=entry.answer,
        answer_html=render_markdown(entry.answer),
        lang=entry.lang,
        article_id=entry.article_id,
        updated_at=entry.updated_at,
    )


def parse_jsonl(data: bytes) -> list[tuple[int, FaqIn]]:
    """Validate a whole JSONL file; any problem is reported with its line number."""
    if len(data) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(
            "The file is {kilobytes} KB; imports are limited to {megabytes} MB. "
            "Split it into several files.",
            values={"kilobytes": len(data) // 1024, "megabytes": MAX_IMPORT_BYTES // (1024 * 1024)},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("The file is not UTF-8 text. Save it as UTF-8 and try again.") from None
    entries: list[tuple[int, FaqIn]] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadRequest(
                "Line {number} is not valid JSON ({problem}).",
                code="bad_line",
                line=number,
                values={"number": number, "problem": exc.msg},
            ) from None
        if not isinstance(row, dict):
            raise BadRequest(
                'Line {number} must be a JSON object like {{"id": ...}}.',
                code="bad_line",
                values={"number": number},
                line=number,
            )
        try:
            entry = FaqIn.model_validate(row)
        except ValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(p) for p in problem["loc"]) or "entry"
            raise BadRequest(
                "Line {number}, field '{field}': {problem}.",
                code="bad_line",
                line=number,
                values={"number": number, "field": field, "problem": problem["msg"]},
            ) from None
        if entry.key in first_line:
            raise BadRequest(
                "Line {number} repeats the id '{key}' of line {first}.",
                code="bad_line",
                values={"number": number, "key": entry.key, "first": first_line[entry.key]},
                line=number,
            )
        first_line[entry.key] = number
        entries.append((number, entry))
        if len(entries) > MAX_IMPORT_ENTRIES:
            raise PayloadTooLarge(
                "Imports are limited to {limit} entries a file.",
                values={"limit": MAX_IMPORT_ENTRIES},
            )
    if not entries:
        raise BadRequest(
            "The file has no FAQ entries: put one JSON object on each line.", code="empty_import"
        )
    return entries


async def _article_id(
    repository: KnowledgeRepository, entry: FaqIn, line: int | None
) -> int | None:
    if entry.article is None:
        return None
    article = await repository.article_by_slug(entry.lang, entry.article)
    if article is None:
        where = f"Line {line}: " if line is not None else ""
        raise BadRequest(
            "{where}there is no {lang} article with the slug '{slug}'.",
            code="bad_line",
            values={"where": where, "lang": entry.lang, "slug": entry.article},
            line=line,
        )
    return article.id


def _apply(row: FaqEntry, entry: FaqIn, article_id: int | None) -> None:
    row.category = entry.category.strip()
    row.question = entry.question.strip()
    row.paraphrases = entry.paraphrases
    row.answer = entry.answer
    row.lang = entry.lang
    row.article_id = article_id
    row.updated_at = utcnow()


async def import_faqs(
    session: AsyncSession, workspace_id: int, data: bytes, *, replace: bool
) -> ImportResult:
    """All or nothing: the file is validated completely before anything is written."""
    entries = parse_jsonl(data)
    repository = KnowledgeRepository(session, workspace_id)
    created = updated = 0
    for line, entry in entries:
        article_id = await _article_id(repository, entry, line)
        row = await repository.faq_by_key(entry.key)
        if row is None:
            row = FaqEntry(key=entry.key)
            repository.add(row)
            created += 1
        else:
            updated += 1
        _apply(row, entry, article_id)
    deleted = await repository.delete_faqs_except({e.key for _, e in entries}) if replace else 0
    await repository.bump_version()
    await session.flush()
    return ImportResult(created=created, updated=updated, deleted=deleted, total=created + updated)


async def export_faqs(session: AsyncSession, workspace_id: int) -> str:
    repository = KnowledgeRepository(session, workspace_id)
    entries = await repository.faqs()
    articles = await repository.articles_by_ids({e.article_id for e in entries if e.article_id})
    lines = []
    for entry in entries:
        row: dict[str, Any] = {
            "id": entry.key,
            "category": entry.category,
            "question": entry.question,
            "paraphrases": list(entry.paraphrases or []),
            "answer": entry.answer,
            "lang": entry.lang,
        }
        if entry.article_id in articles:
            row["article"] = articles[entry.article_id].slug
        lines.append(json.dumps(row, ensure_ascii=False))
    return "\n".join(lines) + ("\n" if lines else "")


async def create_faq(session: AsyncSession, workspace_id: int, entry: FaqIn) -> FaqEntry:
    repository = KnowledgeRepository(session, workspace_id)
    if await repository.faq_by_key(entry.key) is not None:
        raise Conflict(
            "An FAQ entry with the id '{key}' exists already; edit it instead.",
            values={"key": entry.key},
        )
    row = FaqEntry(key=entry.key)
    _apply(row, entry, await _article_id(repository, entry, None))
    repository.add(row)
    await repository.bump_version()
    await session.flush()
    return row


async def update_faq(
    session: AsyncSession, workspace_id: int, faq_id: int, entry: FaqIn
) -> FaqEntry:
    repository = KnowledgeRepository(session, workspace_id)
    row = await repository.faq(faq_id)
    if entry.key != row.key and await repository.faq_by_key(entry.key) is not None:
        raise Conflict("Another FAQ entry already has the id '{key}'.", values={"key": entry.key})
    row.key = entry.key
    _apply(row, entry, await _article_id(repository, entry, None))
    await repository.bump_version()
    return row


async def delete_faq(session: AsyncSession, workspace_id: int, faq_id: int) -> None:
    repository = KnowledgeRepository(session, workspace_id)
    await session.delete(await repository.faq(faq_id))
    await repository.bump_version()


async def save_article(
    session: AsyncSession, workspace_id: int, data: ArticleIn, article_id: int | None = None
) -> Article:
    repository = KnowledgeRepository(session, workspace_id)
    clash = await repository.article_by_slug(data.lang, data.slug)
    if clash is not None and clash.id != article_id:
        raise Conflict(
            "The {lang} help center already has an article at '{slug}'.",
            values={"lang": data.lang, "slug": data.slug},
        )
    article = await repository.article(article_id) if article_id is not None else Article()
    for field, value in data.model_dump().items():
        setattr(article, field, value)
    article.description = data.description or plain_text(data.body, 160)
    article.updated_at = utcnow()
    if article_id is None:
        repository.add(article)
    await session.flush()
    return article


# ---- the matcher index, one per workspace and knowledge version -------------------


@dataclass
class _Cached:
    version: int
    index: FaqIndex
    entries: dict[str, FaqEntry]
    # (encoder, text hash) of the usable vectors the database held for the index's texts
    stored: set[tuple[str, str]]
    # The database also held vectors of texts that are gone (deleted or edited away).
    stale: bool = False


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class IndexCache:
    """Per-process cache of built indexes; rebuilt when the workspace's version moves.

    A build takes the FAQ texts' vectors stored in the database (by any process)
    and encodes only the texts that have none; :func:`warm_index` stores those.
    """

    def __init__(self) -> None:
        self._cache: dict[int, _Cached] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def get(
        self, session: AsyncSession, workspace_id: int
    ) -> tuple[FaqIndex, dict[str, FaqEntry]]:
        cached = await self._get(session, workspace_id)
        return cached.index, cached.entries

    async def _get(self, session: AsyncSession, workspace_id: int) -> _Cached:
        repository = KnowledgeRepository(session, workspace_id)
        version = await repository.version()
        cached = self._cache.get(workspace_id)
        if cached is not None and cached.version == version:
            return cached
        async with self._locks.setdefault(workspace_id, asyncio.Lock()):
            cached = self._cache.get(workspace_id)
            if cached is not None and cached.version == version:
                return cached
            rows = await repository.faqs()
            entries = [
                MatchEntry(
                    id=row.key,
                    question=row.question,
                    answer=row.answer,
                    category=row.category,
                    paraphrases=tuple(row.paraphrases or ()),
                    lang=row.lang,
                )
                for row in rows
            ]
            by_hash = {_text_hash(text): text for entry in entries for text in entry.texts()}
            vectors: dict[str, dict[str, np.ndarray[Any, Any]]] = {}
            stale = False
            for saved in await repository.text_embeddings():
                text = by_hash.get(saved.text_hash)
                stale = stale or text is None
                if text is not None:
                    vectors.setdefault(saved.encoder, {})[text] = np.frombuffer(
                        saved.vector, dtype="<f4"
                    )
            stored = {
                (encoder, _text_hash(text))
                for encoder, known in vectors.items()
                for text in remember_embeddings(encoder, known)
            }
            # Embedding every paraphrase takes CPU time: keep it off the event loop.
            index = await asyncio.to_thread(FaqIndex, entries, top_k=8)
            cached = _Cached(version, index, {row.key: row for row in rows}, stored, stale)
            self._cache[workspace_id] = cached
            return cached


index_cache = IndexCache()


async def warm_index(db: Database, workspace_id: int) -> None:
    """Build the workspace's index outside any write transaction, and store the
    vectors of texts the database did not have yet (dropping those of deleted texts).

    Building embeds every FAQ text (seconds for a large English FAQ); doing it
    first means the write transaction that answers a customer only matches.
    """
    async with db.read() as session:
        cached = await index_cache._get(session, workspace_id)
    vectors = {
        (encoder, _text_hash(text)): vector
        for encoder, by_text in cached.index.embeddings().items()
        for text, vector in by_text.items()
    }
    if set(vectors) == cached.stored and not cached.stale:
        return

    async def store(session: AsyncSession) -> None:
        rows = [
            FaqTextEmbedding(
                encoder=encoder,
                text_hash=digest,
                vector=np.asarray(vector, dtype="<f4").tobytes(),
            )
            for (encoder, digest), vector in vectors.items()
            if (encoder, digest) not in cached.stored
        ]
        await KnowledgeRepository(session, workspace_id).save_text_embeddings(rows, set(vectors))

    await db.write(store)
    cached.stored, cached.stale = set(vectors), False


# ---- help-center article search (Korean and English) --------------------------------

# The reply box lists the best FAQ entries, and after them only those still in the running.
FAQ_HITS_ALWAYS = 3
FAQ_HIT_MIN_PROBABILITY = 0.05

# An article is a result when its title or its whole text reaches this cosine.
ARTICLE_MIN_SIMILARITY = 0.15


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """What a search result needs of a published article (kept between requests)."""

    id: int
    slug: str
    lang: str
    title: str
    description: str
    category: str | None

    @classmethod
    def of(cls, article: Article) -> ArticleRef:
        return cls(
            article.id,
            article.slug,
            article.lang,
            article.title,
            article.description,
            article.category,
        )


@dataclass
class _ArticleIndex:
    fingerprint: tuple[Any, ...]
    articles: list[ArticleRef]
    titles: CharNgramIndex
    documents: CharNgramIndex


class ArticleSearch:
    """Ranked search over a workspace's published articles, per process.

    The same character n-gram TF-IDF as the bot's lexical channel, so Korean
    queries match whatever their spacing and endings ("환불받으려면" finds
    "환불 정책"). An article is found when its title or its whole text (title,
    description, body) reaches ``ARTICLE_MIN_SIMILARITY``; results are ranked by
    0.6 × title cosine + 0.4 × whole-text cosine. The index is rebuilt when the
    articles change (count, ids or newest edit).
    """

    def __init__(self, max_workspaces: int = 256) -> None:
        # Least recently searched first; one entry per workspace.
        self._cache: OrderedDict[int, _ArticleIndex] = OrderedDict()
        self._max_workspaces = max_workspaces

    async def find(
        self, session: AsyncSession, workspace_id: int, query: str, *, lang: str | None, limit: int
    ) -> list[tuple[ArticleRef, float]]:
        query = query.strip()[:200]
        if not query:
            return []
        repository = KnowledgeRepository(session, workspace_id)
        fingerprint = await repository.published_articles_fingerprint()
        index = self._cache.get(workspace_id)
        if index is None or index.fingerprint != fingerprint:
            rows = await repository.articles(published_only=True)
            refs = [ArticleRef.of(a) for a in rows]
            documents = [f"{a.title}\n{a.description}\n{a.body}" for a in rows]
            # Long bodies take a while to index: keep it off the event loop.
            index = _ArticleIndex(
                fingerprint,
                refs,
                CharNgramIndex([a.title for a in rows]),
                await asyncio.to_thread(CharNgramIndex, documents),
            )
            self._cache[workspace_id] = index
        self._cache.move_to_end(workspace_id)
        while len(self._cache) > self._max_workspaces:
            self._cache.popitem(last=False)
        if not index.articles:
            return []
        title_sim, text_sim = index.titles.scores(query), index.documents.scores(query)
        found = np.maximum(title_sim, text_sim) >= ARTICLE_MIN_SIMILARITY
        scores = 0.6 * title_sim + 0.4 * text_sim
        ranked = sorted(
            (
                (float(score), article)
                for article, score, hit in zip(index.articles, scores, found, strict=True)
                if hit and (lang is None or article.lang == lang)
            ),
            key=lambda pair: (-pair[0], pair[1].title),
        )
        return [(article, score) for score, article in ranked[:limit]]


article_search = ArticleSearch()


async def suggest_articles(
    session: AsyncSession,
    workspace_id: int,
    query: str,
    *,
    lang: str,
    page_title: str | None,
    limit: int,
) -> list[ArticleRef]:
    """Articles for the widget's home: the best matches for ``query``; without one,
    those about the page the visitor is on (its title), then the others."""
    if query.strip():
        found = await article_search.find(session, workspace_id, query, lang=lang, limit=limit)
        return [article for article, _ in found]
    about_page = await article_search.find(
        session, workspace_id, page_title or "", lang=lang, limit=limit
    )
    refs = [article for article, _ in about_page]
    rows = await KnowledgeRepository(session, workspace_id).articles(lang=lang, published_only=True)
    shown = {article.id for article in refs}
    return refs + [ArticleRef.of(a) for a in rows if a.id not in shown][: limit - len(refs)]


async def search(
    session: AsyncSession,
    workspace_id: int,
    query: str,
    *,
    lang: str | None,
    help_url: str,
    limit: int = 8,
) -> SearchResult:
    """FAQ answers and articles for the agent's reply box, best first."""
    query = query.strip()
    if not query:
        return SearchResult(query=query, hits=[])
    index, entries = await index_cache.get(session, workspace_id)
    hits: list[SearchHit] = []
    if entries:
        result = await asyncio.to_thread(index.match, query)
        for rank, (key, score) in enumerate(result.suggestions[:limit]):
            entry = entries.get(key)
            if entry is None or (lang is not None and entry.lang != lang):
                continue
            if rank >= FAQ_HITS_ALWAYS and score < FAQ_HIT_MIN_PROBABILITY:
                break  # the rest are long shots
            hits.append(
                SearchHit(
                    kind="faq",
                    id=entry.id,
                    key=entry.key,
                    title=entry.question,
                    category=entry.category,
                    lang=entry.lang,
                    # What the reply will carry: the widget shows agents' replies as text.
                    text=as_message_text(entry.answer),
                    score=round(score, 4),
                )
            )
    for article, score in await article_search.find(
        session, workspace_id, query, lang=lang, limit=limit
    ):
        text = f"{article.title}\n{help_url}/{article.lang}/{article.slug}"
        hits.append(
            SearchHit(
                kind="article",
                id=article.id,
                key=article.slug,
                title=article.title,
                category=article.category,
                lang=article.lang,
                text=text,
                url=f"{help_url}/{article.lang}/{article.slug}",
                score=round(score, 4),
            )
        )
    hits.sort(key=lambda hit: hit.score, reverse=True)
    return SearchResult(query=query, hits=hits[:limit])


# ---- answers from articles: the best passage when no FAQ entry answers ---------------


@dataclass(frozen=True, slots=True)
class PassageAnswer:
    """A section of a published article that answers a customer's message."""

    article: ArticleRef
    heading: str
    markdown: str
    confidence: float


@dataclass
class _PassageIndex:
    fingerprint: tuple[Any, ...]
    index: FaqIndex | None
    articles: dict[int, ArticleRef]


class PassageIndexCache:
    """Per process: the workspace's published articles cut into sections and indexed
    with the bot's matcher (so a passage answers with the same calibrated confidence,
    margin rule and refusal as an FAQ entry). Rebuilt when the articles change."""

    def __init__(self, max_workspaces: int = 256) -> None:
        self._cache: OrderedDict[int, _PassageIndex] = OrderedDict()
        self._max_workspaces = max_workspaces
        self._locks: dict[int, asyncio.Lock] = {}

    async def get(self, session: AsyncSession, workspace_id: int) -> _PassageIndex:
        repository = KnowledgeRepository(session, workspace_id)
        fingerprint = await repository.published_articles_fingerprint()
        cached = self._cache.get(workspace_id)
        if cached is None or cached.fingerprint != fingerprint:
            async with self._locks.setdefault(workspace_id, asyncio.Lock()):
                cached = self._cache.get(workspace_id)
                if cached is None or cached.fingerprint != fingerprint:
                    rows = await repository.articles(published_only=True)
                    entries = [
                        entry
                        for a in rows
                        for entry in passage_entries(a.id, a.title, a.body, a.lang)
                    ]
                    index = await asyncio.to_thread(FaqIndex, entries, top_k=3) if entries else None
                    cached = _PassageIndex(
                        fingerprint, index, {a.id: ArticleRef.of(a) for a in rows}
                    )
                    self._cache[workspace_id] = cached
        self._cache.move_to_end(workspace_id)
        while len(self._cache) > self._max_workspaces:
            self._cache.popitem(last=False)
        return cached


passage_index_cache = PassageIndexCache()


async def answer_from_articles(
    session: AsyncSession,
    workspace_id: int,
    text: str,
    *,
    lang: str,
    faq_similarity: float | None = None,
) -> PassageAnswer | None:
    """The passage of a published ``lang`` article that answers ``text`` directly, or None
    (no article, the matcher unsure, the best passage in another language, or the message
    not clearly closer to the passage than to the best FAQ entry, ``faq_similarity``)."""
    cached = await passage_index_cache.get(session, workspace_id)
    if cached.index is None or not text.strip():
        return None
    found = await asyncio.to_thread(best_passage, cached.index, text)
    if found is None:
        return None
    if faq_similarity is not None and found.similarity < faq_similarity + MIN_LEAD_OVER_FAQ:
        return None
    article = cached.articles.get(article_of(found.id))
    entry = cached.index.entries[found.id]
    if article is None or article.lang != lang:
        return None
    return PassageAnswer(article, entry.question, entry.answer, found.confidence)


# ---- the bot learns from the team ----------------------------------------------------

LEARNED_KEY_PREFIX = "learned"


async def add_question(
    session: AsyncSession, workspace_id: int, faq_id: int, question: str
) -> FaqEntry:
    """Add a customer's wording to an entry's paraphrases (nothing when it has it already:
    the same words, spacing and punctuation aside)."""
    repository = KnowledgeRepository(session, workspace_id)
    row = await repository.faq(faq_id)
    question = question.strip()
    paraphrases = list(row.paraphrases or [])
    if normalize(question) in {normalize(text) for text in [row.question, *paraphrases]}:
        return row
    if len(paraphrases) >= MAX_PARAPHRASES:
        raise BadRequest(
            "The entry has {limit} paraphrases already; remove one before adding another.",
            values={"limit": MAX_PARAPHRASES},
        )
    row.paraphrases = [*paraphrases, question]
    row.updated_at = utcnow()
    await repository.bump_version()
    return row


async def faq_from_answer(
    session: AsyncSession,
    workspace_id: int,
    questions: list[str],
    answer: str,
    *,
    category: str | None,
) -> FaqEntry:
    """A new entry answering ``questions`` (the first is its question, the others its
    paraphrases) with ``answer``; its id is ``learned-<n>``."""
    repository = KnowledgeRepository(session, workspace_id)
    taken = await repository.faq_keys_starting(f"{LEARNED_KEY_PREFIX}-")
    numbers = [int(key.rsplit("-", 1)[1]) for key in taken if key.rsplit("-", 1)[1].isdigit()]
    number = max(numbers, default=0) + 1
    lang = detect_lang(questions[0])
    try:
        entry = FaqIn.model_validate(
            {
                "id": f"{LEARNED_KEY_PREFIX}-{number}",
                "category": (category or "").strip() or ("일반" if lang == "ko" else "General"),
                "question": questions[0],
                "paraphrases": questions[1 : MAX_PARAPHRASES + 1],
                "answer": answer,
                "lang": lang,
            }
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise BadRequest(
            "The new entry's {field} is not valid: {problem}.",
            values={"field": ".".join(str(p) for p in problem["loc"]), "problem": problem["msg"]},
        ) from None
    return await create_faq(session, workspace_id, entry)
