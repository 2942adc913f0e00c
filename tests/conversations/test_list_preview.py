"""The inbox list previews what the customer said, not what the bot or an agent answered."""

from __future__ import annotations

from typing import Any

from tests.fixtures.factories import AgentLogin, Visitor, World, import_demo_faq, new_client_id


async def _preview(login: AgentLogin, world: World, conversation_id: int) -> str:
    response = await login.client.get(f"{world.base}/conversations?status=all")
    assert response.status_code == 200, response.text
    listed = {c["id"]: c for c in response.json()["conversations"]}
    return str(listed[conversation_id]["last_message_preview"])


async def _press(visitor: Visitor, conversation_id: int, button: str) -> dict[str, Any]:
    response = await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation_id}/messages",
        json={"client_id": new_client_id(), "button": button},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_the_preview_is_the_customers_question_after_the_bot_hands_off(
    world: World,
) -> None:
    login = await import_demo_faq(world)
    visitor = await world.visitor(locale="ko-KR")
    question = "연간 결제 중간에 해지하면 남은 금액 돌려주나요?"  # the bot answers it
    started = await visitor.start(question)
    conversation_id = started["conversation"]["id"]
    # The bot answered, it did not help, and the customer asks for a person: the bot's
    # "connecting you" line is the newest message now, but not what the list shows.
    await _press(visitor, conversation_id, "helpful:no")
    await _press(visitor, conversation_id, "human")
    messages = (
        await login.client.get(f"{world.base}/conversations/{conversation_id}/messages")
    ).json()["messages"]
    assert messages[-1]["sender_type"] == "bot"
    assert await _preview(login, world, conversation_id) == question

    # An agent's reply keeps the customer's question in the list too.
    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "확인해 보고 알려드릴게요.", "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert reply.status_code == 201, reply.text
    listed = (await login.client.get(f"{world.base}/conversations?status=all")).json()
    row = next(c for c in listed["conversations"] if c["id"] == conversation_id)
    assert row["last_message_preview"] == question
    assert row["last_message_sender"] == "agent"

    # The customer's next message becomes the preview (the chat's short path).
    sock = await visitor.socket({conversation_id: 0})
    follow_up = "환불은 카드로 받나요?"
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "body": follow_up,
        }
    )
    await sock.expect("ack", skip=("typing", "message.created", "conversation.updated"))
    await sock.close()
    assert await _preview(login, world, conversation_id) == follow_up


async def test_a_chosen_question_is_the_preview_and_talk_to_a_person_is_not(
    world: World,
) -> None:
    login = await import_demo_faq(world)
    visitor = await world.visitor(locale="ko-KR")
    started = await visitor.client.post(
        "/api/widget/v1/conversations",
        json={"client_id": new_client_id(), "button": "cat:이용가격"},
    )
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]
    assert await _preview(login, world, conversation_id) == "이용가격"
    await _press(visitor, conversation_id, "faq:price-refund")
    assert await _preview(login, world, conversation_id) == "환불받을 수 있나요?"
    await _press(visitor, conversation_id, "helpful:no")
    await _press(visitor, conversation_id, "human")
    assert await _preview(login, world, conversation_id) == "환불받을 수 있나요?"
