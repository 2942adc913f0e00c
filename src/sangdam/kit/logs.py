"""Log lines for machines (one JSON object a line) or for people, each saying what it is about.

A request or a socket opens a ``scope`` (the request id or connection id); code below it
adds what it learns (``bind(workspace_id=3)``), and every line logged meanwhile carries
those fields. The scope is a dict shared by reference, so a field bound in a task the
request started (FastAPI runs some middleware in tasks of their own) still reaches the
request's own closing line.

What goes into a line is the caller's choice: Sangdam logs ids, kinds, counts and
statuses at info level, never message bodies, tokens, passwords or cookies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Literal, TextIO

import orjson

_scope: ContextVar[dict[str, Any] | None] = ContextVar("sangdam_log_scope", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "scope", "taskName", "color_message"}
)
LEVELS = ("critical", "error", "warning", "info", "debug")


@contextlib.contextmanager
def scope(**fields: Any) -> Iterator[dict[str, Any]]:
    """Fields for every line logged until the block ends (a request, a socket)."""
    values = {key: value for key, value in fields.items() if value is not None}
    token = _scope.set(values)
    try:
        yield values
    finally:
        _scope.reset(token)


def bind(**fields: Any) -> None:
    """Add fields to the current scope (no-op outside one)."""
    current = _scope.get()
    if current is not None:
        current.update({key: value for key, value in fields.items() if value is not None})


def current() -> dict[str, Any]:
    return dict(_scope.get() or {})


class ScopeFilter(logging.Filter):
    """Copies the scope's fields onto each record when it is logged (in the logging task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.scope = current()
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...scope, ...extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "scope", None) or {})
        line.update(_extras(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """``LEVEL logger: message [field=value …]`` for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {**(getattr(record, "scope", None) or {}), **_extras(record)}
        if not fields:
            return text
        first, newline, rest = text.partition("\n")
        tail = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{first} [{tail}]{newline}{rest}"


def configure(
    level: str,
    levels: Mapping[str, str] | None = None,
    *,
    style: Literal["json", "text"] = "text",
    stream: TextIO | None = None,
) -> None:
    """One handler on the root logger; ``levels`` sets loggers by name
    (``{"sangdam.realtime": "debug", "uvicorn.error": "warning"}``)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if style == "json" else TextFormatter())
    handler.addFilter(ScopeFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, named_level in (levels or {}).items():
        logging.getLogger(name).setLevel(named_level.upper())
