"""Each event type as a contract: what is emitted, and who receives it."""

from __future__ import annotations

from tests.fixtures.factories import World, agent_socket, new_client_id


async def _setup(world: World):  # type: ignore[no-untyped-def]
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("contract"))["conversation"]["id"]
    agent_ws = await agent_socket(world, login)
    await agent_ws.until_ready()
    visitor_ws = await visitor.socket({conversation_id: 1})
    # With Redis the start's own events may still be on their way to the widget socket
    # (they carry no event id to filter by); take them before the contract is checked.
    await visitor_ws.collect()
    return login, visitor, conversation_id, agent_ws, visitor_ws


def _types(frames: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [f["type"] for f in frames]


async def test_status_change_reaches_both_sides(world: World) -> None:
    login, _visitor, conversation_id, agent_ws, visitor_ws = await _setup(world)
    response = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    # The "chat ended" line, then the conversation, resolved, once.
    agent_frames = await agent_ws.collect()
    assert _types(agent_frames) == ["message.created", "conversation.updated"]
    assert agent_frames[0]["data"]["message"]["content"] == {"activity": "resolved"}
    assert agent_frames[1]["data"]["conversation"]["status"] == "resolved"
    visitor_frames = await visitor_ws.collect()
    assert _types(visitor_frames) == ["message.created", "conversation.updated"]
    assert visitor_frames[0]["data"]["message"]["sender_type"] == "system"
    assert visitor_frames[1]["data"]["conversation"]["status"] == "resolved"
    assert "assignee_id" not in visitor_frames[1]["data"]["conversation"]

    # The customer writing again reopens it.
    await visitor_ws.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "body": "one more thing",
        }
    )
    updated = await agent_ws.expect("conversation.updated", skip=("ping", "message.created"))
    assert updated["data"]["conversation"]["status"] == "open"


async def test_assignment_tells_the_visitor_only_that_a_person_has_it(world: World) -> None:
    login, _visitor, conversation_id, agent_ws, visitor_ws = await _setup(world)
    response = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/assignee",
        json={"agent_id": world.agent.id},
        headers=login.headers(),
    )
    assert response.json()["assignee_id"] == world.agent.id
    agent_frames = await agent_ws.collect()
    assert agent_frames[0]["data"]["conversation"]["assignee_id"] == world.agent.id
    visitor_frames = await visitor_ws.collect()
    assert [f["type"] for f in visitor_frames] == ["conversation.updated"]
    assert visitor_frames[0]["data"]["conversation"]["assigned"] is True
    assert "assignee_id" not in visitor_frames[0]["data"]["conversation"]
    mine = await (await world.login(world.agent)).client.get(
        f"{world.base}/conversations?assignee=me"
    )
    assert [c["id"] for c in mine.json()["conversations"]] == [conversation_id]


async def test_read_receipts_cross_sides(world: World) -> None:
    login, _visitor, conversation_id, agent_ws, visitor_ws = await _setup(world)
    await agent_ws.send({"type": "read", "conversation_id": conversation_id, "seq": 1, "ref": "r1"})
    ack = await agent_ws.expect("ack", skip=("ping", "conversation.read"))
    assert ack == {"type": "ack", "ref": "r1", "seq": 1}
    seen = await visitor_ws.expect("conversation.read")
    assert seen["data"] == {"conversation_id": conversation_id, "reader": "agent", "seq": 1}

    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "hi", "client_id": new_client_id()},
        headers=login.headers(),
    )
    await visitor_ws.send(
        {"type": "read", "conversation_id": conversation_id, "seq": reply.json()["seq"]}
    )
    # The agent's own read event may still be on its way (Redis adds a hop); skip it.
    read = await agent_ws.expect(
        "conversation.read", skip=("ping", "message.created", "conversation.updated")
    )
    if read["data"]["reader"] == "agent":
        read = await agent_ws.expect(
            "conversation.read", skip=("ping", "message.created", "conversation.updated")
        )
    assert read["data"]["reader"] == "contact" and read["data"]["seq"] == 2
    listing = await login.client.get(f"{world.base}/conversations/{conversation_id}")
    assert listing.json()["my_last_seen_seq"] == 1 and listing.json()["contact_last_seen_seq"] == 2
    # Reading backwards never moves the mark back.
    await agent_ws.send({"type": "read", "conversation_id": conversation_id, "seq": 0})
    await agent_ws.expect("ack")
    again = await login.client.get(f"{world.base}/conversations/{conversation_id}")
    assert again.json()["my_last_seen_seq"] == 1


async def test_typing_is_ephemeral_and_not_echoed(world: World) -> None:
    _login, visitor, conversation_id, agent_ws, visitor_ws = await _setup(world)
    await visitor_ws.send({"type": "typing", "conversation_id": conversation_id})
    typing = await agent_ws.expect("typing", skip=("ping",))
    assert typing["data"]["sender_type"] == "contact" and "event_id" not in typing
    await agent_ws.send({"type": "typing", "conversation_id": conversation_id})
    shown = await visitor_ws.expect("typing", skip=("ping",))
    assert shown["data"]["sender_type"] == "agent" and "agent_id" not in shown["data"]
    assert "typing" not in _types(await agent_ws.collect())
    # Not replayed on resume.
    resumed = await visitor.socket({conversation_id: 0})
    assert "typing" not in _types(resumed.replayed)


async def test_page_context_updates_the_customer_panel(world: World) -> None:
    login, visitor, conversation_id, agent_ws, visitor_ws = await _setup(world)
    await visitor_ws.send(
        {
            "type": "page",
            "context": {
                "url": "https://shop.example/cart",
                "title": "장바구니",
                "referrer": "javascript:alert(1)",
            },
        }
    )
    updated = await agent_ws.expect("contact.updated")
    contact = updated["data"]["contact"]
    assert (
        contact["current_url"] == "https://shop.example/cart"
        and contact["current_title"] == "장바구니"
    )
    assert contact["referrer"] != "javascript:alert(1)"
    assert contact["device"] == "Mobile" and contact["os"].startswith("iOS")
    detail = await login.client.get(f"{world.base}/contacts/{visitor.contact_id}")
    assert detail.json()["contact"]["current_url"] == "https://shop.example/cart"
    assert [c["id"] for c in detail.json()["conversations"]] == [conversation_id]
    assert await visitor_ws.collect() == [{"type": "ack", "ref": None}]


async def test_mention_in_a_note_notifies_that_agent_only(world: World) -> None:
    login, _visitor, conversation_id, agent_ws, visitor_ws = await _setup(world)
    note = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={
            "body": f"@{world.agent.display_name} 환불 건 확인 부탁해요",
            "private": True,
            "client_id": new_client_id(),
        },
        headers=login.headers(),
    )
    assert note.status_code == 201
    mention = await agent_ws.expect("mention", skip=("message.created", "conversation.updated"))
    assert mention["data"]["agent_id"] == world.agent.id
    assert mention["data"]["conversation_id"] == conversation_id
    assert "환불" in mention["data"]["preview"]
    assert "mention" not in _types(await visitor_ws.collect())
