"""Groups of questions that ask the same thing (for the bot report)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .encoders import Encoder, default_encoders
from .matcher import cached_encode
from .text import normalize

# multilingual-e5-small puts any two Korean questions at cosine 0.80-0.90 and paraphrases
# at 0.87-0.95: the shared "a Korean question" direction hides the topic. With enough
# questions their mean vector is taken away first (centring); then paraphrases sit at
# 0.3-0.5 and unrelated questions at -0.3-0.2.
CENTRED_SAME_QUESTION = 0.25
MIN_TO_CENTRE = 6
# Fewer questions than that: raw cosine.
SAME_QUESTION = 0.93


def multilingual_encoder() -> Encoder:
    """The default encoder that reads every language (multilingual-e5)."""
    return next(e for e in default_encoders() if e.languages is None)


def group_questions(
    texts: Sequence[str],
    *,
    encoder: Encoder | None = None,
    threshold: float | None = None,
) -> list[list[int]]:
    """Indexes of ``texts`` in groups, in the order given (so pass the most asked first):
    each text joins the first group whose members are on average at least ``threshold``
    close to it (centred cosine from :data:`MIN_TO_CENTRE` questions on, else raw)."""
    if not texts:
        return []
    # Through the process's embedding cache: the report asks for the same questions again.
    vectors = cached_encode(encoder or multilingual_encoder(), [normalize(t) or t for t in texts])
    if len(texts) >= MIN_TO_CENTRE:
        vectors = vectors - vectors.mean(axis=0)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        threshold = CENTRED_SAME_QUESTION if threshold is None else threshold
    else:
        threshold = SAME_QUESTION if threshold is None else threshold
    similar = vectors @ vectors.T
    groups: list[list[int]] = []
    for i in range(len(texts)):
        for group in groups:
            if float(similar[i, group].mean()) >= threshold:
                group.append(i)
                break
        else:
            groups.append([i])
    return groups
