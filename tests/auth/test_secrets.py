"""Responses never carry credentials to someone who should not hold them.

A visitor's token is the visitor's alone (agents, other visitors and sockets never see
it, nor its hash); the workspace's identity secret never reaches the widget; a session's
own token is never in a response body.
"""

from __future__ import annotations

import hashlib

from sangdam.workspaces.models import Workspace
from tests.fixtures.factories import World, agent_socket, new_client_id


async def test_a_visitors_token_never_reaches_agents_or_other_visitors(world: World) -> None:
    login = await world.login()
    agent_ws = await agent_socket(world, login)
    await agent_ws.until_ready()
    visitor = await world.visitor(url="https://shop.example/cart")
    other = await world.visitor()
    conversation_id = (await visitor.start("where is my order?"))["conversation"]["id"]
    tracked = await visitor.client.post("/api/widget/v1/events", json={"event": "checkout"})
    assert tracked.status_code == 204, tracked.text
    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "on its way", "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert reply.status_code == 201, reply.text
    forms = (visitor.token, hashlib.sha256(visitor.token.encode()).hexdigest())

    seen = [str(await agent_ws.collect())]
    for path in (
        "/conversations",
        f"/conversations/{conversation_id}",
        f"/conversations/{conversation_id}/messages",
        "/contacts",
        f"/contacts/{visitor.contact_id}",
        f"/contacts/{visitor.contact_id}/events",
    ):
        response = await login.client.get(world.base + path)
        assert response.status_code == 200, (path, response.text)
        seen.append(response.text)
    other_session = await other.client.post("/api/widget/v1/session", json={})
    assert other_session.status_code == 200
    seen.append(other_session.text)
    for text in seen:
        for form in forms:
            assert form not in text
    await agent_ws.close()


async def test_the_identity_secret_and_session_tokens_stay_on_the_server(world: World) -> None:
    async with world.server.db.read() as session:
        workspace = await session.get(Workspace, world.workspace.id)
        assert workspace is not None
        secret = workspace.identity_secret
    assert secret
    visitor = await world.visitor()
    widget_texts = [
        (await visitor.client.post("/api/widget/v1/session", json={})).text,
        (await visitor.client.post("/api/widget/v1/identify", json={"memberId": "m-1"})).text,
        (await visitor.client.get(f"/widget/frame?key={world.inbox.public_key}")).text,
        (await visitor.client.get("/widget.js")).text,
    ]
    assert all(secret not in text for text in widget_texts)
    # An agent who is not an admin doesn't get it either.
    agent = await world.login(world.agent)
    refused = await agent.client.get(f"{world.base}/identity-verification")
    assert refused.status_code == 403 and secret not in refused.text
    # The session cookie's value is never echoed in a body (only its CSRF token is).
    me = await agent.client.get("/api/v1/me")
    assert me.status_code == 200 and agent.cookie not in me.text
    assert me.json()["csrf_token"] == agent.csrf
