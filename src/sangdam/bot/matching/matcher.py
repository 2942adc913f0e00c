"""The FAQ index: few-shot classification of a customer message over FAQ entries.

Scoring, for a message ``q`` and FAQ entries ``c``:

1. Every active encoder embeds the entries' question and paraphrases when
   the index is built, and a softmax-regression head is trained on those
   embeddings (one class per entry). At match time the encoders made for
   the message's language (MiniLM for English), or else the multilingual
   ones (USE), give ``log p_k(c | q)``; they are averaged.
2. A character n-gram TF-IDF index gives the best cosine between ``q`` and
   any text of ``c`` (``lex(c)``); it catches spelling and spacing variants
   and product names the encoders do not know.
3. ``fused(c) = softmax(mean_k log p_k(c | q) + lexical_weight * lex(c))``;
   without any encoder (``encoders=()``, a lexical-only index for tests or
   a fallback) ``fused(c) = softmax(lexical_only_scale * lex(c))``.
4. The confidence is a logistic calibration of three signals: the top fused
   probability (most of the weight), the best dense cosine between ``q``
   and any FAQ text in the first encoder used (an absolute signal: a message
   far from every FAQ text loses about one logit) and the best lexical
   cosine. The coefficients were fitted on held-out FAQ texts and the dev
   queries by ``benchmarks/bot/calibrate_matcher.py``.
5. ``decision``: ``"human"`` if the message asks for a person, ``"small_talk"`` if it
   is only a greeting or a thank-you (``small_talk.py``), else
   ``"answer"`` at ``confidence >= answer_threshold``, ``"suggest"`` at
   ``confidence >= suggest_threshold``, else ``"out_of_scope"``.

Encoders whose ``head`` is ``"centroid"`` (multilingual-e5, the default for every
language but English on a mostly English FAQ) are scored differently, without a
trained head:

- ``sim(c) = cos(q, centroid_c) + centroid_lexical_weight * lex(c)``, where
  ``centroid_c`` is the normalised mean of the entry's text vectors (a change to one
  entry changes only its own centroid: nothing is trained);
- ``probabilities = softmax(centroid_scale * sim)`` (for the suggestions' order and
  scores);
- ``confidence = sigmoid(bias + top * sim_1 + margin * (sim_1 - sim_2))``
  (:class:`CentroidCalibration`, fitted by ``benchmarks/bot/calibrate_centroid.py``);
- ``"answer"`` needs ``confidence >= centroid_answer_threshold`` (0.7) *and*
  ``sim_1 - sim_2 >= min_margin`` (0.01): an answer only when one entry clearly
  leads; ``"suggest"`` needs ``confidence >= centroid_suggest_threshold`` (0.2).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .encoders import Encoder, default_encoders, head_of
from .human import wants_human
from .lexical import CharNgramIndex
from .linear import SoftmaxHead, log_softmax
from .small_talk import small_talk
from .text import detect_lang
from .types import Decision, FaqEntry, MatchResult


@dataclass(frozen=True, slots=True)
class Calibration:
    """``confidence = sigmoid(bias + top_prob * p1 + dense_sim * s + lexical_sim * l)``."""

    bias: float
    top_prob: float
    dense_sim: float
    lexical_sim: float

    def confidence(self, p1: float, dense_sim: float, lexical_sim: float) -> float:
        z = (
            self.bias
            + self.top_prob * p1
            + self.dense_sim * dense_sim
            + self.lexical_sim * lexical_sim
        )
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class CentroidCalibration:
    """``confidence = sigmoid(bias + top * sim_1 + margin * (sim_1 - sim_2))`` for the
    centroid scores of an encoder like multilingual-e5."""

    bias: float
    top: float
    margin: float

    def confidence(self, top: float, margin: float) -> float:
        z = self.bias + self.top * top + self.margin * margin
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


DEFAULT_CALIBRATION = Calibration(bias=-3.95, top_prob=5.83, dense_sim=1.39, lexical_sim=-0.24)
DEFAULT_ANSWER_THRESHOLD = 0.6
DEFAULT_SUGGEST_THRESHOLD = 0.1
# Fitted by benchmarks/bot/calibrate_centroid.py (docs/bot-matching.md, "Fourth round").
DEFAULT_CENTROID_CALIBRATION = CentroidCalibration(bias=-43.02, top=45.11, margin=76.53)
DEFAULT_CENTROID_ANSWER_THRESHOLD = 0.7
DEFAULT_CENTROID_SUGGEST_THRESHOLD = 0.2
DEFAULT_MIN_MARGIN = 0.01


class _EmbeddingCache:
    """Embeddings of FAQ texts by (encoder, text), so rebuilding an index after an
    edit only encodes the texts that changed. Bounded; oldest entries go first."""

    def __init__(self, max_items: int = 200_000) -> None:
        self._max_items = max_items
        self._vectors: dict[tuple[str, str], NDArray[np.float32]] = {}

    def remember(self, encoder_name: str, vectors: Mapping[str, NDArray[np.float32]]) -> None:
        """Take embeddings computed earlier (stored with the FAQ) so they are not recomputed."""
        for text, vector in vectors.items():
            self._vectors[(encoder_name, text)] = np.asarray(vector, dtype=np.float32)

    def encode(self, encoder: Encoder, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embeddings of a non-empty list of texts, one row per text."""
        missing = list(dict.fromkeys(t for t in texts if (encoder.name, t) not in self._vectors))
        if missing:
            for text, vector in zip(missing, encoder.encode(missing), strict=True):
                self._vectors[(encoder.name, text)] = vector
        out = np.stack([self._vectors[(encoder.name, t)] for t in texts])
        while len(self._vectors) > self._max_items:
            del self._vectors[next(iter(self._vectors))]
        return out


