"""The ``sangdam`` command: run (with the demo), serve, migrate, and the operator's tools
(check, ready, backup, restore); docs/operations.md shows each in use."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import uvicorn
from pydantic import ValidationError

from sangdam.config import Settings

if TYPE_CHECKING:
    from sangdam.app import Sangdam
    from sangdam.ops.schemas import Problem

log = logging.getLogger("sangdam")

# After the listener closes, how long a connection accepted just before has for its
# request to arrive (on a local proxy, well under a millisecond).
ACCEPTED_GRACE_SECONDS = 0.2


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if getattr(args, "host", None):
        settings.server.host = args.host
    if getattr(args, "port", None):
        settings.server.port = args.port
    return settings


async def _prepare(settings: Settings, demo: bool) -> bool:
    from sangdam import domains
    from sangdam.db import Database
    from sangdam.demo.service import seed_demo
    from sangdam.migrations import upgrade_async

    await upgrade_async(settings)
    if not demo:
        return False
    domains.install()
    db = Database(settings)
    try:
        async with db.transaction() as session:
            return await seed_demo(session, settings)
    finally:
        await db.dispose()


async def _needs_setup(settings: Settings) -> bool:
    from sangdam.db import Database
    from sangdam.workspaces.repository import InstallationRepository

    db = Database(settings)
    try:
        async with db.read() as session:
            return await InstallationRepository(session).user_count() == 0
    finally:
        await db.dispose()


def _read_password(path: str) -> str:
    """The first line of a file (or of standard input for "-"): never a command-line
    argument, which every user of the machine can read in the process list."""
    if path == "-":
        return sys.stdin.readline().rstrip("\r\n")
    with open(path, encoding="utf-8") as source:
        return source.readline().rstrip("\r\n")


async def _admin(settings: Settings, args: argparse.Namespace) -> str:
    """``sangdam admin …``: what the setup page and "forgot password" do, for scripts and
    for installations without a mail server."""
    from sangdam import domains
    from sangdam.accounts.repository import AccountRepository
    from sangdam.accounts.service import issue_password_reset, normalise_email
    from sangdam.db import Database
    from sangdam.kit.errors import NotFound
    from sangdam.migrations import upgrade_async
    from sangdam.workspaces.service import WorkspaceSettings, set_up

    await upgrade_async(settings)
    domains.install()
    db = Database(settings)
    try:
        async with db.transaction() as session:
            if args.admin_command == "create-owner":
                user, workspace = await set_up(
                    session,
                    WorkspaceSettings(args.workspace, args.locale, args.timezone, args.website),
                    name=args.name,
                    email=args.email,
                    password=args.password,
                )
                return (
                    f"Created workspace {workspace.name!r} (id {workspace.id}) owned by "
                    f"{user.email}. Sign in at {settings.base_url}/login"
                )
            account = await AccountRepository(session).user_by_email(normalise_email(args.email))
            if account is None:
                raise NotFound(f"No account has the email {args.email}.")
            link = await issue_password_reset(session, account, settings.base_url)
            return f"Open this link within the hour to set a new password (it works once):\n{link}"
    finally:
        await db.dispose()


def _banner(settings: Settings, seeded: bool) -> str:
    from sangdam.demo.service import LOGINS

    base = settings.base_url
    lines = [
        "",
        "  상담 Sangdam is running" + (" (demo workspace created)" if seeded else ""),
        "",
        f"  Agent inbox      {base}/login",
        f"  Demo website     {base}/demo      (the chat widget is in the corner)",
        f"  Help center      {base}/help/sangdam",
        f"  REST API schema  {base}/api/openapi.json",
        "",
        "  Demo sign-ins:",
    ]
    lines += [f"    {login.email:<24} {login.password:<16} {login.role}" for login in LOGINS]
    lines += ["", f"  Database: {settings.database_url}", "  Stop with Ctrl+C.", ""]
    return "\n".join(lines)


class GracefulServer(uvicorn.Server):
    """uvicorn with Sangdam's drain in its shutdown: on SIGTERM the node stops accepting
    connections, closes its sockets with 1012 once their frames under way are answered
    (clients reconnect through the load balancer to another node and resume), lets
    requests under way finish, then stops its job worker after the job under way."""

    def __init__(self, config: uvicorn.Config, sangdam: Sangdam) -> None:
        super().__init__(config)
        self.sangdam = sangdam

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # stop accepting: the proxy tries the other node
        await self.sangdam.drain()
        # uvicorn closes every connection whose request it has not read yet. One accepted
        # just before the listener closed has its request in flight (nginx writes it right
        # after connecting, and does not send a POST elsewhere once written): read it.
        await asyncio.sleep(ACCEPTED_GRACE_SECONDS)
        await super().shutdown(sockets)


def configure_logging(settings: Settings) -> None:
    from sangdam.kit import logs

    # Alembic lists every plugin it loads at INFO; the migrations it runs are what matter.
    levels = {"alembic.runtime.plugins": "warning", **settings.logs.levels}
    logs.configure(settings.log_level, levels, style=settings.logs.format)


def serve(settings: Settings, *, demo: bool) -> None:
    from sangdam.app import create_app
    from sangdam.ops.service import check_settings

    configure_logging(settings)
    problems = check_settings(settings)
    for problem in problems:
        if problem.severity == "warning":
            log.warning("settings: %s", problem.line())
    errors = [problem.line() for problem in problems if problem.severity == "error"]
    if errors:
        sys.exit("Sangdam does not start with these settings:\n  " + "\n  ".join(errors))
    seeded = asyncio.run(_prepare(settings, demo))
    if demo:
        print(_banner(settings, seeded), flush=True)
    elif settings.logs.format == "json":
        # Every line of a node's output is one JSON object (journald, Loki).
        log.info("Sangdam listening on %s", settings.base_url, extra={"url": settings.base_url})
    elif asyncio.run(_needs_setup(settings)):
        print(
            f"Sangdam listening on {settings.base_url}\n"
            f"  First run: open {settings.base_url}/setup to create your workspace and account\n"
            "  (or script it: sangdam admin create-owner --help).",
            flush=True,
        )
    else:
        print(f"Sangdam listening on {settings.base_url}", flush=True)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        # Logging is Sangdam's (configure_logging): uvicorn's lines go through it too.
        log_config=None,
        log_level=None,
        # Requests under way get this long after SIGTERM (the sockets' drain came first).
        timeout_graceful_shutdown=max(1, round(settings.server.shutdown_seconds)),
        # Frames past this are refused by the protocol; smaller oversized ones get an error frame.
        ws_max_size=1024 * 1024,
        # Sangdam sends its own heartbeats from one task instead of one per socket.
        ws_ping_interval=None,
        ws_ping_timeout=None,
        # Chat frames are small; per-socket zlib state would cost ~40 KB per idle widget.
        ws_per_message_deflate=False,
        proxy_headers=bool(settings.server.trusted_proxies),
        forwarded_allow_ips=",".join(settings.server.trusted_proxies) or None,
        access_log=False,
    )
    GracefulServer(config, app.state.sangdam).run()


def _operate(settings: Settings, args: argparse.Namespace) -> NoReturn:
    """The operator's commands; each ends the process with its exit code."""
    from sangdam.ops import service as ops

    try:
        if args.command == "check":
            problems = ops.check_settings(settings)
            if args.connect:
                problems += asyncio.run(_reach(settings))
            for problem in problems:
                print(problem.line())
            errors = sum(problem.severity == "error" for problem in problems)
            if not problems:
                print("The settings are fine.")
            else:
                print(f"{errors} error(s), {len(problems) - errors} warning(s).")
            sys.exit(1 if errors else 0)
        if args.command == "migrate":
            state = asyncio.run(_migration_state(settings))
            print(state.sentence())
            sys.exit({"current": 0, "behind": 1, "ahead": 2}[state.state])
        if args.command == "ready":
            url = args.url or f"http://127.0.0.1:{args.port or settings.server.port}/readyz"
            sys.exit(_wait_ready(url, args.wait))
        source = settings.sqlite_path()
        if source is None:
            sys.exit(
                f"sangdam {args.command}: this installation runs on PostgreSQL; use pg_dump "
                "and pg_restore as docs/operations.md shows (Back up, Restore)."
            )
        if args.command == "backup":
            print(ops.backup_sqlite(source, args.path).sentence("Backed up to"))
        else:
            result = ops.restore_sqlite(args.path, source, replace=args.replace)
            print(result.sentence("Restored"))
            print(ops.migration_state_of(result.revisions).sentence())
        sys.exit(0)
    except ops.OpsError as exc:
        sys.exit(f"sangdam {args.command}: {exc}")


