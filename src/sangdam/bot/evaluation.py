"""``sangdam bot eval``: an FAQ file loaded into a throwaway workspace, every query asked.

The FAQ goes through the same import and index as production (validation,
storage, the per-workspace index cache), so the numbers describe what a
workspace with that FAQ would do.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from pathlib import Path
from typing import Any

from sangdam.accounts.service import create_user
from sangdam.bot.matching import evaluate, iter_jsonl
from sangdam.config import Settings
from sangdam.db import Database
from sangdam.knowledge.service import IndexCache, import_faqs
from sangdam.migrations import upgrade_async
from sangdam.workspaces.service import create_workspace


def load_inputs(faq_path: Path, queries_path: Path) -> tuple[bytes, list[dict[str, Any]]]:
    return faq_path.read_bytes(), list(iter_jsonl(queries_path))


async def run_eval(faq: bytes, queries: list[dict[str, Any]]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sangdam-eval-") as directory:
        settings = Settings(database_url=f"sqlite:///{directory}/eval.sqlite3", redis_url=None)
        await upgrade_async(settings)
        db = Database(settings)
        try:
            async with db.transaction() as session:
                owner = await create_user(
                    session,
                    email="eval@sangdam.local",
                    name="Eval",
                    password=secrets.token_urlsafe(16),  # nobody signs in to this workspace
                )
                workspace, _ = await create_workspace(session, name="Bot evaluation", owner=owner)
                await import_faqs(session, workspace.id, faq, replace=True)
            async with db.read() as session:
                index, _ = await IndexCache().get(session, workspace.id)
        finally:
            await db.dispose()
    return evaluate(index, queries)


def format_result(result: dict[str, Any]) -> str:
    keys = (
        "in_scope_top1",
        "oos_precision",
        "oos_recall",
        "human_recall",
        "latency_ms_p50",
        "latency_ms_p95",
        "queries",
        "answered_correct",
        "wrong_answer_rate",
        "suggested",
    )
    return json.dumps({key: result[key] for key in keys})
