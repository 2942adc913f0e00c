"""Running Sangdam: is this node ready, what does it count, is the schema current, are the
settings sane, and SQLite backups taken while it serves.

See docs/operations.md; every procedure there is a command the tests run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import ipaddress
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from sangdam.config import Settings
from sangdam.db import Database, utcnow
from sangdam.migrations import HERE as MIGRATIONS
from sangdam.ops.repository import MetricsRepository
from sangdam.ops.schemas import Check, MigrationState, Problem, Readiness
from sangdam.realtime.broker import Broker

log = logging.getLogger(__name__)

# The window the bot's answer rate is measured over: long enough to hold a few questions
# at night, short enough that a broken FAQ import shows within the hour.
BOT_WINDOW = dt.timedelta(hours=1)
# A readiness probe answers within this even when the database or Redis hangs.
CHECK_SECONDS = 3.0


# ---- migrations ---------------------------------------------------------------------


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def code_heads() -> list[str]:
    """The newest revision(s) this version of Sangdam brings."""
    return sorted(_scripts().get_heads())


def _database_revisions(connection: Connection) -> list[str]:
    return sorted(MigrationContext.configure(connection).get_current_heads())


def migration_state_of(database: list[str]) -> MigrationState:
    heads = code_heads()
    if database == heads:
        return MigrationState(state="current", database=database, code=heads)
    scripts = _scripts()
    try:
        for revision in database:
            scripts.get_revision(revision)
    except CommandError:
        return MigrationState(state="ahead", database=database, code=heads)
    # Oldest first: the order `sangdam migrate` applies them in.
    lower = database or ["base"]
    pending: list[str] = []
    for start in lower:
        for script in scripts.iterate_revisions("heads", start):
            if script.revision not in pending and script.revision not in database:
                pending.append(script.revision)
    return MigrationState(
        state="behind", database=database, code=heads, pending=list(reversed(pending))
    )


async def migration_state(engine: AsyncEngine) -> MigrationState:
    # A session, not engine.connect(): SQLite's inline driver never awaits for a read,
    # which AsyncConnection.execute refuses.
    async with AsyncSession(engine) as session:
        database = await session.run_sync(lambda sync: _database_revisions(sync.connection()))
    return migration_state_of(database)


# ---- health -------------------------------------------------------------------------


async def readiness(db: Database, broker: Broker, *, draining: bool) -> Readiness:
    """Whether this node should get traffic: database reachable and its schema one this
    code can run on, the broker reachable, and not shutting down."""
    checks: list[Check] = []
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            async with db.read() as session:
                await session.execute(text("SELECT 1"))
            state = await migration_state(db.engine)
        checks.append(Check(name="database", ok=True, detail="reachable"))
        checks.append(
            Check(name="migrations", ok=state.state != "behind", detail=state.sentence())
        )
    except Exception as exc:
        log.warning("readiness: the database did not answer: %s", type(exc).__name__)
        checks.append(Check(name="database", ok=False, detail="The database did not answer."))
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await broker.ping()
        checks.append(Check(name="redis", ok=True, detail="reachable or not used"))
    except Exception as exc:
        log.warning("readiness: Redis did not answer: %s", type(exc).__name__)
        checks.append(Check(name="redis", ok=False, detail="Redis did not answer."))
    if draining:
        checks.append(
            Check(name="shutdown", ok=False, detail="This node is shutting down (SIGTERM).")
        )
    ready = all(check.ok for check in checks)
    return Readiness(status="ready" if ready else "not_ready", checks=checks)


# ---- metrics ------------------------------------------------------------------------


class _Snapshot:
    """Numbers read from the database for one scrape, as Prometheus metric families."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        yield from self.families


