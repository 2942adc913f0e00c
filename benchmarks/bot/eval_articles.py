"""Answers from help-center articles: the bot's two steps on labelled queries.

    nice -n 10 python benchmarks/bot/eval_articles.py benchmarks/bot/ko_article_queries.jsonl \\
        benchmarks/bot/ko_demo_queries.jsonl

The demo FAQ (``src/sangdam/demo/faq.jsonl``) and the demo articles
(``sangdam.demo.articles``) are indexed as the app indexes them. For every query the
bot's decision is taken as in ``sangdam.bot.service.respond``: a direct FAQ answer
first, else a passage of an article in the query's language when the passage index
answers, else the FAQ's suggestion or refusal. ``expected`` is a FAQ id, ``None``
(out of scope), ``"@human"`` or ``"article:<slug>"`` (only an article answers it).

Printed per file: ``article_answered_correct`` (share of article queries answered with
a passage of the expected article), ``faq_answered_correct`` (share of FAQ queries
answered directly with the expected entry, or with a passage of the article that entry
links to), ``wrong_answer_rate`` (share of all direct
answers, FAQ or passage, that were wrong), ``passage_answers`` and per-query latency.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from sangdam.bot.matching import HUMAN_LABEL, FaqIndex, iter_jsonl, load_faq_jsonl
from sangdam.bot.matching.passages import (
    MIN_LEAD_OVER_FAQ,
    article_of,
    best_passage,
    passage_entries,
)
from sangdam.bot.matching.text import detect_lang
from sangdam.demo.articles import ARTICLES, FAQ_ARTICLES

DEMO_FAQ = Path(__file__).resolve().parents[2] / "src" / "sangdam" / "demo" / "faq.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("queries", nargs="+")
    args = parser.parse_args()
    faq = FaqIndex(load_faq_jsonl(DEMO_FAQ), top_k=8)
    slugs = {index: article.slug for index, article in enumerate(ARTICLES)}
    langs = {index: article.lang for index, article in enumerate(ARTICLES)}
    passages = FaqIndex(
        [
            entry
            for index, article in enumerate(ARTICLES)
            for entry in passage_entries(index, article.title, article.body, article.lang)
        ],
        top_k=3,
    )
    for path in args.queries:
        counts = dict.fromkeys(
            ("article", "article_right", "faq", "faq_right", "answers", "wrong", "passages"), 0
        )
        latencies = []
        misses = []
        for query in iter_jsonl(path):
            text, expected = str(query["text"]), query.get("expected")
            start = time.perf_counter()
            result = faq.match(text)
            answer: str | None = None
            if result.decision == "answer":
                answer = result.best
            elif result.decision in ("suggest", "out_of_scope"):
                found = best_passage(passages, text)
                article = article_of(found.id) if found else -1
                closer = found is not None and (
                    result.similarity is None
                    or found.similarity >= result.similarity + MIN_LEAD_OVER_FAQ
                )
                if closer and langs[article] == detect_lang(text):
                    answer = f"article:{slugs[article]}"
                    counts["passages"] += 1
            latencies.append((time.perf_counter() - start) * 1000)
            if expected == HUMAN_LABEL:
                continue
            if answer is not None and answer == f"article:{FAQ_ARTICLES.get(str(expected))}":
                answer = expected  # the article the expected FAQ entry links to: same answer
            if answer is not None:
                counts["answers"] += 1
                counts["wrong"] += answer != expected
                if answer != expected:
                    misses.append((text, expected, answer))
            if isinstance(expected, str) and expected.startswith("article:"):
                counts["article"] += 1
                counts["article_right"] += answer == expected
            elif expected is not None:
                counts["faq"] += 1
                counts["faq_right"] += answer == expected
        p50, p95 = np.percentile(latencies, [50, 95]).tolist()
        print(
            json.dumps(
                {
                    "file": path,
                    "article_answered_correct": (
                        round(counts["article_right"] / counts["article"], 4)
                        if counts["article"]
                        else None
                    ),
                    "faq_answered_correct": (
                        round(counts["faq_right"] / counts["faq"], 4) if counts["faq"] else None
                    ),
                    "wrong_answer_rate": round(counts["wrong"] / max(counts["answers"], 1), 4),
                    "passage_answers": counts["passages"],
                    "latency_ms_p50": round(p50, 2),
                    "latency_ms_p95": round(p95, 2),
                    "queries": len(latencies),
                },
                ensure_ascii=False,
            )
        )
        for miss in misses:
            print("  wrong:", json.dumps(miss, ensure_ascii=False))


if __name__ == "__main__":
    main()
