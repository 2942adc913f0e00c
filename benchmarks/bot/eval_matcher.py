"""Evaluate the FAQ matcher: ``python benchmarks/bot/eval_matcher.py FAQ.jsonl QUERIES.jsonl``.

Prints one JSON object: in_scope_top1, oos_precision, oos_recall, human_recall,
latency_ms_p50, latency_ms_p95, queries (definitions in
``sangdam.bot.matching.evaluation``). Index build time and model load time go to
stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from sangdam.bot.matching import (
    E5Encoder,
    Encoder,
    FaqIndex,
    MiniLmEncoder,
    UseEncoder,
    default_encoders,
    evaluate,
    iter_jsonl,
    load_faq_jsonl,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faq", help="FAQ entries, JSON lines")
    parser.add_argument("queries", help='labelled queries, JSON lines {"text", "expected"}')
    parser.add_argument("--answer-threshold", type=float, default=None)
    parser.add_argument("--suggest-threshold", type=float, default=None)
    parser.add_argument(
        "--encoders",
        default="e5,minilm",
        help='comma-separated subset of "e5,use,minilm" ("e5,minilm", the default, is the '
        'product\'s; "use,minilm" the matcher before 2026-12-02), or "none" for lexical only',
    )
    args = parser.parse_args(argv)
    shared: dict[type[object], Encoder] = {type(e): e for e in default_encoders()}
    kinds: dict[str, type[Encoder]] = {"e5": E5Encoder, "use": UseEncoder, "minilm": MiniLmEncoder}
    names = [] if args.encoders == "none" else args.encoders.split(",")
    encoders = [shared.get(kinds[name]) or kinds[name]() for name in names]

    entries = load_faq_jsonl(args.faq)
    queries = list(iter_jsonl(args.queries))
    start = time.perf_counter()
    for encoder in encoders:
        encoder.encode(["warm up"])
    loaded = time.perf_counter()
    thresholds = {
        name: value
        for name, value in (
            ("answer_threshold", args.answer_threshold),
            ("suggest_threshold", args.suggest_threshold),
        )
        if value is not None
    }
    index = FaqIndex(entries, encoders=encoders, **thresholds)
    built = time.perf_counter()
    print(
        f"models loaded in {loaded - start:.2f} s; index of {len(entries)} entries built in "
        f"{built - loaded:.2f} s with {[e.name for e in index.encoders]}",
        file=sys.stderr,
    )
    print(json.dumps(evaluate(index, queries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