async def database_metrics(db: Database) -> list[Metric]:
    now = utcnow()
    async with db.read() as session:
        repository = MetricsRepository(session)
        queues = await repository.queues()
        jobs = await repository.jobs(now)
        bot = await repository.bot_steps(now - BOT_WINDOW)
    team_labels = ["workspace_id", "team_id", "team"]
    waiting = GaugeMetricFamily(
        "sangdam_queue_waiting",
        "Conversations waiting in a team's queue for a person (the same on every node).",
        labels=team_labels,
    )
    oldest = GaugeMetricFamily(
        "sangdam_queue_oldest_wait_seconds",
        "How long the longest-waiting conversation in a team's queue has waited.",
        labels=team_labels,
    )
    for workspace_id, team_id, name, count, queued_at in queues:
        labels = [str(workspace_id), str(team_id), name]
        waiting.add_metric(labels, count)
        oldest.add_metric(labels, _seconds_since(queued_at, now))
    backlog = GaugeMetricFamily(
        "sangdam_jobs",
        "Background jobs not done, by kind and status (pending, running, failed: gave up).",
        labels=["kind", "status"],
    )
    oldest_due = GaugeMetricFamily(
        "sangdam_jobs_oldest_due_seconds",
        "How long the oldest due job of a kind has waited to run.",
        labels=["kind"],
    )
    due: dict[str, float] = {}
    for kind, status, count, oldest_run_at in jobs:
        backlog.add_metric([kind, status], count)
        if status == "pending" and oldest_run_at is not None:
            due[kind] = max(due.get(kind, 0.0), _seconds_since(oldest_run_at, now))
    for kind, seconds in due.items():
        oldest_due.add_metric([kind], seconds)
    steps = GaugeMetricFamily(
        "sangdam_bot_steps_last_hour",
        "Steps the support bot recorded in the last hour, by kind.",
        labels=["kind"],
    )
    for kind, count in sorted(bot.items()):
        steps.add_metric([kind], count)
    rate = GaugeMetricFamily(
        "sangdam_bot_answer_rate",
        "Typed questions the bot answered from the FAQ in the last hour, as a fraction "
        "(no sample while there was no question).",
    )
    questions = bot.get("question", 0)
    if questions:
        rate.add_metric([], bot.get("answered", 0) / questions)
    return [waiting, oldest, backlog, oldest_due, steps, rate]


def _seconds_since(moment: dt.datetime | None, now: dt.datetime) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # SQLite's MIN() comes back as text without a zone
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (now - moment).total_seconds())


async def render_metrics(db: Database) -> bytes:
    """This process's counters, then the database's numbers, in the text format."""
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(await database_metrics(db)))
    return generate_latest(REGISTRY) + generate_latest(snapshot)


def metrics_allowed(
    token: str, authorization: str | None, client_host: str | None, forwarded: bool
) -> bool:
    """With a token, only a request that sends it; without, only a scraper on this machine
    that connects directly (a request through the proxy carries X-Forwarded-For)."""
    if token:
        return authorization == f"Bearer {token}"
    if forwarded or client_host is None:
        return False
    try:
        return ipaddress.ip_address(client_host).is_loopback
    except ValueError:
        return False


# ---- SQLite backups -----------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    size: int
    revisions: list[str]
    seconds: float

    def sentence(self, verb: str) -> str:
        schema = ", ".join(self.revisions) or "no schema"
        return f"{verb} {self.path} ({self.size / 1e6:.1f} MB, schema {schema}) in {self.seconds:.1f} s."


class OpsError(Exception):
    """A command could not do what was asked; the message says what to do instead."""


def _revisions(connection: sqlite3.Connection) -> list[str]:
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError:
        return []
    return sorted(str(row[0]) for row in rows)


def _integrity(connection: sqlite3.Connection) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        problems = "; ".join(str(row[0]) for row in result[:3])
        raise OpsError(f"The copy failed SQLite's integrity check: {problems}")


