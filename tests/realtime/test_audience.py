"""Who receives what: internal notes, other visitors, other workspaces."""

from __future__ import annotations

from tests.fixtures.factories import World, agent_socket, new_client_id


async def test_internal_note_never_reaches_the_visitor(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hello"))["conversation"]["id"]
    visitor_ws = await visitor.socket({conversation_id: 1})
    agent_ws = await agent_socket(world, login)
    await agent_ws.until_ready()

    url = f"{world.base}/conversations/{conversation_id}/messages"
    note = await login.client.post(
        url,
        json={"body": "VIP, 환불 승인됨", "private": True, "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert note.status_code == 201 and note.json()["kind"] == "note"
    reply = await login.client.post(
        url, json={"body": "public reply", "client_id": new_client_id()}, headers=login.headers()
    )
    assert reply.status_code == 201

    agent_frames = await agent_ws.collect()
    agent_bodies = [
        f["data"]["message"]["body"] for f in agent_frames if f["type"] == "message.created"
    ]
    assert agent_bodies == ["VIP, 환불 승인됨", "public reply"]

    visitor_frames = await visitor_ws.collect()
    assert "VIP" not in str(visitor_frames)
    bodies = [
        f["data"]["message"]["body"] for f in visitor_frames if f["type"] == "message.created"
    ]
    assert bodies == ["public reply"]

    # Not over HTTP either, and not on resume.
    history = await visitor.client.get(f"/api/widget/v1/conversations/{conversation_id}/messages")
    assert "VIP" not in history.text
    resumed = await visitor.socket({conversation_id: 0})
    assert "VIP" not in str(resumed.replayed + await resumed.collect())
    # A private typing indicator stays among agents too; a public one, sent after it on
    # the same path, arrives (so the private one was not merely refused or slow).
    await agent_ws.send({"type": "typing", "conversation_id": conversation_id, "private": True})
    await agent_ws.send({"type": "typing", "conversation_id": conversation_id})
    await resumed.expect("typing", skip=("ping", "conversation.updated"))
    assert [f for f in await resumed.collect() if f["type"] == "typing"] == []
    for sock in (visitor_ws, agent_ws, resumed):
        await sock.close()


async def test_visitor_cannot_reach_another_visitors_conversation(world: World) -> None:
    alice = await world.visitor()
    bob = await world.visitor()
    alice_conversation = (await alice.start("alice's secret order 1234"))["conversation"]["id"]

    # HTTP: read, write, mark read.
    base = f"/api/widget/v1/conversations/{alice_conversation}"
    assert (await bob.client.get(f"{base}/messages")).status_code == 404
    send = await bob.client.post(
        f"{base}/messages", json={"body": "hi", "client_id": new_client_id()}
    )
    assert send.status_code == 404
    assert (await bob.client.post(f"{base}/read", json={"seq": 1})).status_code == 404

    # WebSocket: resume, send, typing, read.
    bob_ws = await bob.socket({alice_conversation: 0})
    assert bob_ws.replayed and bob_ws.replayed[0]["type"] == "error"
    assert bob_ws.replayed[0]["code"] == "not_found"
    assert "secret" not in str(bob_ws.replayed)
    for frame in (
        {
            "type": "message.send",
            "conversation_id": alice_conversation,
            "client_id": new_client_id(),
            "body": "x",
        },
        {"type": "typing", "conversation_id": alice_conversation},
        {"type": "read", "conversation_id": alice_conversation, "seq": 1},
    ):
        await bob_ws.send(frame)
        error = await bob_ws.expect("error")
        assert error["code"] == "not_found"

    # Live events of Alice's conversation don't reach Bob.
    alice_ws = await alice.socket({alice_conversation: 1})
    await alice_ws.send(
        {
            "type": "message.send",
            "conversation_id": alice_conversation,
            "client_id": new_client_id(),
            "body": "more secrets",
        }
    )
    await alice_ws.expect("ack", skip=("ping", "message.created", "conversation.updated"))
    assert "secrets" not in str(await bob_ws.collect())
    await alice_ws.close()
    await bob_ws.close()


async def test_agent_cannot_cross_workspaces(world: World, other_world: World) -> None:
    login = await world.login()
    outsider = await other_world.visitor()
    foreign = (await outsider.start("other company's customer"))["conversation"]["id"]
    foreign_base = f"/api/v1/workspaces/{other_world.workspace.id}"

    # HTTP with the foreign workspace in the path: nothing there for this agent.
    for method, path, body in (
        ("GET", "/conversations", None),
        ("GET", f"/conversations/{foreign}", None),
        ("GET", f"/conversations/{foreign}/messages", None),
        ("POST", f"/conversations/{foreign}/messages", {"body": "x", "client_id": new_client_id()}),
        ("POST", f"/conversations/{foreign}/status", {"status": "resolved"}),
        ("GET", f"/contacts/{outsider.contact_id}", None),
    ):
        response = await login.client.request(
            method, foreign_base + path, json=body, headers=login.headers()
        )
        assert response.status_code == 404, (method, path, response.text)

    # HTTP with the agent's own workspace in the path but a foreign conversation id.
    own = await login.client.get(f"{world.base}/conversations/{foreign}")
    assert own.status_code == 404
    write = await login.client.post(
        f"{world.base}/conversations/{foreign}/messages",
        json={"body": "x", "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert write.status_code == 404
    assign = await login.client.post(
        f"{world.base}/conversations/{foreign}/assignee",
        json={"agent_id": None},
        headers=login.headers(),
    )
    assert assign.status_code == 404
    # Assigning to an agent of the other workspace is refused too.
    mine = await world.visitor()
    own_conversation = (await mine.start("hi"))["conversation"]["id"]
    cross_assign = await login.client.post(
        f"{world.base}/conversations/{own_conversation}/assignee",
        json={"agent_id": other_world.owner.id},
        headers=login.headers(),
    )
    assert cross_assign.status_code == 404

    # WebSocket: subscribing to the other workspace is refused.
    sock = await agent_socket(world, login, workspace_id=other_world.workspace.id)
    error = await sock.expect("error")
    assert error["code"] == "not_found"
    # And on its own workspace's socket, the foreign conversation is unknown.
    sock = await agent_socket(world, login)
    await sock.until_ready()
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": foreign,
            "client_id": new_client_id(),
            "body": "x",
        }
    )
    assert (await sock.expect("error"))["code"] == "not_found"
    # Events of the other workspace never arrive.
    sent = await outsider.client.post(
        f"/api/widget/v1/conversations/{foreign}/messages",
        json={"body": "leak?", "client_id": new_client_id()},
    )
    assert sent.status_code == 201, sent.text
    assert "leak?" not in str(await sock.collect())
    await sock.close()
