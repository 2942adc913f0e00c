"""What every entry point accepts: one id type, one text rule (docs/architecture.md, "Input rules").

Ids are 1 to 2^53-1. Both databases hold 64-bit integers, but a number past 2^63 makes
the driver raise ``OverflowError``, and past 2^53 JSON numbers stop being exact where
they are read as doubles: in the inbox and widget JavaScript, and in JSON Schema
validators. A number outside the range, in a path, a query, a body or a frame, is
refused at the edge with 422 (an error frame on a socket).

Text is what people write (messages, names, notes, FAQ entries, search queries, profile
values). Two characters cannot be stored the same way in both databases: NUL (U+0000),
which PostgreSQL refuses and SQLite keeps, and lone UTF-16 surrogates (U+D800-U+DFFF,
from a string cut in the middle of an emoji), which neither can encode as UTF-8. Text
replaces each of them with U+FFFD "�", as browsers do when they encode such a string,
and is normalised to NFC (Hangul typed on macOS arrives decomposed). The same function
cleans text that arrives by REST, by socket, by email and in imports, so both databases
store the same thing.

Machine text (tokens, passwords, keys, ids from other systems) is ``Verbatim``: the same
replacement, but no NFC, so what was sent is compared as it was sent.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

# JavaScript's Number.MAX_SAFE_INTEGER: the largest id every client reads exactly.
MAX_ID = 2**53 - 1
REPLACEMENT = "\ufffd"
# Python strings hold a valid surrogate pair as one code point: any surrogate left is lone.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def whole_number(value: Any) -> Any:
    # As JSON Schema counts: 5.0 is the integer 5, true is not the integer 1.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(whole_number)]
"""A row id: 1 to 2^53-1. Use it for every id in a path, a query, a body or a frame."""

Seq = Annotated[int, Field(ge=0, le=MAX_ID), BeforeValidator(whole_number)]
"""A message sequence number: 0 to 2^53-1."""

Int = Annotated[int, BeforeValidator(whole_number)]
"""Any other whole number of a body; bound it with ``Field(ge=…, le=…)`` on the field
(inside a union, write ``Annotated[int, Field(…), BeforeValidator(whole_number)]``: the
bounds must come before the validator to reach the schema)."""


def clean_text(value: str) -> str:
    """The one text rule: NUL and lone surrogates become U+FFFD, then NFC."""
    return _nfc(storable_text(value))


def clean_json(value: Any) -> Any:
    """``clean_text`` applied to every string, key or value, of a JSON document."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    return value


def has_unstorable(value: str) -> bool:
    return _UNSTORABLE.search(value) is not None


def storable_text(value: str) -> str:
    """NUL and lone surrogates become U+FFFD; nothing else changes."""
    if _UNSTORABLE.search(value) is not None:
        return _UNSTORABLE.sub(REPLACEMENT, value)
    return value


def _storable_if_text(value: Any) -> Any:
    # Before the str checks: a length limit can't even count a lone surrogate.
    return storable_text(value) if isinstance(value, str) else value


def _nfc(value: str) -> str:
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


Text = Annotated[str, BeforeValidator(_storable_if_text), AfterValidator(_nfc)]
"""Free text people write: cleaned by ``clean_text``. Add length limits with ``Field``."""

Verbatim = Annotated[str, BeforeValidator(_storable_if_text)]
"""Machine text (tokens, passwords, keys): kept as sent, but for what cannot be stored."""

JsonObject = Annotated[dict[str, Any], BeforeValidator(clean_json)]
"""A free-form JSON object (profile attributes, event properties): every string cleaned."""


class Input(BaseModel):
    """Base of every JSON body the HTTP API accepts: values must have the type the schema
    says (``"5"`` is not a number, ``1`` is not ``true``), as the OpenAPI document promises.
    Socket frames stay lenient (JSON object keys are strings there)."""

    model_config = ConfigDict(strict=True)
