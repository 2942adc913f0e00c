"""The README's first command seeds a demo workspace: check what it holds, on a fresh database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from sangdam.bot import service as bot
from sangdam.config import Settings
from sangdam.conversations.models import Conversation
from sangdam.db import Database
from sangdam.demo.service import seed_demo
from sangdam.inboxes.models import Inbox
from sangdam.knowledge.models import Article, FaqEntry
from sangdam.knowledge.repository import KnowledgeRepository
from sangdam.migrations import upgrade_async
from sangdam.workspaces.models import Workspace

DEMO_FAQ = Path(__file__).resolve().parents[2] / "src/sangdam/demo/faq.jsonl"


async def test_the_demo_workspace_is_seeded_once_in_korean_and_english(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.sqlite3'}", redis_url=None)
    await upgrade_async(settings)
    db = Database(settings)
    try:
        async with db.transaction() as session:
            assert await seed_demo(session, settings) is True
        async with db.transaction() as session:
            assert await seed_demo(session, settings) is False  # never twice
        async with db.read() as session:
            workspace = (await session.execute(select(Workspace))).scalar_one()
            inbox = (await session.execute(select(Inbox))).scalar_one()
            faqs = await KnowledgeRepository(session, workspace.id).faqs()
            lines = [json.loads(line) for line in DEMO_FAQ.read_text().splitlines() if line]
            assert {f.key for f in faqs} == {line["id"] for line in lines}
            linked = {f.key for f in faqs if f.article_id is not None}
            assert {"price-refund", "price-plans", "en-pricing"} <= linked
            articles = (await session.execute(select(func.count(Article.id)))).scalar_one()
            assert articles >= 5
            assert (await session.execute(select(func.count(Conversation.id)))).scalar_one() > 0
            # English visitors get English topic buttons; Korean ones the seeds' categories.
            english = await bot.welcome(session, inbox, "en")
            korean = await bot.welcome(session, inbox, "ko")
            assert english is not None and korean is not None
            assert [b["label"] for b in english["buttons"]] == [
                "Product features",
                "Pricing",
                "Integrations",
                "Talk to a person",
            ]
            assert [b["label"] for b in korean["buttons"]] == [
                "제품기능",
                "이용가격",
                "연동방법",
                "상담원 연결",
            ]
            topics = {b["id"].removeprefix("cat:") for b in english["buttons"][:-1]}
            assert topics == {f.category for f in faqs}
            assert all(f.lang in ("ko", "en") for f in faqs)
            assert await session.scalar(select(func.count(FaqEntry.id))) == len(lines)
    finally:
        await db.dispose()
