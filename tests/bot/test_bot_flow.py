"""The support bot over the real protocol: buttons, free text, handoff with its path."""

from __future__ import annotations

from typing import Any

from tests.fixtures.factories import (
    Socket,
    Visitor,
    World,
    agent_socket,
    import_demo_faq,
    new_client_id,
)


class Chat:
    """A visitor socket that keeps bot messages that arrive before or after acks."""

    def __init__(self, sock: Socket) -> None:
        self.sock = sock
        self.bot_messages: list[dict[str, Any]] = []

    def _keep(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "message.created" and frame["data"]["message"]["sender_type"] == "bot":
            self.bot_messages.append(frame["data"]["message"])

    async def until(self, frame_type: str) -> dict[str, Any]:
        while True:
            frame = await self.sock.recv()
            if frame["type"] == frame_type:
                return frame
            self._keep(frame)

    async def send(
        self, conversation_id: int | None, *, button: str | None = None, body: str = ""
    ) -> dict[str, Any]:
        await self.sock.send(
            {
                "type": "message.send",
                "conversation_id": conversation_id,
                "client_id": new_client_id(),
                "button": button,
                "body": body,
            }
        )
        return await self.until("ack")

    async def replies(self, count: int) -> list[dict[str, Any]]:
        while len(self.bot_messages) < count:
            self._keep(await self.sock.recv())
        taken, self.bot_messages = self.bot_messages[:count], self.bot_messages[count:]
        return taken

    async def quiet(self) -> list[dict[str, Any]]:
        """Bot messages that arrived until now (a sentinel, not a quiet spell, says when)."""
        for frame in await self.sock.collect():
            self._keep(frame)
        taken, self.bot_messages = self.bot_messages, []
        return taken


async def _korean_visitor(world: World) -> Visitor:
    return await world.visitor(locale="ko-KR")


async def test_button_flow_to_a_person_with_category_and_path(world: World) -> None:
    login = await import_demo_faq(world)
    visitor = await _korean_visitor(world)
    session = await visitor.client.post("/api/widget/v1/session", json={})
    welcome = session.json()["config"]["bot"]["ko"]
    assert [b["id"] for b in welcome["buttons"]] == [
        "cat:제품기능",
        "cat:이용가격",
        "cat:연동방법",
        "human",
    ]
    agent_ws = await agent_socket(world, login)
    await agent_ws.until_ready()
    chat = Chat(await visitor.socket())

    ack = await chat.send(None, button="cat:이용가격")
    conversation_id = ack["conversation"]["id"]
    assert ack["message"]["body"] == "이용가격" and ack["conversation"]["status"] == "bot"
    (questions,) = await chat.replies(1)
    offered = [b["id"] for b in questions["content"]["buttons"]]
    assert "faq:price-refund" in offered and offered[-1] == "human"

    await chat.send(conversation_id, button="faq:price-refund")
    answer, feedback = await chat.replies(2)
    assert "7일" in answer["body"] and "<strong>7일 이내</strong>" in answer["content"]["html"]
    assert [b["id"] for b in feedback["content"]["buttons"]] == ["helpful:yes", "helpful:no"]

    await chat.send(conversation_id, button="helpful:no")
    (offer,) = await chat.replies(1)
    assert "human" in [b["id"] for b in offer["content"]["buttons"]]
    # A button from an earlier message is stale now, and nothing is stored.
    await chat.sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "button": "helpful:yes",
        }
    )
    assert (await chat.until("error"))["code"] == "stale_button"

    # While the bot handles it, it is not in the agents' open list.
    open_list = await login.client.get(f"{world.base}/conversations?status=open")
    assert conversation_id not in [c["id"] for c in open_list.json()["conversations"]]

    await chat.send(conversation_id, button="human")
    (handoff,) = await chat.replies(1)
    assert "상담원" in handoff["body"]
    handed = None
    while handed is None:
        frame = await agent_ws.expect(
            "conversation.updated", skip=("ping", "message.created", "conversation.created")
        )
        # The handoff's own update (earlier ones of this chat may still be arriving).
        if frame["data"]["conversation"]["handed_off_at"]:
            handed = frame["data"]["conversation"]
    assert handed["category"] == "이용가격" and handed["status"] == "open"

    path = (await login.client.get(f"{world.base}/conversations/{conversation_id}/bot-path")).json()
    assert path["category"] == "이용가격"
    kinds = [step["kind"] for step in path["steps"]]
    assert kinds == [
        "button",
        "button",
        "answered",
        "button",
        "not_helpful",
        "button",
        "handed_off",
    ]
    assert path["steps"][-1]["data"]["reason"] == "requested"

    # The bot is silent now: the customer's next message waits for a person.
    await chat.send(conversation_id, body="연간 결제도 환불되나요?")
    assert await chat.quiet() == []
    outcomes = (await login.client.get(f"{world.base}/bot/outcomes")).json()
    assert outcomes == {
        "conversations": 1,
        "answered": 1,
        "helpful": 0,
        "not_helpful": 1,
        "handed_off": 1,
        "no_answer": 0,
    }


