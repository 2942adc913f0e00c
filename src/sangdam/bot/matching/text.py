"""Text normalisation, script detection and character n-grams (Korean and English)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[a-zA-Z]")
# Runs of Hangul syllables (spaces between them are dropped: Korean spacing is
# unreliable in chat) and runs of Latin letters or digits.
_RUNS = re.compile(r"[\uac00-\ud7a3]+(?:\s+[\uac00-\ud7a3]+)*|[a-z0-9]+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, lower case, punctuation to spaces, collapsed whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text)
    return _SPACES.sub(" ", text).strip()


def detect_lang(text: str) -> str:
    """``"ko"`` when the text has at least as many Hangul as Latin letters, else ``"en"``."""
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    if hangul == 0 and latin == 0:
        return "ko"
    return "ko" if hangul >= latin else "en"


def char_ngrams(text: str) -> Counter[str]:
    """Character n-grams of the normalised text.

    Hangul runs give 1- to 3-grams over the run with its spaces removed, so
    "연결해 주세요" and "연결해주세요" share all their n-grams. Latin words and
    numbers give 2- to 4-grams inside the word padded with spaces (like
    scikit-learn's ``char_wb``).
    """
    grams: Counter[str] = Counter()
    for match in _RUNS.finditer(normalize(text)):
        run = match.group(0)
        if "a" <= run[0] <= "z" or run[0].isdigit():
            padded = f" {run} "
            for n in (2, 3, 4):
                grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
        else:
            run = run.replace(" ", "")
            for n in (1, 2, 3):
                grams.update(run[i : i + n] for i in range(len(run) - n + 1))
    return grams
