"""An asyncio SQLite driver for SQLAlchemy that runs statements on the event loop.

aiosqlite sends every cursor operation (execute, fetch, close) to a worker
thread and back: a chat message costs a dozen thread hops, each waking the
loop and fighting for the GIL, which was a quarter of the server's CPU at
full load. SQLite statements on a WAL database are in-memory page work that
takes microseconds, so this driver runs them inline and leaves the thread
for the two things that can really wait:

* ``COMMIT``, which fsyncs the write-ahead log: always in a thread, so the
  loop keeps serving sockets while the disk works;
* a statement that meets another process's write lock ("database is
  locked"): retried in a thread, patiently, instead of blocking the loop.

Inline statements never wait for a lock (``busy_timeout=0``); within one
process :class:`sangdam.db.Database` already queues writers on an asyncio
lock, so only a second process (a CLI command, a migration) can hold it.

Register with :func:`register`; the URL scheme is ``sqlite+sangdam://``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_, in_greenlet

T = TypeVar("T")

# How long a statement may wait for another process's write lock, in a thread.
LOCK_WAIT_SECONDS = 30.0


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "database is locked" in message or "database table is locked" in message


def _patiently(connection: sqlite3.Connection, call: Callable[[], T]) -> T:
    """Run ``call`` (in a worker thread) retrying while another process holds the lock."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.005)


def _off_loop(connection: sqlite3.Connection, call: Callable[[], T]) -> T:
    if not in_greenlet():  # a plain synchronous caller (no event loop to spare)
        return _patiently(connection, call)
    return await_(asyncio.to_thread(_patiently, connection, call))


class Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """SQLAlchemy's async results call this; a sqlite3 cursor needs no closing early."""

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise
        connection = self.connection
        return _off_loop(
            connection,
            lambda: sqlite3.Cursor.execute(self, sql, parameters),
        )

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Cursor:
        rows = list(seq_of_parameters)
        try:
            return super().executemany(sql, rows)
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise
        return _off_loop(
            self.connection,
            lambda: sqlite3.Cursor.executemany(self, sql, rows),
        )


class Connection(sqlite3.Connection):
    def cursor(self, factory: Any = Cursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def commit(self) -> None:
        _off_loop(self, super().commit)


class _DBAPI:
    """The sqlite3 module, but connections are :class:`Connection`."""

    paramstyle = sqlite3.paramstyle

    def __getattr__(self, name: str) -> Any:
        return getattr(sqlite3, name)

    def connect(self, *args: Any, **kwargs: Any) -> Connection:
        kwargs["factory"] = Connection
        kwargs["check_same_thread"] = False  # commits run in a worker thread
        kwargs["timeout"] = 0  # never wait for a lock on the event loop
        return sqlite3.connect(*args, **kwargs)  # type: ignore[no-any-return]


class SQLiteDialect_sangdam(SQLiteDialect_pysqlite):
    driver = "sangdam"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> Any:
        return _DBAPI()

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool

    def get_driver_connection(self, connection: Any) -> Any:
        return connection


dialect = SQLiteDialect_sangdam


def register() -> None:
    registry.register("sqlite.sangdam", __name__, "SQLiteDialect_sangdam")