async def _migration_state(settings: Settings):  # type: ignore[no-untyped-def]
    from sangdam.db import create_engine
    from sangdam.ops.schemas import MigrationState
    from sangdam.ops.service import code_heads, migration_state

    path = settings.sqlite_path()
    if path is not None and not path.exists():
        # Opening it would create an empty file: say so instead.
        return MigrationState(state="behind", database=[], code=code_heads(), pending=["all"])
    engine = create_engine(settings)
    try:
        return await migration_state(engine)
    finally:
        await engine.dispose()


async def _reach(settings: Settings) -> list[Problem]:
    """`sangdam check --connect`: the database (and its schema) and Redis, in sentences."""
    from sangdam.ops.schemas import Problem

    problems: list[Problem] = []
    try:
        state = await asyncio.wait_for(_migration_state(settings), 10)
        if state.state != "current":
            problems.append(
                Problem(severity="warning", setting="SANGDAM_DATABASE_URL", sentence=state.sentence())
            )
    except Exception as exc:
        problems.append(
            Problem(
                severity="error",
                setting="SANGDAM_DATABASE_URL",
                sentence=f"The database did not answer ({type(exc).__name__}: {exc}).",
            )
        )
    if settings.redis_url:
        import redis.asyncio as redis

        client = redis.Redis.from_url(settings.redis_url)
        try:
            await asyncio.wait_for(client.ping(), 5)
        except Exception as exc:
            problems.append(
                Problem(
                    severity="error",
                    setting="SANGDAM_REDIS_URL",
                    sentence=f"Redis did not answer ({type(exc).__name__}).",
                )
            )
        finally:
            await client.aclose()
    return problems