async def test_free_text_in_korean_gets_the_right_answer(world: World) -> None:
    await import_demo_faq(world)
    visitor = await _korean_visitor(world)
    chat = Chat(await visitor.socket())
    ack = await chat.send(None, body="환불 받을 수 있을까요?")
    answer, feedback = await chat.replies(2)
    assert answer["content"]["faq"] == "price-refund"
    assert feedback["content"]["buttons"][0]["id"] == "helpful:yes"
    assert ack["conversation"]["status"] == "bot"


async def test_asking_for_a_person_hands_off_at_once(world: World) -> None:
    login = await import_demo_faq(world)
    for text in ("상담원 연결해주세요", "사람이랑 얘기하고 싶어요", "talk to a human please"):
        visitor = await _korean_visitor(world)
        started = await visitor.client.post(
            "/api/widget/v1/conversations", json={"body": text, "client_id": new_client_id()}
        )
        conversation = started.json()["conversation"]
        detail = (await login.client.get(f"{world.base}/conversations/{conversation['id']}")).json()
        assert detail["status"] == "open" and detail["handed_off_at"], text
        path = (
            await login.client.get(f"{world.base}/conversations/{conversation['id']}/bot-path")
        ).json()
        assert [s["kind"] for s in path["steps"]] == ["question", "handed_off"]


async def test_out_of_scope_questions_go_to_a_person(world: World) -> None:
    login = await import_demo_faq(world)
    visitor = await _korean_visitor(world)
    started = await visitor.client.post(
        "/api/widget/v1/conversations",
        json={"body": "오늘 서울 날씨 어때요?", "client_id": new_client_id()},
    )
    conversation_id = started.json()["conversation"]["id"]
    path = (await login.client.get(f"{world.base}/conversations/{conversation_id}/bot-path")).json()
    assert [s["kind"] for s in path["steps"]] == ["question", "no_answer", "handed_off"]


async def test_an_agent_reply_silences_the_bot(world: World) -> None:
    login = await import_demo_faq(world)
    visitor = await _korean_visitor(world)
    chat = Chat(await visitor.socket())
    ack = await chat.send(None, button="cat:연동방법")
    conversation_id = ack["conversation"]["id"]
    await chat.replies(1)
    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "제가 도와드릴게요!", "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert reply.status_code == 201
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["status"] == "open"
    await chat.send(conversation_id, body="환불 되나요?")
    assert await chat.quiet() == []


async def test_a_retried_button_press_is_not_answered_twice(world: World) -> None:
    await import_demo_faq(world)
    visitor = await _korean_visitor(world)
    chat = Chat(await visitor.socket())
    frame = {
        "type": "message.send",
        "conversation_id": None,
        "client_id": new_client_id(),
        "button": "cat:이용가격",
    }
    await chat.sock.send(frame)
    first = await chat.until("ack")
    await chat.replies(1)
    await chat.sock.send(frame)
    again = await chat.until("ack")
    assert again["message"]["id"] == first["message"]["id"]
    history = await visitor.client.get(
        f"/api/widget/v1/conversations/{first['conversation']['id']}/messages"
    )
    assert [m["sender_type"] for m in history.json()["messages"]] == ["contact", "bot"]


async def test_no_faq_means_no_bot(world: World) -> None:
    visitor = await world.visitor()
    session = await visitor.client.post("/api/widget/v1/session", json={})
    assert session.json()["config"]["bot"] == {"ko": None, "en": None}
    started = await visitor.start("안녕하세요")
    assert started["conversation"]["status"] == "open"


async def test_a_greeting_gets_a_greeting_back_and_the_bot_keeps_the_chat(world: World) -> None:
    login = await import_demo_faq(world)
    visitor = await _korean_visitor(world)
    chat = Chat(await visitor.socket())
    ack = await chat.send(None, body="안녕하세요~")
    conversation_id = ack["conversation"]["id"]
    (hello,) = await chat.replies(1)
    assert "무엇이 궁금하신가요" in hello["body"]
    assert "cat:이용가격" in [b["id"] for b in hello["content"]["buttons"]]
    await chat.send(conversation_id, body="결제하고 나서 환불 받을 수 있을까요?")
    answer, _feedback = await chat.replies(2)
    assert "7일" in answer["body"]
    await chat.send(conversation_id, body="감사합니다!")
    (thanks,) = await chat.replies(1)
    assert "도움이 되어 기뻐요" in thanks["body"]
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["status"] == "bot" and detail["handed_off_at"] is None
    path = (await login.client.get(f"{world.base}/conversations/{conversation_id}/bot-path")).json()
    assert [s["kind"] for s in path["steps"]] == [
        "question",
        "small_talk",
        "question",
        "answered",
        "question",
        "small_talk",
        "helpful",  # thanks right after "Did this help?"
    ]
    assert [s["data"].get("said") for s in path["steps"] if s["kind"] == "small_talk"] == [
        "greeting",
        "thanks",
    ]
    # A greeting when no answer was asked about is not feedback.
    await chat.send(conversation_id, body="감사합니다")
    await chat.replies(1)
    path = (await login.client.get(f"{world.base}/conversations/{conversation_id}/bot-path")).json()
    assert [s["kind"] for s in path["steps"]][-2:] == ["question", "small_talk"]
