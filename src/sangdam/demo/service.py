"""The demo workspace seeded on first start, so there is something to click."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.service import create_user
from sangdam.contacts.schemas import PageContext
from sangdam.contacts.service import create_visitor
from sangdam.conversations.models import Status
from sangdam.conversations.service import assign, set_status, start_conversation
from sangdam.messages.models import MessageKind, SenderType
from sangdam.messages.service import send_message
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

# (visitor name, context, user agent, [(sender, body)], final status)
# sender: "c" customer, "a1"/"a2" agents, "n1" internal note by agent 1.
SCRIPT: tuple[tuple[str, PageContext, str, list[tuple[str, str]], Status], ...] = (
    (
        "이서연",
        PageContext(
            url="https://cloudcoffee.example/subscribe",
            title="정기구독 | 클라우드커피",
            referrer="https://search.naver.com/",
            locale="ko-KR",
            timezone="Asia/Seoul",
        ),
        IPHONE,
        [
            ("c", "안녕하세요, 정기구독 배송 주기를 2주로 바꿀 수 있나요?"),
            (
                "a1",
                "안녕하세요 서연님! 네, 마이페이지 > 구독 관리에서 배송 주기를 2주로 바꾸실 수 있어요.",
            ),
            ("n1", "VIP 고객. 다음 배송분 샘플 하나 추가하기로 함."),
            ("c", "찾았어요. 감사합니다!"),
        ],
        Status.OPEN,
    ),
    (
        "Daniel Park",
        PageContext(
            url="https://cloudcoffee.example/checkout",
            title="Checkout | Cloud Coffee",
            referrer="https://www.google.com/",
            locale="en-US",
            timezone="America/Los_Angeles",
        ),
        WINDOWS,
        [("c", "Hi, do you ship to the US? The checkout page only lists Korean addresses.")],
        Status.OPEN,
    ),
    (
        "박지훈",
        PageContext(
            url="https://cloudcoffee.example/orders/1042",
            title="주문 상세 | 클라우드커피",
            referrer=None,
            locale="ko-KR",
            timezone="Asia/Seoul",
        ),
        MAC,
        [
            ("c", "주문한 원두가 아직 안 왔어요. 주문번호 1042입니다."),
            ("a2", "Sorry for the wait! 확인해 보니 오늘 출고되었어요. 내일 도착 예정입니다."),
            ("c", "네 알겠습니다~"),
        ],
        Status.RESOLVED,
    ),
)


async def seed_demo(session: AsyncSession, max_chars: int) -> bool:
    """Create the demo workspace unless any workspace exists. Returns True if it seeded."""
    if (await session.execute(select(func.count()).select_from(Workspace))).scalar_one():
        return False
    users = [
        await create_user(session, email=login.email, name=login.name, password=login.password)
        for login in LOGINS
    ]
    workspace, inbox = await create_workspace(
        session, name="클라우드커피 Cloud Coffee", owner=users[0]
    )
    agents: list[Agent] = []
    for user in users[1:]:
        agents.append(await add_agent(session, workspace.id, user))
    for name, context, user_agent, lines, status in SCRIPT:
        _token, contact = await create_visitor(session, inbox, context, user_agent)
        contact.name = name
        conversation = None
        for sender, body in lines:
            if conversation is None:
                conversation, _, _ = await start_conversation(
                    session,
                    inbox,
                    contact,
                    body=body,
                    client_id=None,
                    context=context,
                    max_chars=max_chars,
                )
                continue
            agent = agents[0] if sender.endswith("1") else agents[1]
            await send_message(
                session,
                conversation,
                contact,
                sender_type=SenderType.CONTACT if sender == "c" else SenderType.AGENT,
                sender_id=contact.id if sender == "c" else agent.id,
                sender_name=name if sender == "c" else agent.display_name,
                body=body,
                client_id=None,
                max_chars=max_chars,
                kind=MessageKind.NOTE if sender.startswith("n") else MessageKind.TEXT,
            )
            if sender.startswith("a") and conversation.assignee_id is None:
                await assign(session, workspace.id, conversation.id, agent.id)
        assert conversation is not None
        if status != Status.OPEN:
            await set_status(session, workspace.id, conversation.id, status)
    return True
