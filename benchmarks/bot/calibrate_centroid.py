"""Fit the centroid scoring's confidence (multilingual-e5) and show the trade-offs.

    nice -n 10 python benchmarks/bot/calibrate_centroid.py \\
        /work/shared/bench/parakqc-dev/faq.jsonl src/sangdam/demo/faq.jsonl \\
        benchmarks/bot/ko_demo_queries_dev.jsonl benchmarks/bot/ko_customer_dev.jsonl

Calibration data, none of it from a test file (paraKQC's ``queries.jsonl`` is never read):

- Paraphrase folds on a FAQ file (paraKQC's 500 entries): fold *k* holds out the
  *k*-th text of every entry with 3+ texts as an in-scope query and indexes the rest.
- Entry folds on the demo FAQ: a fifth of the entries is removed from the index and
  two of their texts become out-of-scope queries (hard, same-domain negatives); every
  other entry lends one held-out text as an in-scope query.
- The dev queries (the demo's dev split and ``ko_customer_dev.jsonl``) against the whole
  demo index; "@human" rows are left out.

A row is ``(sim_1, sim_1 - sim_2, label, in_scope)`` with label 1 when the query is in
scope and the top entry is right. The script prints, per lexical weight, the folds'
top-1 and answered-correct / wrong-answer rates at several margins; then the fitted
``CentroidCalibration`` and, per answer threshold, what the rows would get.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from sangdam.bot.matching import HUMAN_LABEL, FaqEntry, FaqIndex, iter_jsonl, load_faq_jsonl
from sangdam.bot.matching.encoders import E5Encoder
from sangdam.bot.matching.matcher import CentroidCalibration

Row = tuple[float, float, int, bool]


class CachedE5:
    """E5 with every text's vector remembered (held-out texts are encoded once)."""

    name = E5Encoder.name
    languages = None
    head = "centroid"

    def __init__(self) -> None:
        self._e5 = E5Encoder()
        self._known: dict[str, NDArray[np.float32]] = {}

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        if missing:
            self._known.update(zip(missing, self._e5.encode(missing), strict=True))
        return np.stack([self._known[t] for t in texts])


def rows_of(index: FaqIndex, queries: list[tuple[str, str | None]]) -> list[Row]:
    ids = index.ids
    out: list[Row] = []
    for text, expected in queries:
        s = index.score(text)
        assert s.top_sim is not None and s.margin is not None
        top = ids[int(np.argmax(s.probabilities))]
        out.append((s.top_sim, s.margin, int(top == expected), expected is not None))
    return out


def paraphrase_folds(entries: list[FaqEntry], enc: CachedE5, weight: float) -> list[Row]:
    rows: list[Row] = []
    for k in range(3):
        kept, queries = [], []
        for e in entries:
            texts = e.texts()
            if len(texts) < 3:
                kept.append(e)
                continue
            queries.append((texts[k], e.id))
            rest = [t for i, t in enumerate(texts) if i != k]
            kept.append(replace(e, question=rest[0], paraphrases=tuple(rest[1:])))
        index = FaqIndex(kept, encoders=(enc,), centroid_lexical_weight=weight)
        rows += rows_of(index, queries)
    return rows


def entry_folds(entries: list[FaqEntry], enc: CachedE5, weight: float) -> list[Row]:
    order = list(entries)
    random.Random(0).shuffle(order)
    rows: list[Row] = []
    for fold in range(5):
        held = {e.id for e in order[fold::5]}
        kept, queries = [], []
        for e in entries:
            texts = e.texts()
            if e.id in held:
                queries += [(t, None) for t in texts[fold % 3 :][:2]]
                continue
            if len(texts) >= 3:
                out = fold % len(texts)
                queries.append((texts[out], e.id))
                rest = [t for i, t in enumerate(texts) if i != out]
                e = replace(e, question=rest[0], paraphrases=tuple(rest[1:]))
            kept.append(e)
        index = FaqIndex(kept, encoders=(enc,), centroid_lexical_weight=weight)
        rows += rows_of(index, queries)
    return rows


