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
