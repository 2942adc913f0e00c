"""The bot learns from the team: an agent's answer to a handed-off question becomes FAQ
knowledge in one step, and the report groups unanswered questions that ask the same thing."""

from __future__ import annotations

from typing import Any

from sangdam.bot.models import BotEvent, BotEventKind
from tests.fixtures.factories import AgentLogin, World, import_demo_faq, new_client_id

# Not in the demo FAQ: the bot hands it to a person.
VAT_QUESTION = "부가세 포함 가격인가요?"

# A week of questions the bot could not answer: three topics the FAQ lacks, asked in three
# wordings each, and three one-offs.
WEEK = [
    "비밀번호를 잊어버렸어요",
    "비밀번호 재설정 어떻게 해요",
    "로그인 비밀번호 변경하고 싶어요",
    "상담원별 응대 통계 볼 수 있나요",
    "상담 통계 리포트 있어요?",
    "상담원 통계는 어디서 봐요?",
    "챗봇 말투 바꿀 수 있어요?",
    "봇이 하는 말을 바꾸고 싶어요",
    "봇 인사말 수정하고 싶어요",
    "오늘 날씨 어때요",
    "로또 번호 알려줘",
    VAT_QUESTION,
]


async def _ask(world: World, text: str) -> int:
    """A new customer asks ``text``; returns the conversation id."""
    visitor = await world.visitor(locale="ko-KR")
    started = await visitor.client.post(
        "/api/widget/v1/conversations", json={"body": text, "client_id": new_client_id()}
    )
    assert started.status_code in (200, 201), started.text
    return int(started.json()["conversation"]["id"])


async def _path(login: AgentLogin, world: World, conversation_id: int) -> list[dict[str, Any]]:
    response = await login.client.get(f"{world.base}/conversations/{conversation_id}/bot-path")
    steps: list[dict[str, Any]] = response.json()["steps"]
    return steps


async def _answered_faq(login: AgentLogin, world: World, conversation_id: int) -> str | None:
    for step in await _path(login, world, conversation_id):
        if step["kind"] == "answered":
            return str(step["data"].get("faq") or "")
    return None


async def test_an_agents_answer_adds_the_question_to_the_faq_and_the_bot_answers_it(
    world: World,
) -> None:
    login = await import_demo_faq(world)
    conversation_id = await _ask(world, VAT_QUESTION)
    assert [s["kind"] for s in await _path(login, world, conversation_id)][-1] == "handed_off"
    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "네, 요금은 모두 부가세 별도예요.", "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert reply.status_code in (200, 201), reply.text

    offer = await login.client.get(f"{world.base}/conversations/{conversation_id}/bot-learn")
    assert offer.json() == {"question": VAT_QUESTION, "can_edit_faq": True}
    faqs = {f["key"]: f for f in (await login.client.get(f"{world.base}/faqs")).json()}
    learned = await login.client.post(
        f"{world.base}/bot/learn",
        json={"conversation_id": conversation_id, "faq_id": faqs["price-plans"]["id"]},
        headers=login.headers(),
    )
    assert learned.status_code == 200, learned.text
    assert learned.json()["paraphrases"][-1] == VAT_QUESTION
    # Asked again (twice: the same words are not added twice).
    again = await login.client.post(
        f"{world.base}/bot/learn",
        json={"conversation_id": conversation_id, "faq_id": faqs["price-plans"]["id"]},
        headers=login.headers(),
    )
    assert again.json()["paraphrases"].count(VAT_QUESTION) == 1

    next_customer = await _ask(world, VAT_QUESTION)
    assert await _answered_faq(login, world, next_customer) == "price-plans"


async def test_a_new_faq_entry_from_the_agents_answer(world: World) -> None:
    login = await import_demo_faq(world)
    question = "비번 까먹었는데 어떡하죠"
    conversation_id = await _ask(world, question)
    answer = "로그인 화면의 **비밀번호 찾기**에서 가입한 이메일로 재설정 링크를 받으세요."
    learned = await login.client.post(
        f"{world.base}/bot/learn",
        json={"conversation_id": conversation_id, "answer": answer},
        headers=login.headers(),
    )
    assert learned.status_code == 200, learned.text
    entry = learned.json()
    assert (entry["key"], entry["question"], entry["answer"], entry["lang"]) == (
        "learned-1",
        question,
        answer,
        "ko",
    )
    assert await _answered_faq(login, world, await _ask(world, question)) == "learned-1"
    second = await login.client.post(
        f"{world.base}/bot/learn",
        json={"conversation_id": await _ask(world, VAT_QUESTION), "answer": "부가세 별도예요."},
        headers=login.headers(),
    )
    assert second.json()["key"] == "learned-2"


async def test_learning_refuses_what_it_cannot_do(world: World) -> None:
    login = await import_demo_faq(world)
    answered = await _ask(world, "환불 받을 수 있을까요?")  # the bot answered it
    offer = await login.client.get(f"{world.base}/conversations/{answered}/bot-learn")
    assert offer.json()["question"] is None
    refused = await login.client.post(
        f"{world.base}/bot/learn",
        json={"conversation_id": answered, "answer": "..."},
        headers=login.headers(),
    )
    assert refused.status_code == 409
    assert "nothing to add" in refused.json()["message"]

    handed = await _ask(world, VAT_QUESTION)
    empty = await login.client.post(
        f"{world.base}/bot/learn", json={"conversation_id": handed}, headers=login.headers()
    )
    assert empty.status_code == 400
    agent = await world.login(world.agent)
    offer = await agent.client.get(f"{world.base}/conversations/{handed}/bot-learn")
    assert offer.json() == {"question": VAT_QUESTION, "can_edit_faq": False}
    forbidden = await agent.client.post(
        f"{world.base}/bot/learn",
        json={"conversation_id": handed, "answer": "..."},
        headers=agent.headers(),
    )
    assert forbidden.status_code == 403


async def test_a_week_of_unanswered_questions_grouped_then_answered(world: World) -> None:
    """Measures how many of a week's unanswered questions the bot answers once the report's
    groups are FAQ entries (here 9 of 12: the three groups; the one-offs stay unanswered)."""
    login = await import_demo_faq(world)
    conversation_id = await _ask(world, "안녕하세요")

    async def week(session: Any) -> None:
        for text in WEEK:
            session.add(
                BotEvent(
                    workspace_id=world.workspace.id,
                    conversation_id=conversation_id,
                    kind=BotEventKind.NO_ANSWER.value,
                    data={"text": text, "confidence": 0.1},
                )
            )

    await world.server.db.write(week)
    report = (await login.client.get(f"{world.base}/bot/report?days=7")).json()
    groups = [set(cluster["questions"]) for cluster in report["clusters"]]
    assert sorted(groups, key=sorted) == sorted(
        [set(WEEK[0:3]), set(WEEK[3:6]), set(WEEK[6:9])], key=sorted
    )

    for number, cluster in enumerate(report["clusters"]):
        first, *others = cluster["questions"]
        created = await login.client.post(
            f"{world.base}/faqs",
            json={
                "id": f"week-{number}",
                "category": "제품기능",
                "question": first,
                "paraphrases": others,
                "answer": f"답변 {number}",
                "lang": "ko",
            },
            headers=login.headers(),
        )
        assert created.status_code == 201, created.text
    answered = [await _answered_faq(login, world, await _ask(world, text)) for text in WEEK]
    hits = sum(bool(faq and faq.startswith("week-")) for faq in answered)
    assert hits == 9, answered
    assert answered[9:] == [None, None, None]  # weather, lottery, VAT: still not answered
