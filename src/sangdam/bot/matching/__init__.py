"""Offline FAQ matching for the support bot (Korean and English, CPU only).

>>> from sangdam.bot.matching import FaqIndex, load_faq_jsonl
>>> index = FaqIndex(load_faq_jsonl("faq.jsonl"))
>>> result = index.match("환불 받을 수 있나요?")
>>> result.decision, result.best, result.confidence

See ``docs/bot-matching.md`` for how it works and how it was measured.
"""

from __future__ import annotations

from .encoders import E5Encoder, Encoder, MiniLmEncoder, UseEncoder, default_encoders
from .evaluation import HUMAN_LABEL, evaluate
from .human import wants_human
from .matcher import (
    DEFAULT_ANSWER_THRESHOLD,
    DEFAULT_CALIBRATION,
    DEFAULT_SUGGEST_THRESHOLD,
    Calibration,
    FaqIndex,
    Scores,
    remember_embeddings,
)
from .text import detect_lang
from .types import Decision, FaqEntry, MatchResult, iter_jsonl, load_faq_jsonl

Matcher = FaqIndex

__all__ = [
    "DEFAULT_ANSWER_THRESHOLD",
    "DEFAULT_CALIBRATION",
    "DEFAULT_SUGGEST_THRESHOLD",
    "HUMAN_LABEL",
    "Calibration",
    "Decision",
    "E5Encoder",
    "Encoder",
    "FaqEntry",
    "FaqIndex",
    "MatchResult",
    "Matcher",
    "MiniLmEncoder",
    "Scores",
    "UseEncoder",
    "default_encoders",
    "detect_lang",
    "evaluate",
    "iter_jsonl",
    "load_faq_jsonl",
    "remember_embeddings",
    "wants_human",
]
