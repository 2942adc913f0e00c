"""Data types shared by the FAQ matcher."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# "small_talk": only a greeting or a thank-you (see ``small_talk.py``); the bot greets back.
Decision = Literal["answer", "suggest", "out_of_scope", "human", "small_talk"]


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One FAQ entry: a canonical question, its paraphrases and the answer (Markdown)."""

    id: str
    question: str
    answer: str
    category: str = ""
    paraphrases: tuple[str, ...] = ()
    lang: str = "ko"

    def texts(self) -> tuple[str, ...]:
        """The question followed by its non-empty paraphrases, without duplicates."""
        seen: dict[str, None] = {}
        for text in (self.question, *self.paraphrases):
            stripped = text.strip()
            if stripped:
                seen.setdefault(stripped, None)
        return tuple(seen)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaqEntry:
        return cls(
            id=str(data["id"]),
            question=str(data["question"]),
            answer=str(data.get("answer", "")),
            category=str(data.get("category", "")),
            paraphrases=tuple(str(p) for p in data.get("paraphrases", ())),
            lang=str(data.get("lang", "ko")),
        )


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The matcher's answer to one customer message.

    ``best`` is the top FAQ id when ``decision`` is ``"answer"`` or ``"suggest"``
    and ``None`` otherwise. ``confidence`` is the calibrated probability that
    the top suggestion is the right answer. ``suggestions`` lists the top-k
    ``(faq id, fused probability)`` pairs, best first, whatever the decision.
    """

    best: str | None
    confidence: float
    decision: Decision
    wants_human: bool
    suggestions: list[tuple[str, float]] = field(default_factory=list)
    # With ``decision == "small_talk"``: ``"greeting"`` or ``"thanks"``.
    small_talk: str | None = None
    # Centroid scoring only: the best entry's score (cosine plus the lexical term), to
    # compare with another index's (an article passage answers only when it is closer).
    similarity: float | None = None


def iter_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError(f"{path}: every line must be a JSON object")
                yield row


def load_faq_jsonl(path: str | Path) -> list[FaqEntry]:
    """Read FAQ entries from a JSON-lines file (one entry object per line)."""
    return [FaqEntry.from_dict(row) for row in iter_jsonl(path)]