def table(rows: list[Row], margins: Sequence[float]) -> str:
    r = np.asarray(rows, dtype=np.float64)
    in_scope = r[:, 3] == 1
    parts = [f"top1 {r[in_scope, 2].mean():.4f}"]
    for m in margins:
        answered = r[:, 1] >= m
        right = answered & (r[:, 2] == 1)
        parts.append(
            f"m={m}: answered_correct {right[in_scope].mean():.4f} "
            f"wrong {(answered & (r[:, 2] == 0)).sum() / max(answered.sum(), 1):.4f}"
        )
    return " | ".join(parts)


def fit(rows: list[Row], steps: int = 3000) -> CentroidCalibration:
    r = np.asarray(rows, dtype=np.float64)
    x = np.column_stack([np.ones(len(r)), r[:, 0], r[:, 1]])
    y = r[:, 2]
    w = np.zeros(3)
    for _ in range(steps):  # Newton steps on the log-loss (tiny ridge for stability)
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + 1e-6 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(3)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return CentroidCalibration(bias=round(w[0], 2), top=round(w[1], 2), margin=round(w[2], 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paraphrase_faq")
    parser.add_argument("demo_faq")
    parser.add_argument("dev_queries", nargs="+")
    parser.add_argument("--weights", default="0,0.05,0.1")
    args = parser.parse_args()
    enc = CachedE5()
    para = load_faq_jsonl(args.paraphrase_faq)
    demo = load_faq_jsonl(args.demo_faq)
    dev_queries = [
        (str(q["text"]), q.get("expected"))
        for path in args.dev_queries
        for q in iter_jsonl(path)
        if q.get("expected") != HUMAN_LABEL
    ]
    margins = (0.0, 0.005, 0.007, 0.01, 0.015)
    chosen: dict[str, list[Row]] = {}
    for weight in (float(w) for w in args.weights.split(",")):
        groups = {
            "paraphrase folds": paraphrase_folds(para, enc, weight),
            "demo entry folds": entry_folds(demo, enc, weight),
            "dev queries": rows_of(
                FaqIndex(demo, encoders=(enc,), centroid_lexical_weight=weight), dev_queries
            ),
        }
        for name, rows in groups.items():
            print(f"lexical weight {weight}, {name} ({len(rows)}): {table(rows, margins)}")
        if weight == 0.05:
            chosen = groups
    if not chosen:
        return
    rows = [row for group in chosen.values() for row in group]
    calibration = fit(rows)
    print(f"\nfitted on {len(rows)} rows (lexical weight 0.05): {calibration}")
    for name, group in chosen.items():
        r = np.asarray(group)
        conf = np.array([calibration.confidence(t, m) for t, m, _, _ in group])
        print(f"\n{name}: bins of confidence -> share right")
        for lo in (0.0, 0.2, 0.4, 0.6, 0.8):
            sel = (conf >= lo) & (conf < lo + 0.2)
            if sel.any():
                print(
                    f"  {lo:.1f}-{lo + 0.2:.1f}: n={sel.sum()} mean {conf[sel].mean():.2f} "
                    f"right {r[sel, 2].mean():.2f}"
                )
        for threshold in (0.3, 0.5, 0.6, 0.7, 0.8):
            for m in (0.007, 0.01):
                answered = (conf >= threshold) & (r[:, 1] >= m)
                in_scope = r[:, 3] == 1
                print(
                    f"  answer at conf>={threshold} margin>={m}: answered_correct "
                    f"{(answered & (r[:, 2] == 1))[in_scope].mean():.4f}, wrong "
                    f"{(answered & (r[:, 2] == 0)).sum() / max(answered.sum(), 1):.4f}, "
                    f"out-of-scope answered {answered[~in_scope].mean() if (~in_scope).any() else 0:.3f}"
                )
        for s in (0.05, 0.1, 0.2, 0.3):
            refused = conf < s
            in_scope = r[:, 3] == 1
            print(
                f"  refuse below {s}: in-scope refused {refused[in_scope].mean():.4f}, "
                f"out-of-scope refused "
                f"{refused[~in_scope].mean() if (~in_scope).any() else float('nan'):.3f}"
            )


if __name__ == "__main__":
    main()
