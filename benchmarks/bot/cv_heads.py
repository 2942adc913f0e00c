"""Compare matcher heads by cross-validation on the FAQ file's own texts.

    python benchmarks/bot/cv_heads.py FAQ.jsonl [--queries QUERIES.jsonl]

Folds: fold ``k`` holds out the ``k``-th text (question or paraphrase) of every
entry that has at least two texts (and more than ``k``) and trains on the rest,
so every entry keeps at least one training text. On Banking77 (10 texts an entry) that
is leave-one-paraphrase-out: 10 folds of 77 held-out texts. Choices (head,
regularisation, fusion weights) are to be made on the ``cv`` column only.
``--queries`` adds a ``test`` column, computed once with the head trained on
all FAQ texts; it is printed for the record and must not drive choices.

Top-1 only: no thresholds, no out-of-scope handling. Embeddings of the FAQ and
query texts are cached as ``.npy`` files under ``--cache`` (keyed by encoder
and a hash of the texts), so a second run takes seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sangdam.bot.matching import MiniLmEncoder, UseEncoder, iter_jsonl, load_faq_jsonl
from sangdam.bot.matching.lexical import CharNgramIndex
from sangdam.bot.matching.linear import SoftmaxHead

Array = np.ndarray[Any, Any]


def _embed(encoder: Any, texts: list[str], cache: Path) -> Array:
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"{encoder.name}-{key}.npy"
    if path.exists():
        out: Array = np.load(path)
        return out
    out = encoder.encode(texts)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def _per_entry(scores: Array, y: Array, n: int, fill: float = -1.0) -> Array:
    """Best score per entry, for a (queries x texts) score matrix."""
    out = np.full((scores.shape[0], n), fill, dtype=np.float32)
    for c in range(n):
        cols = y == c
        if cols.any():
            out[:, c] = scores[:, cols].max(axis=1)
    return out


def _norm(x: Array) -> Array:
    out: Array = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def channels(
    feats: dict[str, Array],
    qfeats: dict[str, Array],
    y: Array,
    n: int,
    texts: list[str],
    qtexts: list[str],
) -> dict[str, Array]:
    """Per-entry scores of every channel for the query rows, heads trained on (feats, y)."""
    out: dict[str, Array] = {}
    for name, x in feats.items():
        q = qfeats[name]
        for c in (10.0, 30.0, 100.0):
            out[f"{name}.lr{c:g}"] = SoftmaxHead(x, y, n, c=c).log_proba(q)
        out[f"{name}.nn"] = _per_entry(q @ x.T, y, n)
        centroids = _norm(np.stack([x[y == c].mean(axis=0) for c in range(n)]))
        out[f"{name}.centroid"] = q @ centroids.T
    both = _norm(np.hstack([feats["minilm"], feats["use"]]))
    qboth = _norm(np.hstack([qfeats["minilm"], qfeats["use"]]))
    out["concat.lr30"] = SoftmaxHead(both, y, n, c=30.0).log_proba(qboth)
    lexical = CharNgramIndex(texts)
    out["lex"] = _per_entry(np.stack([lexical.scores(t) for t in qtexts]), y, n, fill=0.0)
    return out


Method = Callable[[dict[str, Array]], Array]

METHODS: dict[str, Method] = {
    "lexical only (cosine)": lambda s: s["lex"],
    "USE LR C=30": lambda s: s["use.lr30"],
    "USE LR C=30 + 2 lex": lambda s: s["use.lr30"] + 2 * s["lex"],
    "MiniLM nearest text": lambda s: s["minilm.nn"],
    "MiniLM centroid": lambda s: s["minilm.centroid"],
    "MiniLM LR C=10": lambda s: s["minilm.lr10"],
    "MiniLM LR C=30": lambda s: s["minilm.lr30"],
    "MiniLM LR C=100": lambda s: s["minilm.lr100"],
    "MiniLM LR C=10 + 2 lex": lambda s: s["minilm.lr10"] + 2 * s["lex"],
    "MiniLM LR C=30 + 2 lex (product)": lambda s: s["minilm.lr30"] + 2 * s["lex"],
    "MiniLM LR C=100 + 2 lex": lambda s: s["minilm.lr100"] + 2 * s["lex"],
    "MiniLM LR + 3 lex": lambda s: s["minilm.lr30"] + 3 * s["lex"],
    "LR on concat(MiniLM, USE) + 2 lex": lambda s: s["concat.lr30"] + 2 * s["lex"],
    "MiniLM LR + 0.5 USE LR + 2 lex": lambda s: (
        s["minilm.lr30"] + 0.5 * s["use.lr30"] + 2 * s["lex"]
    ),
    "MiniLM LR + 20 MiniLM nn + 2 lex": lambda s: (
        s["minilm.lr30"] + 20 * s["minilm.nn"] + 2 * s["lex"]
    ),
    "MiniLM LR + 0.5 USE LR + 20 nn + 3 lex": lambda s: (
        s["minilm.lr30"] + 0.5 * s["use.lr30"] + 20 * s["minilm.nn"] + 3 * s["lex"]
    ),
    "MiniLM LR + 10 centroid + 2 lex": lambda s: (
        s["minilm.lr30"] + 10 * s["minilm.centroid"] + 2 * s["lex"]
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faq")
    parser.add_argument("--queries", help="labelled queries; only for the record (test column)")
    parser.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / "sangdam-bot-cv"),
        help="embedding cache folder",
    )
    args = parser.parse_args(argv)
    cache = Path(args.cache)

    entries = load_faq_jsonl(args.faq)
    ids = [e.id for e in entries if e.texts()]
    texts: list[str] = []
    labels: list[int] = []
    ranks: list[int] = []
    for label, entry in enumerate(e for e in entries if e.texts()):
        for rank, text in enumerate(entry.texts()):
            texts.append(text)
            labels.append(label)
            ranks.append(rank if len(entry.texts()) >= 2 else -1)
    y = np.asarray(labels)
    rank = np.asarray(ranks)
    n = len(ids)
    encoders = {"minilm": MiniLmEncoder(), "use": UseEncoder()}
    feats = {name: _embed(enc, texts, cache) for name, enc in encoders.items()}

    cv_hits = dict.fromkeys(METHODS, 0)
    held_total = 0
    for fold in range(int(rank.max()) + 1):
        held = rank == fold
        keep = ~held
        s = channels(
            {k: v[keep] for k, v in feats.items()},
            {k: v[held] for k, v in feats.items()},
            y[keep],
            n,
            [t for t, k in zip(texts, keep, strict=True) if k],
            [t for t, h in zip(texts, held, strict=True) if h],
        )
        for name, method in METHODS.items():
            cv_hits[name] += int((method(s).argmax(axis=1) == y[held]).sum())
        held_total += int(held.sum())
        print(f"fold {fold}: {int(held.sum())} held-out texts", file=sys.stderr)

    test: dict[str, float] = {}
    if args.queries:
        rows = [q for q in iter_jsonl(args.queries) if q["expected"] in ids]
        qtexts = [str(q["text"]) for q in rows]
        qy = np.asarray([ids.index(str(q["expected"])) for q in rows])
        qfeats = {name: _embed(enc, qtexts, cache) for name, enc in encoders.items()}
        s = channels(feats, qfeats, y, n, texts, qtexts)
        test = {
            name: float((method(s).argmax(axis=1) == qy).mean()) for name, method in METHODS.items()
        }

    print(f"| method | cv top-1 ({held_total} held-out texts) | test top-1 (record only) |")
    print("| --- | --- | --- |")
    for name in METHODS:
        t = f"{test[name]:.3f}" if name in test else "—"
        print(f"| {name} | {cv_hits[name] / held_total:.3f} | {t} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
