"""Database engine, declarative base, and the transaction boundary.

One transaction per request or per WebSocket command: ``Database.transaction``
opens it, commits it, and only then hands the events that the services
collected to the publisher. Services never commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from sangdam.config import Settings
from sangdam.kit import sqlite as sqlite_driver

sqlite_driver.register()

# Stable constraint names so Alembic migrations can refer to them on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every engine (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use sangdam.db.utcnow()")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


AfterCommit = Callable[[list[Any]], Awaitable[None]]
T = TypeVar("T")


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.async_database_url
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is None:
            # Each pooled connection would get its own empty in-memory database.
            raise ValueError("SANGDAM_DATABASE_URL must name a SQLite file, not :memory:")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Reads run concurrently in WAL mode; a reconnect storm needs more than 5 + 10.
        inline = url.startswith("sqlite+sangdam")
        engine = create_async_engine(
            url,
            # Errors (and so logs) name the statement, never its values: message bodies.
            hide_parameters=True,
            connect_args={} if inline else {"timeout": 30},
            pool_size=20,
            max_overflow=40,
            pool_timeout=60,
        )
        synchronous = settings.sqlite_synchronous
        # The inline driver must never wait on the loop; it retries locked statements in a thread.
        busy_ms = 0 if inline else 30000

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()

        return engine
    return create_async_engine(
        url,
        hide_parameters=True,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=True,
    )


class Database:
    """Owns the engine and the transaction boundary."""

    def __init__(self, settings: Settings, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_engine(settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; queueing writers here instead of in
        # SQLite's busy loop keeps latency fair and avoids "database is locked".
        self._write_lock = asyncio.Lock() if settings.is_sqlite else None
        self._after_commit: list[AfterCommit] = []
        self._batcher = _Batcher(self)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, callback: AfterCommit) -> None:
        """Register a callback that receives the events of every committed transaction."""
        self._after_commit.append(callback)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A read-write transaction; events collected in it are published after commit."""
        lock = self._write_lock or contextlib.nullcontext()
        async with lock, self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        collected: list[Any] = session.info.pop("events", [])
        if collected:
            for callback in self._after_commit:
                await callback(collected)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session that never commits: closing it discards anything written.

        Closing (not rolling back) keeps loaded objects usable afterwards.
        """
        async with self.sessions() as session:
            try:
                yield session
            finally:
                session.info.pop("events", None)

    async def write(self, job: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``job`` in a committed transaction and return its result.

        Jobs that arrive together share one transaction (group commit): one
        commit, one fsync, one connection checkout and one broker round trip
        for many small writes, such as chat messages. A job that fails makes the
        batch fall back to one transaction per job, so one bad request never
        takes others down with it.
        """
        return await self._batcher.submit(job)

    async def write_alone(self, job: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """``job`` in a transaction of its own."""
        try:
            async with self.transaction() as session:
                return await job(session)
        except IntegrityError:
            # A concurrent duplicate (same idempotency key) committed first; run again
            # and the job finds it, instead of the client seeing a conflict.
            async with self.transaction() as session:
                return await job(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


class _Batcher:
    """Group commit: queued jobs run back to back in one transaction."""

    # Enough to amortise a commit; small enough that one batch's latency stays low.
    MAX_BATCH = 64
    # PostgreSQL: a batch never waits long on a row another process holds (nor can
    # two batches deadlock for long); on a timeout it falls back to one job at a time.
    LOCK_TIMEOUT = "200ms"

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: list[
            tuple[Callable[[AsyncSession], Awaitable[Any]], asyncio.Future[Any]]
        ] = []
        self.draining: asyncio.Task[None] | None = None

    async def submit(self, job: Callable[[AsyncSession], Awaitable[T]]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.pending.append((job, future))
        if self.draining is None or self.draining.done():
            self.draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[: self.MAX_BATCH], self.pending[self.MAX_BATCH :]
            results: list[Any] = []
            if len(batch) == 1:
                await self._run_alone(*batch[0])
                continue
            try:
                async with self.db.transaction() as session:
                    if self.db.dialect == "postgresql":
                        await session.execute(
                            text(f"SET LOCAL lock_timeout = '{self.LOCK_TIMEOUT}'")
                        )
                    for job, _ in batch:
                        results.append(await job(session))
            except Exception:
                # Someone's job failed (or the commit did): give each its own transaction.
                for job, future in batch:
                    await self._run_alone(job, future)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _run_alone(
        self, job: Callable[[AsyncSession], Awaitable[Any]], future: asyncio.Future[Any]
    ) -> None:
        try:
            result = await self.db.write_alone(job)
        except Exception as exc:  # handed to the waiting request, which reports it
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)


def collect_event(session: AsyncSession, item: Any) -> None:
    """Queue an event to publish once the session's transaction commits."""
    session.info.setdefault("events", []).append(item)