def _wait_ready(url: str, wait: float) -> int:
    """Ask ``url`` until it answers 200 or ``wait`` seconds pass; print what it said.

    The operator names the node (a local port, or an address on their own network), so
    the call goes through kit/outbound with internal addresses allowed."""
    import orjson

    from sangdam.kit.errors import BadRequest
    from sangdam.kit.outbound import OutboundFailure, request_json

    deadline = time.monotonic() + wait
    said = "no answer"
    while True:
        try:
            status, content = asyncio.run(
                request_json("GET", url, allow_private=True, timeout_seconds=5)
            )
            body = orjson.loads(content)
            said = "; ".join(
                f"{check['name']}: {check['detail']}" for check in body.get("checks", [])
            )
            if status == 200:
                print(f"Ready ({url}): {said}")
                return 0
        except (OutboundFailure, BadRequest) as exc:
            said = f"no answer ({exc})"  # a node still starting, or a name not yet resolving
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
            said = f"not a Sangdam node (HTTP {status})"
        if time.monotonic() >= deadline:
            print(f"Not ready ({url}): {said}")
            return 1
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sangdam", description="Sangdam customer-support chat")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "migrate, seed the demo workspace on first start, and serve"),
        ("serve", "migrate and serve (no demo data)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--host")
        sub.add_argument("--port", type=int)
    migrate = commands.add_parser("migrate", help="apply database migrations and exit")
    migrate.add_argument(
        "--check",
        action="store_true",
        help="only say whether the database is current (exit 0), behind (1) or newer (2)",
    )
    check = commands.add_parser(
        "check", help="say what is wrong with the settings (exit 1 on an error)"
    )
    check.add_argument(
        "--connect", action="store_true", help="also reach the database and Redis"
    )
    ready = commands.add_parser(
        "ready", help="wait until a node's /readyz says ready (exit 1 if it never does)"
    )
    ready.add_argument("--port", type=int, help="the node's port on 127.0.0.1 (default: settings)")
    ready.add_argument("--url", help="the full /readyz address instead")
    ready.add_argument("--wait", type=float, default=0, help="seconds to keep asking")
    backup = commands.add_parser(
        "backup", help="copy the SQLite database while Sangdam serves (PostgreSQL: pg_dump)"
    )
    backup.add_argument("path", type=Path, help="the new backup file")
    restore = commands.add_parser(
        "restore", help="write a SQLite backup over the database (stop every node first)"
    )
    restore.add_argument("path", type=Path, help="the backup file")
    restore.add_argument(
        "--replace", action="store_true", help="write over a database that holds data"
    )
    admin = commands.add_parser("admin", help="scripted setup and account rescue").add_subparsers(
        dest="admin_command", required=True
    )
    owner = admin.add_parser(
        "create-owner",
        help="first run without the browser: the owner's account and the first workspace",
    )
    owner.add_argument("--email", required=True)
    owner.add_argument("--name", required=True, help="the owner's name")
    owner.add_argument(
        "--password-file",
        required=True,
        help="file holding the password ('-' reads it from standard input)",
    )
    owner.add_argument("--workspace", required=True, help="company or workspace name")
    owner.add_argument("--locale", default="ko", choices=["ko", "en"])
    owner.add_argument("--timezone", default="Asia/Seoul")
    owner.add_argument(
        "--website", default=None, help="where the widget goes, e.g. www.example.com"
    )
    reset = admin.add_parser(
        "reset-password", help="print a one-time link to set a new password (no mail needed)"
    )
    reset.add_argument("--email", required=True)
    bot = commands.add_parser("bot", help="support bot tools").add_subparsers(
        dest="bot_command", required=True
    )
    evaluate = bot.add_parser(
        "eval", help="load an FAQ into a throwaway workspace, ask every query, print metrics"
    )
    evaluate.add_argument("--faq", required=True, type=Path, help="FAQ JSONL file")
    evaluate.add_argument("--queries", required=True, type=Path, help="labelled queries JSONL")
    args = parser.parse_args(argv)

    if args.command == "bot":
        from sangdam.bot.evaluation import format_result, load_inputs, run_eval
        from sangdam.kit.errors import SangdamError

        try:
            faq, queries = load_inputs(args.faq, args.queries)
            print(format_result(asyncio.run(run_eval(faq, queries))))
        except SangdamError as exc:
            sys.exit(f"sangdam bot eval: {exc.message}")
        return

    try:
        settings = _settings(args)
    except ValidationError as exc:
        from sangdam.ops.service import validation_problems

        lines = [problem.line() for problem in validation_problems(exc)]
        sys.exit("The settings can't be read:\n  " + "\n  ".join(lines))
    if args.command in ("check", "ready", "backup", "restore") or (
        args.command == "migrate" and args.check
    ):
        _operate(settings, args)
    if args.command == "admin":
        from sangdam.kit.errors import SangdamError

        if args.admin_command == "create-owner":
            args.password = _read_password(args.password_file)
        try:
            print(asyncio.run(_admin(settings, args)))
        except SangdamError as exc:
            sys.exit(f"sangdam admin {args.admin_command}: {exc.message}")
        return
    if args.command == "migrate":
        from sangdam.migrations import upgrade

        upgrade(settings)
        print("Database is up to date.")
    elif args.command == "run":
        serve(settings, demo=settings.demo.seed)
    elif args.command == "serve":
        serve(settings, demo=False)
    else:  # pragma: no cover - argparse rejects it first
        sys.exit(2)


if __name__ == "__main__":
    main()