def backup_sqlite(source: Path, target: Path) -> BackupResult:
    """Copy a live SQLite database with SQLite's online backup API.

    One step (all pages at once) reads from one snapshot: in WAL mode writers go on while
    it runs, and the copy is the database as of one moment, with every commit before that
    moment and none after (a file copy would miss what is still in the -wal file). The
    copy is written beside the target and renamed into place once it checks out.
    """
    started = time.monotonic()
    if not source.exists():
        raise OpsError(f"There is no database at {source}. Check SANGDAM_DATABASE_URL.")
    if target.exists():
        raise OpsError(f"{target} already exists. Choose a new name; backups never overwrite.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    live = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        live.backup(copy)
        _integrity(copy)
        revisions = _revisions(copy)
    finally:
        copy.close()
        live.close()
    partial.replace(target)
    return BackupResult(target, target.stat().st_size, revisions, time.monotonic() - started)


def _holds_data(connection: sqlite3.Connection) -> bool:
    tables = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchone()
    return bool(tables and tables[0])


def restore_sqlite(backup: Path, target: Path, *, replace: bool) -> BackupResult:
    """Write a backup over the database at ``target`` with the backup API (atomic for any
    reader; the target's -wal file is handled by SQLite, not left behind).

    Every node must be stopped first: a running node keeps its own idea of the data (its
    sockets' positions, caches) that a restore would contradict.
    """
    started = time.monotonic()
    if not backup.exists():
        raise OpsError(f"There is no backup at {backup}.")
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        _integrity(source)
        revisions = _revisions(source)
        if not revisions:
            raise OpsError(f"{backup} is not a Sangdam database (it has no schema revision).")
        target.parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(target)
        try:
            if _holds_data(destination) and not replace:
                raise OpsError(
                    f"{target} already holds a database. Stop every node, then run the "
                    "restore again with --replace to write the backup over it."
                )
            source.backup(destination)
            _integrity(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return BackupResult(target, target.stat().st_size, revisions, time.monotonic() - started)


# ---- settings -----------------------------------------------------------------------


def _env_name(location: Iterable[Any]) -> str:
    return "SANGDAM_" + "__".join(str(part).upper() for part in location)


def validation_problems(error: ValidationError) -> list[Problem]:
    """Settings that could not even be read, as sentences."""
    return [
        Problem(
            severity="error",
            setting=_env_name(item["loc"]),
            sentence=f"{item['msg']} (got {item.get('input')!r}).",
        )
        for item in error.errors()
    ]


_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _is_local(host: str) -> bool:
    return host in _LOCAL_HOSTS or host.endswith(".localhost")


def check_settings(settings: Settings) -> list[Problem]:
    """What is wrong with these settings, each in a sentence naming its variable."""
    problems: list[Problem] = []

    def error(setting: str, sentence: str) -> None:
        problems.append(Problem(severity="error", setting=setting, sentence=sentence))

    def warning(setting: str, sentence: str) -> None:
        problems.append(Problem(severity="warning", setting=setting, sentence=sentence))

    # The database and Redis.
    try:
        settings.async_database_url  # noqa: B018 - parsing it is the check
        if settings.is_sqlite and settings.sqlite_path() is None:
            error(
                "SANGDAM_DATABASE_URL",
                "A SQLite database must be a file (sqlite:////var/lib/sangdam/sangdam.sqlite3), "
                "not :memory:, or every connection would see an empty database of its own.",
            )
    except ValueError:
        error(
            "SANGDAM_DATABASE_URL",
            "It must start with sqlite:// (one node) or postgresql:// (several); "
            f"it starts with {settings.database_url.split(':', 1)[0]!r}.",
        )
        return problems
    if settings.redis_url is not None:
        scheme = urlsplit(settings.redis_url).scheme
        if scheme not in ("redis", "rediss", "unix"):
            error(
                "SANGDAM_REDIS_URL",
                f"It must start with redis://, rediss:// or unix://, not {scheme or 'nothing'}://.",
            )
    elif not settings.is_sqlite:
        warning(
            "SANGDAM_REDIS_URL",
            "PostgreSQL without Redis works for one node only: with more, a node never "
            "hears about messages stored by another. Set it to redis://host:6379/0.",
        )

    # Where browsers reach Sangdam, and its cookies.
    server = settings.server
    secure = False
    if server.public_url:
        parts = urlsplit(server.public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            error(
                "SANGDAM_SERVER__PUBLIC_URL",
                "It must be the address browsers use, such as https://support.example.com; "
                f"{server.public_url!r} is not an http(s) address.",
            )
        elif parts.path.strip("/") or parts.query or parts.fragment:
            error(
                "SANGDAM_SERVER__PUBLIC_URL",
                f"It must be the site's address without a path ({parts.scheme}://{parts.netloc}): "
                "Sangdam's pages, widget and sockets live at its root.",
            )
        else:
            secure = parts.scheme == "https"
            if server.secure_cookies and not secure and not _is_local(parts.hostname):
                error(
                    "SANGDAM_SERVER__SECURE_COOKIES",
                    "Cookies are marked Secure but the public URL is plain http: browsers "
                    "would not send them back and nobody could sign in. Serve Sangdam over "
                    "https (the reference nginx setup does) or turn Secure cookies off.",
                )
            if secure and not server.secure_cookies:
                warning(
                    "SANGDAM_SERVER__SECURE_COOKIES",
                    "The public URL is https but the session cookie is not marked Secure, so "
                    "a browser would also send it over plain http. Set it to true.",
                )
    elif not _is_local(server.host):
        warning(
            "SANGDAM_SERVER__PUBLIC_URL",
            f"Sangdam listens on {server.host} but no public URL is set, so links in emails "
            f"and the sockets' origin check use {settings.base_url}. Set the address "
            "browsers use, such as https://support.example.com.",
        )
    for proxy in server.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            error(
                "SANGDAM_SERVER__TRUSTED_PROXIES",
                f"{proxy!r} is not an IP address or network; list the proxies' addresses, "
                'such as ["127.0.0.1"].',
            )
    if secure and not server.trusted_proxies and not _is_local(server.host):
        warning(
            "SANGDAM_SERVER__TRUSTED_PROXIES",
            "Behind a proxy that terminates TLS, list its address here; otherwise every "
            "customer shares the proxy's address, and its rate limits.",
        )
    for name, port in (("SANGDAM_SERVER__PORT", server.port),):
        if not 0 < port < 65536:
            error(name, f"{port} is not a TCP port (1-65535).")
    if server.shutdown_seconds <= 0:
        error(
            "SANGDAM_SERVER__SHUTDOWN_SECONDS",
            "It must be more than 0: sockets and requests need time to finish on SIGTERM.",
        )
    token = server.metrics_token.get_secret_value()
    if token and len(token) < 16:
        error(
            "SANGDAM_SERVER__METRICS_TOKEN",
            f"It has {len(token)} characters; use at least 16 random ones "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(24))').",
        )

    # Email.
    email = settings.email
    if bool(email.host) != bool(email.from_address):
        missing = "SANGDAM_EMAIL__FROM_ADDRESS" if email.host else "SANGDAM_EMAIL__HOST"
        error(
            missing,
            "Email is half set up: it needs both the SMTP host and the from address, and "
            "without this one nothing is sent.",
        )
    if email.from_address and "@" not in email.from_address.strip("@"):
        error(
            "SANGDAM_EMAIL__FROM_ADDRESS",
            f"{email.from_address!r} is not an email address (support@example.com).",
        )
    if email.starttls and email.use_tls:
        error(
            "SANGDAM_EMAIL__USE_TLS",
            "STARTTLS and implicit TLS are both on; use one: STARTTLS for port 587, "
            "USE_TLS=true with STARTTLS=false for port 465.",
        )
    password = email.password.get_secret_value()
    if password and not email.username:
        error(
            "SANGDAM_EMAIL__USERNAME",
            "An SMTP password is set without a username, so it is never used.",
        )
    if (
        password
        and email.host
        and not (email.starttls or email.use_tls)
        and not _is_local(email.host)
    ):
        error(
            "SANGDAM_EMAIL__STARTTLS",
            f"The SMTP password would cross the network to {email.host} unencrypted. Turn "
            "STARTTLS (or USE_TLS) on.",
        )
    for name, port in (
        ("SANGDAM_EMAIL__PORT", email.port),
        ("SANGDAM_EMAIL__LISTEN_PORT", email.listen_port),
    ):
        if not 0 < port < 65536:
            error(name, f"{port} is not a TCP port (1-65535).")

    # Protections turned off.
    if not settings.rate_limits.enabled:
        warning(
            "SANGDAM_RATE_LIMITS__ENABLED",
            "Rate limits are off: anyone can create visitors and messages as fast as they "
            "can send them. Turn them off only for a load test.",
        )
    if settings.outbound.allow_private:
        warning(
            "SANGDAM_OUTBOUND__ALLOW_PRIVATE",
            "Webhooks and Slack posts may reach internal addresses: an admin could make "
            "Sangdam call services on your private network.",
        )
    return problems
