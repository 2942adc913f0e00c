"""The demo workspace seeded on first start, so there is something to click."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.service import create_user
from sangdam.bot.models import BotFlow
from sangdam.bot.schemas import CategoryButton, FlowDefinition, Text
from sangdam.config import Settings
from sangdam.contacts.schemas import PageContext
from sangdam.contacts.service import create_visitor
from sangdam.conversations.models import Status
from sangdam.conversations.service import assign, load, set_status
from sangdam.demo.agent_workspace import seed_agent_workspace
from sangdam.demo.articles import ARTICLES, FAQ_ARTICLES
from sangdam.knowledge.repository import KnowledgeRepository
from sangdam.knowledge.service import import_faqs, save_article
from sangdam.messages.service import send_as_agent
from sangdam.widget.service import receive_message
from sangdam.workspaces.models import Agent, Role, Workspace
from sangdam.workspaces.service import add_agent, create_workspace


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    name: str
    role: str


# Local-only demo credentials (the server listens on 127.0.0.1 by default).
LOGINS = (
    DemoLogin("admin@sangdam.local", "sangdam-admin", "관리자 Admin", Role.OWNER.value),
    DemoLogin("mina@sangdam.local", "sangdam-agent", "김민아", Role.AGENT.value),
    DemoLogin("alex@sangdam.local", "sangdam-agent", "Alex Kim", Role.AGENT.value),
)

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
)

FAQ_FILE = Path(__file__).with_name("faq.jsonl")

# (visitor name, context, user agent, steps, final status). A step is
# ("press", button id) or ("say", text) by the customer, ("agent"/"note", text) by agent 1.
SCRIPT: tuple[tuple[str, PageContext, str, list[tuple[str, str]], Status], ...] = (
    (
        "이서연",
        PageContext(
            url="https://sangdam.example/pricing",
            title="요금제 | 상담 Sangdam",
            referrer="https://search.naver.com/",
            locale="ko-KR",
            timezone="Asia/Seoul",
        ),
        IPHONE,
        [
            ("press", "cat:이용가격"),
            ("press", "faq:price-refund"),
            ("press", "helpful:no"),
            ("press", "human"),
            ("say", "연간 결제했는데 3개월 쓰고 해지하면 얼마나 돌려받나요?"),
            ("note", "연간 결제 고객. 남은 9개월분 일할 환불 대상."),
            (
                "agent",
                "안녕하세요 서연님! 연간 결제는 남은 9개월분을 일할 계산해 환불해 드려요. 지금 바로 신청해 드릴까요?",
            ),
        ],
        Status.OPEN,
    ),
    (
        "Daniel Park",
        PageContext(
            url="https://sangdam.example/docs/self-hosting",
            title="Self-hosting | Sangdam",
            referrer="https://www.google.com/",
            locale="en-US",
            timezone="America/Los_Angeles",
        ),
        WINDOWS,
        [("say", "Can I host Sangdam on my own server?"), ("press", "helpful:yes")],
        Status.BOT,
    ),
    (
        "박지훈",
        PageContext(
            url="https://sangdam.example/guide/kakao",
            title="카카오톡 연동 가이드 | 상담 Sangdam",
            referrer=None,
            locale="ko-KR",
            timezone="Asia/Seoul",
        ),
        MAC,
        [
            ("say", "상담원 연결해주세요"),
            ("say", "카카오톡 채널 연동했는데 메시지가 안 들어와요."),
            (
                "agent",
                "확인해 보니 채널 연결 권한이 빠져 있었어요. 다시 연결해 주시면 바로 들어옵니다!",
            ),
            ("say", "됐어요, 감사합니다~"),
        ],
        Status.RESOLVED,
    ),
)


async def _seed_knowledge(session: AsyncSession, workspace_id: int) -> None:
    await import_faqs(session, workspace_id, FAQ_FILE.read_bytes(), replace=True)
    slugs: dict[tuple[str, str], int] = {}
    for article in ARTICLES:
        saved = await save_article(session, workspace_id, article)
        slugs[(article.lang, article.slug)] = saved.id
    repository = KnowledgeRepository(session, workspace_id)
    for key, slug in FAQ_ARTICLES.items():
        entry = await repository.faq_by_key(key)
        if entry is not None:
            entry.article_id = slugs.get((entry.lang, slug))
    await repository.bump_version()
    # The workspace's default flow, so English visitors get English topic buttons.
    topics = [
        CategoryButton(key="제품기능", label=Text(ko="제품기능", en="Product features")),
        CategoryButton(key="이용가격", label=Text(ko="이용가격", en="Pricing")),
        CategoryButton(key="연동방법", label=Text(ko="연동방법", en="Integrations")),
    ]
    flow = FlowDefinition(categories=topics)
    session.add(BotFlow(workspace_id=workspace_id, inbox_id=None, definition=flow.model_dump()))


async def seed_demo(session: AsyncSession, settings: Settings) -> bool:
    """Create the demo workspace unless any workspace exists. Returns True if it seeded."""
    if (await session.execute(select(func.count()).select_from(Workspace))).scalar_one():
        return False
    max_chars = settings.realtime.max_message_chars
    users = [
        await create_user(session, email=login.email, name=login.name, password=login.password)
        for login in LOGINS
    ]
    workspace, inbox = await create_workspace(
        session, name="상담 Sangdam", owner=users[0], slug="sangdam"
    )
    agents: list[Agent] = [await add_agent(session, workspace.id, user) for user in users[1:]]
    await _seed_knowledge(session, workspace.id)
    await seed_agent_workspace(session, workspace.id)
    for name, context, user_agent, steps, status in SCRIPT:
        _token, contact = await create_visitor(session, inbox, context, user_agent)
        contact.name = name
        conversation_id: int | None = None
        for kind, text in steps:
            if kind in ("press", "say"):
                conversation, _, _ = await receive_message(
                    session,
                    inbox_id=inbox.id,
                    contact=contact,
                    conversation_id=conversation_id,
                    body=text if kind == "say" else "",
                    client_id=secrets.token_hex(8),
                    button=text if kind == "press" else None,
                    context=context,
                    max_chars=max_chars,
                    base_url=settings.base_url,
                )
                conversation_id = conversation.id
                continue
            assert conversation_id is not None
            agent = agents[0]
            conversation, _ = await load(session, workspace.id, conversation_id, for_update=True)
            await send_as_agent(
                session,
                conversation,
                contact,
                agent,
                body=text,
                client_id=None,
                private=kind == "note",
                max_chars=max_chars,
            )
            if conversation.assignee_id is None:
                await assign(session, workspace.id, conversation_id, agent.id)
        assert conversation_id is not None
        if status == Status.RESOLVED:
            await set_status(session, workspace.id, conversation_id, status)
    return True
