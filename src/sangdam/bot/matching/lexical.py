"""TF-IDF cosine similarity over character n-grams, with an inverted index (numpy only)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .text import char_ngrams


class CharNgramIndex:
    """Sublinear TF-IDF vectors of character n-grams; cosine scores of a query to every text."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts = [char_ngrams(text) for text in texts]
        df: dict[str, int] = {}
        for grams in counts:
            for gram in grams:
                df[gram] = df.get(gram, 0) + 1
        n_docs = len(texts)
        self._idf = {gram: math.log((1 + n_docs) / (1 + d)) + 1.0 for gram, d in df.items()}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for doc, grams in enumerate(counts):
            weights = self._weigh(grams)
            for gram, weight in weights.items():
                docs, values = postings.setdefault(gram, ([], []))
                docs.append(doc)
                values.append(weight)
        self._postings = {
            gram: (np.asarray(docs, dtype=np.intp), np.asarray(values, dtype=np.float32))
            for gram, (docs, values) in postings.items()
        }
        self._n_docs = n_docs

    def _weigh(self, grams: dict[str, int]) -> dict[str, float]:
        weights = {
            gram: (1.0 + math.log(tf)) * self._idf[gram]
            for gram, tf in grams.items()
            if gram in self._idf
        }
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {gram: w / norm for gram, w in weights.items()} if norm else {}

    def scores(self, text: str) -> NDArray[np.float32]:
        """Cosine similarity (0-1) of ``text`` to every indexed text."""
        out = np.zeros(self._n_docs, dtype=np.float32)
        for gram, weight in self._weigh(char_ngrams(text)).items():
            docs, values = self._postings[gram]
            out[docs] += weight * values
        return out
