"""Help-center articles as answerable passages: one per section.

An article's Markdown is cut at its headings (``#`` to ``###``); the text before the
first heading is a section under the article's title. Each section becomes a
:class:`~sangdam.bot.matching.types.FaqEntry` whose texts are the heading, "title:
heading" and the section's sentences, so the same :class:`FaqIndex` (encoder, centroid
scores, calibrated confidence, margin rule and refusal) decides whether a passage
answers a message (:func:`best_passage`). The bot tries passages only when no FAQ entry
is a direct answer, and a passage answers only when it is clearly closer to the message
than the best FAQ entry (:data:`MIN_LEAD_OVER_FAQ`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .matcher import FaqIndex
from .types import FaqEntry

_HEADING = re.compile(r"^\s{0,3}#{1,3}\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|(?<=다\.)|(?<=요\.)|\n+")
_MARKUP = re.compile(r"[*_`>|]+|^\s*(?:[-+]|\d+\.)\s+", re.MULTILINE)
# A passage's texts: the heading, "title: heading" and at most this many sentences.
MAX_SENTENCES = 8
MIN_SENTENCE_CHARS = 6
# A passage answers only when the message is closer to it than to every FAQ entry by at
# least this much (centroid score). On the dev sets (ko_customer_dev, the demo's dev split)
# every wrong passage answer, out-of-scope ones included ("넷플릭스 요금제 알려줘" ->
# pricing), led the best FAQ entry by at most 0.021; right ones led by 0.03-0.07.
MIN_LEAD_OVER_FAQ = 0.03


@dataclass(frozen=True, slots=True)
class Section:
    """One section of an article: its heading (the title for the opening) and Markdown."""

    number: int
    heading: str
    markdown: str


def split_sections(title: str, body: str) -> list[Section]:
    """The article's sections in order; empty ones are dropped."""
    sections: list[Section] = []
    heading, lines = title, list[str]()

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(len(sections), heading, text))

    for line in body.splitlines():
        found = _HEADING.match(line)
        if found:
            flush()
            heading, lines = found.group(1).strip(), []
        else:
            lines.append(line)
    flush()
    return sections


def sentences(markdown: str) -> list[str]:
    """The section's sentences as plain text (list markers, emphasis and table bars removed)."""
    plain = _MARKUP.sub(" ", markdown)
    out = []
    for part in _SENTENCE_END.split(plain):
        text = " ".join(part.split())
        if len(text) >= MIN_SENTENCE_CHARS and not set(text) <= set("- |:"):
            out.append(text)
    return out


def passage_id(article_id: int, section: int) -> str:
    return f"{article_id}#{section}"


def passage_entries(article_id: int, title: str, body: str, lang: str) -> list[FaqEntry]:
    """One matchable entry per section of an article (id ``"<article id>#<section>"``)."""
    entries = []
    for section in split_sections(title, body):
        texts = [section.heading]
        if section.heading != title:
            texts.append(f"{title}: {section.heading}")
        texts.extend(sentences(section.markdown)[:MAX_SENTENCES])
        entries.append(
            FaqEntry(
                id=passage_id(article_id, section.number),
                question=texts[0],
                answer=section.markdown,
                category="",
                paraphrases=tuple(texts[1:]),
                lang=lang,
            )
        )
    return entries


@dataclass(frozen=True, slots=True)
class PassageMatch:
    """The passage that answers a message: its id, score and calibrated confidence."""

    id: str
    similarity: float
    confidence: float


def article_of(passage: str) -> int:
    return int(passage.split("#", 1)[0])


def best_passage(index: FaqIndex, text: str, lang: str | None = None) -> PassageMatch | None:
    """The passage of ``index`` (built from :func:`passage_entries`) that answers ``text``
    with the index's calibrated confidence and margin rule, or None.

    The margin is the lead over the best passage of *another* article: sections of one
    article are about one topic, and two of them close to a message are agreement, not
    doubt. (On ``ko_article_queries.jsonl`` this answers 10 of 24 instead of 7, with no
    wrong passage answer there or on the dev sets.)"""
    scores = index.score(text, lang)
    sims = scores.similarities
    if sims is None:
        return None
    ids = index.ids
    top = int(np.argmax(sims))
    others = [
        float(sims[i]) for i, key in enumerate(ids) if article_of(key) != article_of(ids[top])
    ]
    margin = float(sims[top]) - max(others, default=0.0)
    confidence = index.centroid_calibration.confidence(float(sims[top]), margin)
    if confidence < index.centroid_answer_threshold or margin < index.min_margin:
        return None
    return PassageMatch(ids[top], float(sims[top]), confidence)