_CACHE = _EmbeddingCache()


def cached_encode(encoder: Encoder, texts: Sequence[str]) -> NDArray[np.float32]:
    """Embeddings of a non-empty list of texts through this process's cache (texts seen
    before are not encoded again)."""
    return _CACHE.encode(encoder, texts)


def remember_embeddings(encoder_name: str, vectors: Mapping[str, NDArray[np.float32]]) -> set[str]:
    """Seed this process's embedding cache with vectors of FAQ texts by ``encoder_name``
    (from :meth:`FaqIndex.embeddings`, kept in a database): an index built over those
    texts then skips encoding them. A vector that is not of the most common width, or
    holds a non-finite value, is left out (its text is encoded again). Returns the
    texts whose vectors were taken."""
    widths = Counter(len(v) for v in vectors.values())
    if not widths:
        return set()
    width = widths.most_common(1)[0][0]
    good = {t: v for t, v in vectors.items() if len(v) == width and np.isfinite(v).all()}
    _CACHE.remember(encoder_name, good)
    return set(good)


@dataclass(frozen=True, slots=True)
class Scores:
    """Signals for one message: fused probability per entry (aligned with
    :attr:`FaqIndex.ids`), best dense cosine and best lexical cosine to any FAQ text."""

    probabilities: NDArray[np.float32]
    dense_sim: float
    lexical_sim: float
    # Centroid scoring only: the best entry's score and its lead over the second, and
    # every entry's score (in the order of ``FaqIndex.ids``).
    top_sim: float | None = None
    margin: float | None = None
    similarities: NDArray[np.float32] | None = None


@dataclass(frozen=True, slots=True)
class _Channel:
    encoder: Encoder
    head: SoftmaxHead | None
    examples: NDArray[np.float32]
    # one normalised mean vector per entry (centroid scoring), else None
    centroids: NDArray[np.float32] | None = None


def _dot(rows: NDArray[np.float32], vector: NDArray[np.float32]) -> NDArray[np.float32]:
    """``rows @ vector`` on the calling thread only (see :meth:`FaqIndex.score`)."""
    out: NDArray[np.float32] = np.einsum("ij,j->i", rows, vector)
    return out


def _centroids(x: NDArray[np.float32], y: NDArray[np.intp], n: int) -> NDArray[np.float32]:
    sums = np.zeros((n, x.shape[1]), dtype=np.float32)
    np.add.at(sums, y, x)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    out: NDArray[np.float32] = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


