"""Fit the matcher's confidence calibration and show the threshold trade-off.

    python benchmarks/bot/calibrate_matcher.py \\
        /work/shared/bench/banking77/faq.jsonl \\
        src/sangdam/demo/faq.jsonl benchmarks/bot/ko_demo_queries_dev.jsonl

Calibration data, none of it from a test file:

- For each FAQ file, 5 folds: a fifth of the entries is removed from the
  index and two of their texts become out-of-scope queries (hard, same-domain
  negatives); every other entry with 3+ texts lends one held-out text as an
  in-scope query.
- The dev queries (``ko_demo_queries_dev.jsonl``) against the full Korean
  index; "@human" rows are left out (they are decided by the human detector).

A row's label is 1 when the query is in scope and the matcher's top-1 is
right. The script prints in-scope top-1 of the folds for several lexical
weights, the fitted logistic coefficients (to copy into
``DEFAULT_CALIBRATION``) and, per threshold, what answering/suggesting at
that confidence would do.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import replace
from typing import Any

import numpy as np

from sangdam.bot.matching import (
    HUMAN_LABEL,
    Calibration,
    FaqEntry,
    FaqIndex,
    iter_jsonl,
    load_faq_jsonl,
)

Row = tuple[float, float, float, int, bool]  # p1, dense, lexical, label, in_scope


def _rows(index: FaqIndex, queries: list[tuple[str, str | None]]) -> list[Row]:
    ids = index.ids
    rows: list[Row] = []
    for text, expected in queries:
        s = index.score(text)
        top = int(np.argmax(s.probabilities))
        correct = expected is not None and ids[top] == expected
        rows.append(
            (
                float(s.probabilities[top]),
                s.dense_sim,
                s.lexical_sim,
                int(correct),
                expected is not None,
            )
        )
    return rows


def fold_rows(entries: list[FaqEntry], lexical_weight: float, folds: int = 5) -> list[Row]:
    order = list(entries)
    random.Random(0).shuffle(order)
    rows: list[Row] = []
    for fold in range(folds):
        held = order[fold::folds]
        held_ids = {e.id for e in held}
        kept: list[FaqEntry] = []
        queries: list[tuple[str, str | None]] = []
        for entry in entries:
            if entry.id in held_ids:
                queries.extend((t, None) for t in entry.texts()[fold % 3 :][:2])
                continue
            texts = entry.texts()
            if len(texts) >= 3:
                out = fold % len(texts)
                queries.append((texts[out], entry.id))
                rest = texts[:out] + texts[out + 1 :]
                entry = replace(entry, question=rest[0], paraphrases=rest[1:])
            kept.append(entry)
        rows.extend(_rows(FaqIndex(kept, lexical_weight=lexical_weight), queries))
    return rows


def fit_logistic(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Newton-Raphson for a small L2-regularised logistic regression."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) + 1e-3 * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + 1e-3 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("english_faq")
    parser.add_argument("korean_faq")
    parser.add_argument("korean_dev_queries")
    parser.add_argument(
        "--lexical-weights", default="0,1,2,4", help="lexical weights to compare (comma-separated)"
    )
    parser.add_argument(
        "--fit-lexical-weight",
        type=float,
        default=2.0,
        help="the lexical weight to fit the calibration at",
    )
    args = parser.parse_args(argv)

    english = load_faq_jsonl(args.english_faq)
    korean = load_faq_jsonl(args.korean_faq)
    dev = [
        (str(q["text"]), q["expected"])
        for q in iter_jsonl(args.korean_dev_queries)
        if q["expected"] != HUMAN_LABEL
    ]

    by_weight: dict[float, list[Row]] = {}
    for weight in (float(w) for w in args.lexical_weights.split(",")):
        en_rows = fold_rows(english, weight)
        ko_rows = fold_rows(korean, weight)
        dev_rows = _rows(FaqIndex(korean, lexical_weight=weight), dev)
        by_weight[weight] = en_rows + ko_rows + dev_rows

        def top1(rows: list[Row]) -> float:
            scoped = [r for r in rows if r[4]]
            return sum(r[3] for r in scoped) / len(scoped)

        print(
            f"lexical_weight={weight}: fold top-1 en {top1(en_rows):.3f} "
            f"ko {top1(ko_rows):.3f}; dev top-1 ko {top1(dev_rows):.3f}"
        )

    weight = args.fit_lexical_weight
    rows = by_weight[weight]
    data = np.array([r[:3] for r in rows])
    labels = np.array([r[3] for r in rows], dtype=float)
    in_scope = np.array([r[4] for r in rows])
    w = fit_logistic(data, labels)
    calibration = Calibration(*(round(float(v), 2) for v in w))
    print(f"\nfitted at lexical_weight={weight} on {len(rows)} rows: {calibration}")
    conf = np.array([calibration.confidence(*r[:3]) for r in rows])
    bins = np.digitize(conf, [0.2, 0.4, 0.6, 0.8])
    print("reliability (confidence bin: mean confidence / share correct / n):")
    for b in range(5):
        sel = bins == b
        if sel.any():
            print(f"  bin {b}: {conf[sel].mean():.2f} / {labels[sel].mean():.2f} / {sel.sum()}")
    print("\nthreshold: precision of accepted, in-scope correct kept, out-of-scope refused")
    for t in np.arange(0.1, 0.95, 0.05):
        accepted = conf >= t
        precision = labels[accepted].mean() if accepted.any() else float("nan")
        kept = (labels * accepted).sum() / labels.sum()
        refused = (~accepted & ~in_scope).sum() / (~in_scope).sum()
        print(f"  {t:.2f}: {precision:.3f} {kept:.3f} {refused:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
