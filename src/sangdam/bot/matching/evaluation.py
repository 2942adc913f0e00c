"""Scores a matcher on labelled queries (the metrics of ``sangdam bot eval``).

A labelled query is ``{"text": ..., "expected": ...}`` where ``expected`` is
a FAQ id (in scope), ``None`` (out of scope) or ``"@human"`` (asks for a
person). Definitions (all rates are fractions in 0-1; a rate with an empty
denominator is ``None``):

- ``in_scope_top1``: over queries expecting a FAQ id, the share whose
  decision is ``"answer"`` or ``"suggest"`` *and* whose top-1 id is the
  expected one. Refusing an in-scope query, or sending it to a human,
  counts as a miss.
- ``oos_recall``: over ``None`` queries, the share the matcher did not
  answer, i.e. whose decision is not ``"answer"`` (``"suggest"``,
  ``"out_of_scope"`` and ``"human"`` all count as caught: a suggestion asks
  the customer to pick, it does not assert an answer).
- ``oos_precision``: over queries whose decision is ``"out_of_scope"``, the
  share that expected ``None``.
- ``human_recall``: over ``"@human"`` queries, the share with
  ``wants_human`` true.
- ``answered_correct``: over queries expecting a FAQ id, the share answered
  directly (decision ``"answer"``) with the expected id: what a customer gets
  without another click.
- ``wrong_answer_rate``: over every direct answer (decision ``"answer"``, to
  in-scope, out-of-scope and "@human" queries alike), the share whose id was not the
  expected one.
- ``suggested``: over queries expecting a FAQ id, the share that got "did you
  mean…?" suggestions (decision ``"suggest"``), right or wrong.
- ``latency_ms_p50`` / ``latency_ms_p95``: wall time of ``match`` per query,
  one query at a time, after the index is built.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import numpy as np

from .types import MatchResult

HUMAN_LABEL = "@human"


class SupportsMatch(Protocol):
    def match(self, text: str, lang: str | None = None) -> MatchResult: ...


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


def evaluate(matcher: SupportsMatch, queries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Run every query through ``matcher`` and return the metrics as a JSON-ready dict.

    Keys: ``in_scope_top1``, ``oos_precision``, ``oos_recall``,
    ``human_recall``, ``latency_ms_p50``, ``latency_ms_p95``, ``queries``,
    ``answered_correct``, ``wrong_answer_rate``, ``suggested``.
    """
    in_scope = in_scope_hits = 0
    oos = oos_caught = 0
    refused = refused_oos = 0
    human = human_hits = 0
    answered = answered_wrong = answered_right = suggested = 0
    latencies: list[float] = []
    for query in queries:
        text = str(query["text"])
        expected = query.get("expected")
        lang = query.get("lang")
        start = time.perf_counter()
        result = matcher.match(text, lang=str(lang) if lang else None)
        latencies.append((time.perf_counter() - start) * 1000.0)
        if result.decision == "out_of_scope":
            refused += 1
            refused_oos += expected is None
        if result.decision == "answer":
            answered += 1
            right = expected is not None and result.best == expected
            answered_right += right
            answered_wrong += not right
        if expected is None:
            oos += 1
            oos_caught += result.decision != "answer"
        elif expected == HUMAN_LABEL:
            human += 1
            human_hits += result.wants_human
        else:
            in_scope += 1
            suggested += result.decision == "suggest"
            in_scope_hits += (
                result.decision in ("answer", "suggest")
                and bool(result.suggestions)
                and result.suggestions[0][0] == expected
            )
    p50, p95 = np.percentile(latencies, [50, 95]).tolist() if latencies else (None, None)
    return {
        "in_scope_top1": _rate(in_scope_hits, in_scope),
        "oos_precision": _rate(refused_oos, refused),
        "oos_recall": _rate(oos_caught, oos),
        "human_recall": _rate(human_hits, human),
        "latency_ms_p50": None if p50 is None else round(p50, 3),
        "latency_ms_p95": None if p95 is None else round(p95, 3),
        "queries": len(latencies),
        "answered_correct": _rate(answered_right, in_scope),
        "wrong_answer_rate": _rate(answered_wrong, answered),
        "suggested": _rate(suggested, in_scope),
    }
