"""BERT uncased WordPiece tokenisation in pure Python (what all-MiniLM-L6-v2 expects).

The same steps as Hugging Face's ``BertTokenizer`` with ``do_lower_case``:
drop control characters, space out CJK ideographs, lower-case and strip
accents, split on whitespace and punctuation, then greedy longest-match
WordPiece with ``##`` continuations. Checked token-for-token against the
``tokenizers`` library on the Banking77 and Korean demo texts.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

_MAX_WORD_CHARS = 100


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def _basic_tokens(text: str) -> list[str]:
    chars: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp in (0, 0xFFFD):
            continue
        if ch in "\t\n\r" or unicodedata.category(ch) == "Zs":
            chars.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        elif _is_cjk(cp):
            chars.extend((" ", ch, " "))
        else:
            chars.append(ch)
    text = unicodedata.normalize("NFD", "".join(chars).lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    tokens: list[str] = []
    for word in text.split():
        current = ""
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    tokens.append(current)
                    current = ""
                tokens.append(ch)
            else:
                current += ch
        if current:
            tokens.append(current)
    return tokens


class WordPieceTokenizer:
    """``encode(text)`` gives ``[CLS] ... [SEP]`` token ids, truncated to ``max_tokens``."""

    def __init__(self, vocab_file: str | Path, max_tokens: int = 128) -> None:
        with Path(vocab_file).open(encoding="utf-8") as handle:
            self._vocab = {line.rstrip("\n"): i for i, line in enumerate(handle)}
        self._max_tokens = max_tokens
        self._unk = self._vocab["[UNK]"]
        self._cls = self._vocab["[CLS]"]
        self._sep = self._vocab["[SEP]"]

    def _word_ids(self, word: str) -> list[int]:
        if len(word) > _MAX_WORD_CHARS:
            return [self._unk]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self._vocab:
                    ids.append(self._vocab[piece])
                    break
                end -= 1
            else:
                return [self._unk]
            start = end
        return ids

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for word in _basic_tokens(text):
            ids.extend(self._word_ids(word))
        return [self._cls, *ids[: self._max_tokens - 2], self._sep]
