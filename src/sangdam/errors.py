"""Errors that carry their HTTP status and a message a person can act on."""

from __future__ import annotations

from typing import Any


class SangdamError(Exception):
    """Base of every error shown to a client; never a 500."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


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
    status_code = 429
    code = "rate_limited"
