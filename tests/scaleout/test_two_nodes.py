"""Two real server processes on PostgreSQL + Redis behave as one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.fixtures.factories import PASSWORD, Socket, World, new_client_id
from tests.fixtures.server import RunningServer, free_port
from tests.fixtures.services import roomy_address_limits_env

pytestmark = pytest.mark.scaleout


@dataclass
class Node:
    process: subprocess.Popen[bytes]
    base_url: str

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://")


async def _start_node(server: RunningServer) -> Node:
    port = free_port()
    env = {
        **os.environ,
        **roomy_address_limits_env(),
        "SANGDAM_DATABASE_URL": server.settings.database_url,
        "SANGDAM_REDIS_URL": server.settings.redis_url or "",
        "SANGDAM_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sangdam.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    node = Node(process, f"http://127.0.0.1:{port}")
    # A deadline, not a measurement: on a busy two-core machine two nodes importing at
    # once can take half a minute.
    deadline = asyncio.get_running_loop().time() + 90
    async with httpx.AsyncClient() as client:
        while asyncio.get_running_loop().time() < deadline and process.poll() is None:
            try:
                if (await client.get(f"{node.base_url}/api/openapi.json")).status_code == 200:
                    return node
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    process.kill()
    raise AssertionError("node did not start")


@pytest.fixture
async def nodes(server: RunningServer) -> AsyncIterator[list[Node]]:
    if getattr(server, "backend", "") != "postgres":
        pytest.skip("scale-out needs PostgreSQL and Redis")
    started = await asyncio.gather(_start_node(server), _start_node(server))
    yield list(started)
    for node in started:
        if node.process.poll() is None:
            node.process.send_signal(signal.SIGTERM)
            node.process.wait(10)


async def _agent_on(
    node: Node, world: World, **resume: str
) -> tuple[httpx.AsyncClient, str, Socket]:
    client = httpx.AsyncClient(base_url=node.base_url)
    login = await client.post(
        "/api/v1/login", json={"email": world.emails[world.agent.id], "password": PASSWORD}
    )
    assert login.status_code == 200
    query = f"workspace_id={world.workspace.id}" + "".join(f"&{k}={v}" for k, v in resume.items())
    ws = await connect(
        f"{node.ws_url}/ws/agent?{query}",
        additional_headers={"Cookie": f"sangdam_session={login.cookies['sangdam_session']}"},
        origin=node.base_url,
    )  # type: ignore[arg-type]
    return client, login.json()["csrf_token"], Socket(ws)


async def _visitor_on(node: Node, token: str, conversations: dict[int, int]) -> Socket:
    sock = Socket(await connect(f"{node.ws_url}/ws/widget"))
    await sock.send({"type": "hello", "token": token, "conversations": conversations})
    await sock.until_ready()
    return sock


async def test_messages_cross_nodes_both_ways_and_survive_a_killed_node(
    nodes: list[Node], world: World
) -> None:
    node_a, node_b = nodes
    # The visitor lives on node A, the agent on node B.
    async with httpx.AsyncClient(base_url=node_a.base_url) as client:
        created = await client.post(
            "/api/widget/v1/visitors", json={"inbox_key": world.inbox.public_key}
        )
    token = created.json()["token"]
    agent_http, csrf, agent_ws = await _agent_on(node_b, world)
    ready = await agent_ws.until_ready()
    visitor_ws = await _visitor_on(node_a, token, {})

    await visitor_ws.send(
        {
            "type": "message.send",
            "conversation_id": None,
            "client_id": new_client_id(),
            "body": "노드 A에서 보낸 메시지",
        }
    )
    ack = await visitor_ws.expect(
        "ack", skip=("ping", "message.created", "conversation.created", "conversation.updated")
    )
    conversation_id = ack["conversation"]["id"]
    arrived = await agent_ws.expect(
        "message.created", skip=("ping", "conversation.created", "conversation.updated")
    )
    assert arrived["data"]["message"]["body"] == "노드 A에서 보낸 메시지"

    reply = await agent_http.post(
        f"/api/v1/workspaces/{world.workspace.id}/conversations/{conversation_id}/messages",
        json={"body": "reply from node B", "client_id": new_client_id()},
        headers={"X-CSRF-Token": csrf},
    )
    assert reply.status_code == 201
    # The visitor's own events come back through Redis and may follow its ack.
    back = await visitor_ws.expect(
        "message.created", skip=("ping", "conversation.created", "conversation.updated")
    )
    while back["data"]["message"]["body"] != "reply from node B":
        assert back["data"]["message"]["body"] == "노드 A에서 보낸 메시지"
        back = await visitor_ws.expect(
            "message.created", skip=("ping", "conversation.created", "conversation.updated")
        )
    assert back["data"]["message"]["body"] == "reply from node B"

    # Node A dies hard; the visitor comes back on node B and gets what it missed.
    node_a.process.kill()
    node_a.process.wait(10)
    for n in range(3):
        sent = await agent_http.post(
            f"/api/v1/workspaces/{world.workspace.id}/conversations/{conversation_id}/messages",
            json={"body": f"while A was down {n}", "client_id": new_client_id()},
            headers={"X-CSRF-Token": csrf},
        )
        assert sent.status_code == 201
    resumed = await _visitor_on(node_b, token, {conversation_id: back["data"]["message"]["seq"]})
    bodies = [
        f["data"]["message"]["body"] for f in resumed.replayed if f["type"] == "message.created"
    ]
    assert bodies == [f"while A was down {n}" for n in range(3)]

    # The agent resumes on the surviving node from its last event id: nothing lost, nothing twice.
    await agent_ws.close()
    await resumed.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "body": "agent was away",
        }
    )
    await resumed.expect("ack", skip=("ping", "message.created", "conversation.updated"))
    _, _, agent_again = await _agent_on(
        node_b, world, epoch=ready["epoch"], last_event_id=ready["last_event_id"]
    )
    assert (await agent_again.until_ready())["resumed"] is True
    bodies = [
        f["data"]["message"]["body"] for f in agent_again.replayed if f["type"] == "message.created"
    ]
    assert bodies == [
        "노드 A에서 보낸 메시지",
        "reply from node B",
        *[f"while A was down {n}" for n in range(3)],
        "agent was away",
    ]
    await agent_again.close()
    await resumed.close()
    await agent_http.aclose()


async def test_two_nodes_never_assign_a_conversation_twice(nodes: list[Node], world: World) -> None:
    from sqlalchemy import func, select

    from sangdam.conversations.models import Conversation
    from sangdam.routing.models import AssignmentEvent
    from tests.routing.test_assignment import _auto_team, _online, _third_agent

    owner = await world.login()
    third = await _third_agent(world)
    logins = [owner, await world.login(world.agent), await world.login(third)]
    await _auto_team(owner, world)
    for login in logins:
        await _online(login, world, cap=2)

    async def start_on(node: Node, n: int) -> int:
        async with httpx.AsyncClient(base_url=node.base_url) as client:
            created = await client.post(
                "/api/widget/v1/visitors", json={"inbox_key": world.inbox.public_key}
            )
            client.headers["Authorization"] = f"Bearer {created.json()['token']}"
            started = await client.post(
                "/api/widget/v1/conversations",
                json={"body": f"동시 문의 {n}", "client_id": new_client_id()},
            )
            assert started.status_code == 201, started.text
            return int(started.json()["conversation"]["id"])

    ids = await asyncio.gather(*(start_on(nodes[n % 2], n) for n in range(10)))
    async with world.server.db.read() as session:
        assigned_events = dict(
            (
                await session.execute(
                    select(AssignmentEvent.conversation_id, func.count())
                    .where(
                        AssignmentEvent.conversation_id.in_(ids), AssignmentEvent.kind == "assigned"
                    )
                    .group_by(AssignmentEvent.conversation_id)
                )
            ).all()
        )
        loads = dict(
            (
                await session.execute(
                    select(Conversation.assignee_id, func.count())
                    .where(Conversation.id.in_(ids), Conversation.assignee_id.is_not(None))
                    .group_by(Conversation.assignee_id)
                )
            ).all()
        )
    assert all(count == 1 for count in assigned_events.values())
    assert len(assigned_events) == 6
    assert sorted(loads.values()) == [2, 2, 2]


async def test_signing_out_on_one_node_closes_the_socket_on_the_other(
    nodes: list[Node], world: World
) -> None:
    """A sign-in that ends on node A ends the sockets it opened on node B, at once."""
    from tests.realtime.test_credentials import NEW_PASSWORD, signed_out, still_works

    node_a, node_b = nodes
    async with httpx.AsyncClient(base_url=node_a.base_url) as client:
        created = await client.post(
            "/api/widget/v1/visitors", json={"inbox_key": world.inbox.public_key}
        )
        client.headers["Authorization"] = f"Bearer {created.json()['token']}"
        started = await client.post(
            "/api/widget/v1/conversations", json={"body": "hi", "client_id": new_client_id()}
        )
    conversation_id = started.json()["conversation"]["id"]

    # Three sessions of one agent, each with a socket on node B.
    (leaving_http, leaving_csrf, leaving_ws) = await _agent_on(node_b, world)
    (changing_http, changing_csrf, changing_ws) = await _agent_on(node_b, world)
    (other_http, _, other_ws) = await _agent_on(node_b, world)
    for sock in (leaving_ws, changing_ws, other_ws):
        await sock.until_ready()

    # Signing out on node A ends that session's socket on node B, and no other.
    cookie = leaving_http.cookies["sangdam_session"]
    async with httpx.AsyncClient(
        base_url=node_a.base_url, cookies={"sangdam_session": cookie}
    ) as a:
        assert (
            await a.post("/api/v1/logout", headers={"X-CSRF-Token": leaving_csrf})
        ).status_code == 204
    await signed_out(leaving_ws)
    await still_works(changing_ws, conversation_id)

    # A password change on node A ends every session of the user, sockets on B included.
    cookie = changing_http.cookies["sangdam_session"]
    async with httpx.AsyncClient(
        base_url=node_a.base_url, cookies={"sangdam_session": cookie}
    ) as a:
        changed = await a.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers={"X-CSRF-Token": changing_csrf},
        )
        assert changed.status_code == 204, changed.text
    await signed_out(changing_ws)
    await signed_out(other_ws)
    for client in (leaving_http, changing_http, other_http):
        await client.aclose()
