"""The ``sangdam`` command: run (with the demo), serve, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import uvicorn

from sangdam.config import Settings

log = logging.getLogger("sangdam")


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


def serve(settings: Settings, *, demo: bool) -> None:
    from sangdam.app import create_app

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    # Alembic lists every plugin it loads at INFO; the migrations it runs are what matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    seeded = asyncio.run(_prepare(settings, demo))
    if demo:
        print(_banner(settings, seeded), flush=True)
    elif asyncio.run(_needs_setup(settings)):
        print(
            f"Sangdam listening on {settings.base_url}\n"
            f"  First run: open {settings.base_url}/setup to create your workspace and account\n"
            "  (or script it: sangdam admin create-owner --help).",
            flush=True,
        )
    else:
        print(f"Sangdam listening on {settings.base_url}", flush=True)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.server.host,
        port=settings.server.port,
        log_level=settings.log_level,
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
    uvicorn.Server(config).run()


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
    commands.add_parser("migrate", help="apply database migrations and exit")
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

    settings = _settings(args)
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
