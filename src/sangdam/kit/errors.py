"""Errors that carry their HTTP status and a message a person can act on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, Field


class SangdamError(Exception):
    """Base of every error shown to a client; never a 500."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        values: Mapping[str, object] | None = None,
        **details: Any,
    ) -> None:
        """``message`` is English. With ``values`` it is a template ("{email} is already a
        member here.") filled in here, so the catalogs can translate the template and fill
        it in the same way (``said``): people see errors in their own language."""
        self.template = message
        self.values = dict(values or {})
        self.message = message.format_map(self.values) if self.values else message
        super().__init__(self.message)
        if code is not None:
            self.code = code
        self.details = details

    def said(self, translate: Callable[[str], str]) -> str:
        """The message in another language; ``translate`` maps an English template to its
        translation (or returns it unchanged)."""
        text = translate(self.template)
        if not self.values:
            return text
        values = {key: _said(value, translate) for key, value in self.values.items()}
        try:
            return text.format_map(values)
        except (KeyError, IndexError, ValueError, AttributeError):
            return self.message  # a translation naming a value the template does not have

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the JSON body."""
        return {}

    def as_dict(self, translate: Callable[[str], str] | None = None) -> dict[str, Any]:
        message = self.said(translate) if translate is not None else self.message
        body: dict[str, Any] = {"code": self.code, "message": message}
        if self.details:
            body["details"] = self.details
        return body


class Word(str):
    """A value of an error message that is itself UI text, a noun ("Conversation",
    "Team"): translated along with the message, in the catalogs' "thing" context."""

    CONTEXT = "thing"


def _said(value: object, translate: Callable[[str], str]) -> object:
    if isinstance(value, SangdamError):
        return value.said(translate)
    if isinstance(value, Word):
        key = f"{Word.CONTEXT}\x04{value}"
        translated = translate(key)
        return value if translated == key else translated
    return value


class BadRequest(SangdamError):
    status_code = 400
    code = "bad_request"


class Unauthorized(SangdamError):
    status_code = 401
    code = "unauthorized"


class Forbidden(SangdamError):
    status_code = 403
    code = "forbidden"


class NotFound(SangdamError):
    status_code = 404
    code = "not_found"


class Conflict(SangdamError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(SangdamError):
    status_code = 413
    code = "too_large"


class Unprocessable(SangdamError):
    status_code = 422
    code = "invalid"


class TooManyRequests(SangdamError):
    """Refused by a limit; ``retry_after`` (seconds) goes out as the Retry-After header
    and as ``details.retry_after`` (in socket error frames too)."""

    status_code = 429
    code = "rate_limited"

    @property
    def headers(self) -> dict[str, str]:
        retry_after = self.details.get("retry_after")
        return {"Retry-After": str(retry_after)} if retry_after is not None else {}


# ---- how errors are documented in the OpenAPI schema ------------------------------------


class ErrorOut(BaseModel):
    """The body of every error answer, and of the WebSocket ``error`` frame."""

    code: str = Field(description="For programs: not_found, conflict, invalid, rate_limited…")
    message: str = Field(description="For people: what went wrong and what to do about it.")
    details: dict[str, Any] | None = Field(
        default=None, description="Values a program may use, e.g. `limit` or `retry_after`."
    )


_MEANING: dict[type[SangdamError], str] = {
    BadRequest: "The request cannot be carried out as it is; the message says why.",
    Unauthorized: "No valid credentials: sign in, or send a valid token.",
    Forbidden: "Not allowed: a missing CSRF header, another origin, or a role that may not.",
    NotFound: "Nothing with this id here, or no access to it.",
    Conflict: "Conflicts with the current state (a duplicate, or a change made meanwhile).",
    PayloadTooLarge: "The text or file is larger than the limit the message names.",
    Unprocessable: "A value is missing or not valid; the message names the field.",
    TooManyRequests: "Too many requests; wait the seconds given in Retry-After.",
}


def responses(*errors: type[SangdamError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router or an operation: the statuses it can answer with."""
    declared: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry: dict[str, Any] = {"model": ErrorOut, "description": _MEANING[error]}
        if error is TooManyRequests:
            entry["headers"] = {
                "Retry-After": {
                    "description": "Seconds until a retry can pass.",
                    "schema": {"type": "integer"},
                }
            }
        declared[error.status_code] = entry
    return declared