class FaqIndex:
    """Matches customer messages against a fixed set of FAQ entries.

    Build it once per FAQ set and call :meth:`match`. Building encodes every
    FAQ text (USE about 1 ms a text, MiniLM about 6 ms) and trains one softmax
    head per encoder; embeddings are cached per process, so rebuilding after
    an edit only encodes the changed texts (300 Korean entries: about 3 s cold,
    0.5 s rebuilt, on two cores).

    ``encoders`` defaults to :func:`default_encoders`; pass ``()`` for a
    lexical-only index. An encoder limited to some languages (the English
    MiniLM) is used only when at least ``min_language_share`` of the FAQ
    texts are in those languages; it then replaces the multilingual encoders
    for messages in those languages.
    """

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        *,
        encoders: Sequence[Encoder] | None = None,
        answer_threshold: float = DEFAULT_ANSWER_THRESHOLD,
        suggest_threshold: float = DEFAULT_SUGGEST_THRESHOLD,
        top_k: int = 3,
        lexical_weight: float = 2.0,
        lexical_only_scale: float = 20.0,
        head_c: float = 30.0,
        min_language_share: float = 0.5,
        calibration: Calibration = DEFAULT_CALIBRATION,
        centroid_lexical_weight: float = 0.05,
        centroid_scale: float = 100.0,
        centroid_answer_threshold: float = DEFAULT_CENTROID_ANSWER_THRESHOLD,
        centroid_suggest_threshold: float = DEFAULT_CENTROID_SUGGEST_THRESHOLD,
        min_margin: float = DEFAULT_MIN_MARGIN,
        centroid_calibration: CentroidCalibration = DEFAULT_CENTROID_CALIBRATION,
    ) -> None:
        if not 0.0 <= suggest_threshold <= answer_threshold <= 1.0:
            raise ValueError("need 0 <= suggest_threshold <= answer_threshold <= 1")
        ids = [entry.id for entry in entries]
        if len(set(ids)) != len(ids):
            raise ValueError("FAQ entry ids must be unique")
        self.entries: dict[str, FaqEntry] = {entry.id: entry for entry in entries}
        self.answer_threshold = answer_threshold
        self.suggest_threshold = suggest_threshold
        self.top_k = top_k
        self.lexical_weight = lexical_weight
        self.lexical_only_scale = lexical_only_scale
        self.calibration = calibration
        self.centroid_lexical_weight = centroid_lexical_weight
        self.centroid_scale = centroid_scale
        self.centroid_answer_threshold = centroid_answer_threshold
        self.centroid_suggest_threshold = centroid_suggest_threshold
        self.min_margin = min_margin
        self.centroid_calibration = centroid_calibration
        self._ids = [entry.id for entry in entries if entry.texts()]
        texts: list[str] = []
        labels: list[int] = []
        for label, entry_id in enumerate(self._ids):
            entry_texts = self.entries[entry_id].texts()
            texts.extend(entry_texts)
            labels.extend([label] * len(entry_texts))
        y = np.asarray(labels, dtype=np.intp)
        # texts are grouped by entry, so per-entry maxima are segment maxima
        self._starts = np.flatnonzero(np.r_[True, y[1:] != y[:-1]]) if texts else y
        self._texts = texts
        self._lexical = CharNgramIndex(texts)
        self._channels: list[_Channel] = []
        if not texts:
            return
        text_langs = [detect_lang(text) for text in texts]
        chosen = list(default_encoders() if encoders is None else encoders)
        specific = [
            e
            for e in chosen
            if e.languages is not None
            and sum(lang in e.languages for lang in text_langs) / len(texts) >= min_language_share
        ]
        covered = frozenset().union(*(e.languages or () for e in specific))
        for encoder in chosen:
            if encoder.languages is not None and encoder not in specific:
                continue
            # A multilingual encoder is not needed when language-specific ones cover every
            # text (Banking77: MiniLM answers English; e5 would only add build time).
            if encoder.languages is None and specific and set(text_langs) <= covered:
                continue
            x = _CACHE.encode(encoder, texts)
            if head_of(encoder) == "centroid":
                channel = _Channel(encoder, None, x, _centroids(x, y, len(self._ids)))
            else:
                channel = _Channel(encoder, SoftmaxHead(x, y, len(self._ids), c=head_c), x)
            self._channels.append(channel)

    def embeddings(self) -> dict[str, dict[str, NDArray[np.float32]]]:
        """The FAQ texts' vectors, by encoder name and text, for :func:`remember_embeddings`."""
        return {
            channel.encoder.name: dict(zip(self._texts, channel.examples, strict=True))
            for channel in self._channels
        }

    @property
    def encoders(self) -> list[Encoder]:
        """The encoders this index actually uses."""
        return [channel.encoder for channel in self._channels]

    def _per_entry_max(self, scores: NDArray[np.float32]) -> NDArray[np.float32]:
        out: NDArray[np.float32] = np.maximum.reduceat(scores, self._starts)
        return out

    @property
    def ids(self) -> list[str]:
        """Ids of the entries that can be matched (entries with at least one text)."""
        return list(self._ids)

    def score(self, text: str, lang: str | None = None) -> Scores:
        """The uncalibrated signals behind :meth:`match` (needs a non-empty index)."""
        if not self._ids:
            raise ValueError("the index has no entries")
        lang = lang or detect_lang(text)
        lexical = self._per_entry_max(self._lexical.scores(text))
        dense_sim = 0.0
        # An encoder made for the message's language replaces the multilingual ones.
        used = [
            c
            for c in self._channels
            if c.encoder.languages is not None and lang in c.encoder.languages
        ]
        used = used or [c for c in self._channels if c.encoder.languages is None]
        used = used or self._channels
        if used and used[0].centroids is not None:
            q = used[0].encoder.encode([text])[0]
            # einsum, not ``@``: above a few hundred entries OpenBLAS runs a matrix-vector
            # product on a second thread, which then spins for a while and halves the
            # speed of the next message's encoder (measured on paraKQC's 500 entries:
            # 64 ms of CPU a message instead of 33). These products take well under 1 ms
            # on one thread.
            sims = _dot(used[0].centroids, q) + self.centroid_lexical_weight * lexical
            order = np.argsort(-sims)[:2]
            top = float(sims[order[0]])
            second = float(sims[order[1]]) if len(order) > 1 else 0.0
            probs = np.exp(log_softmax((self.centroid_scale * sims).astype(np.float32)))
            dense_sim = float(_dot(used[0].examples, q).max())
            return Scores(probs, dense_sim, float(lexical.max()), top, top - second, sims)
        fused = self.lexical_only_scale * lexical
        if used:
            log_probs = []
            for channel in used:
                if channel.head is None:
                    continue
                q = channel.encoder.encode([text])
                log_probs.append(channel.head.log_proba(q)[0])
                if channel is used[0]:  # the calibration was fitted on this one's cosines
                    dense_sim = float((channel.examples @ q[0]).max())
            fused = self.lexical_weight * lexical + np.mean(log_probs, axis=0)
        probs = np.exp(log_softmax(fused.astype(np.float32)))
        return Scores(probs, dense_sim, float(lexical.max()))

    def match(self, text: str, lang: str | None = None) -> MatchResult:
        """Match one customer message. ``lang`` (``"ko"``/``"en"``) is detected when omitted."""
        human = wants_human(text)
        if not human and (chat := small_talk(text)) is not None:
            return MatchResult(None, 0.0, "small_talk", False, [], small_talk=chat)
        if not self._ids or not text.strip():
            return MatchResult(None, 0.0, "human" if human else "out_of_scope", human, [])
        scores = self.score(text, lang)
        order = np.argsort(-scores.probabilities)[: self.top_k]
        suggestions = [(self._ids[i], float(scores.probabilities[i])) for i in order]
        clear_lead = True
        answer_threshold, suggest_threshold = self.answer_threshold, self.suggest_threshold
        if scores.top_sim is not None and scores.margin is not None:
            confidence = self.centroid_calibration.confidence(scores.top_sim, scores.margin)
            clear_lead = scores.margin >= self.min_margin
            answer_threshold = self.centroid_answer_threshold
            suggest_threshold = self.centroid_suggest_threshold
        else:
            confidence = self.calibration.confidence(
                suggestions[0][1], scores.dense_sim, scores.lexical_sim
            )
        decision: Decision
        if human:
            decision = "human"
        elif confidence >= answer_threshold and clear_lead:
            decision = "answer"
        elif confidence >= suggest_threshold:
            decision = "suggest"
        else:
            decision = "out_of_scope"
        best = suggestions[0][0] if decision in ("answer", "suggest") else None
        return MatchResult(
            best, confidence, decision, human, suggestions, similarity=scores.top_sim
        )
