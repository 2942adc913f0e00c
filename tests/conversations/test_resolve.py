"""Resolving a chat tells the customer it ended; writing again reopens it."""

from __future__ import annotations

from tests.fixtures.factories import World, new_client_id


async def test_resolving_tells_the_customer_and_writing_again_reopens(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor(locale="ko-KR")
    started = await visitor.start("배송 주소를 바꾸고 싶어요")
    conversation_id = started["conversation"]["id"]
    sock = await visitor.socket({conversation_id: started["message"]["seq"]})

    resolved = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"

    # The customer's widget gets a system line saying the chat ended, then the status.
    line = (await sock.expect("message.created", skip=("conversation.updated",)))["data"]
    assert line["message"]["sender_type"] == "system"
    assert line["message"]["kind"] == "activity"
    assert line["message"]["content"] == {"activity": "resolved"}
    frames = await sock.collect()
    statuses = [f["data"]["conversation"]["status"] for f in frames if f["type"].startswith("conv")]
    assert statuses and statuses[-1] == "resolved"

    # It stays in the history, for both sides; the list keeps the customer's words.
    history = await visitor.client.get(f"/api/widget/v1/conversations/{conversation_id}/messages")
    assert [m["content"].get("activity") for m in history.json()["messages"]] == [None, "resolved"]
    listed = (await login.client.get(f"{world.base}/conversations?status=resolved")).json()
    row = next(c for c in listed["conversations"] if c["id"] == conversation_id)
    assert row["last_message_preview"] == "배송 주소를 바꾸고 싶어요"

    # Resolving twice says it once.
    again = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert again.status_code == 200
    assert again.json()["last_seq"] == row["last_seq"]

    # Writing again reopens the same conversation.
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "body": "하나 더 여쭤볼게요",
        }
    )
    ack = await sock.expect("ack", skip=("message.created", "conversation.updated"))
    assert ack["conversation"]["status"] == "open"
    await sock.close()
