"""An open agent socket lives only as long as the sign-in it came with.

Signing out, changing the password and revoking an API token close the sockets that
relied on them at once (code 4401, after an ``error`` frame ``signed_out``), while
other sign-ins of the same person keep working. Every command re-checks as well, so a
sign-in ended without an announcement is refused too. (Two processes: see
tests/scaleout/test_two_nodes.py.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from sangdam.db import utcnow
from sangdam.workspaces.models import ApiToken
from tests.fixtures.factories import (
    PASSWORD,
    AgentLogin,
    Socket,
    World,
    agent_socket,
    new_client_id,
)

NEW_PASSWORD = "violet-harbor-canyon-47"
SKIP = ("ping", "typing", "message.created", "conversation.created", "conversation.updated")


async def signed_out(sock: Socket) -> None:
    """The socket says the sign-in ended, then closes with 4401."""
    error = await sock.expect("error", skip=SKIP)
    assert error["code"] == "signed_out", error
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await sock.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def still_works(sock: Socket, conversation_id: int) -> None:
    client_id = new_client_id()
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": client_id,
            "body": "still signed in",
        }
    )
    ack = await sock.expect("ack", skip=(*SKIP, "contact.updated"))
    assert ack["ref"] == client_id


async def _conversation(world: World) -> int:
    visitor = await world.visitor()
    return int((await visitor.start("hello"))["conversation"]["id"])


async def _login_with(world: World, email: str, password: str) -> AgentLogin:
    client = httpx.AsyncClient(base_url=world.server.base_url, timeout=20)
    response = await client.post("/api/v1/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return AgentLogin(
        agent_id=world.agent.id,
        email=email,
        client=client,
        csrf=response.json()["csrf_token"],
        cookie=response.cookies["sangdam_session"],
    )


async def _ready(world: World, login: AgentLogin) -> Socket:
    sock = await agent_socket(world, login)
    await sock.until_ready()
    return sock


async def test_signing_out_closes_that_sessions_sockets_at_once(world: World) -> None:
    conversation_id = await _conversation(world)
    leaving = await world.login(world.agent)
    staying = await world.login(world.agent)
    leaving_ws = await _ready(world, leaving)
    staying_ws = await _ready(world, staying)

    response = await leaving.client.post("/api/v1/logout", headers=leaving.headers())
    assert response.status_code == 204
    await signed_out(leaving_ws)
    # REST refuses the same cookie, and so does a new socket.
    leaving.client.cookies.set("sangdam_session", leaving.cookie)
    assert (await leaving.client.get(f"{world.base}/conversations")).status_code == 401
    again = await agent_socket(world, leaving)
    assert (await again.expect("error"))["code"] == "not_signed_in"

    # The same person's other session is untouched.
    await still_works(staying_ws, conversation_id)
    await staying_ws.close()


async def test_a_password_change_closes_every_session_of_that_user(world: World) -> None:
    conversation_id = await _conversation(world)
    first = await world.login(world.agent)
    second = await world.login(world.agent)
    colleague = await world.login(world.owner)
    sockets = [await _ready(world, first), await _ready(world, second)]
    colleague_ws = await _ready(world, colleague)

    response = await first.client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=first.headers(),
    )
    assert response.status_code == 204, response.text
    for sock in sockets:
        await signed_out(sock)
    await still_works(colleague_ws, conversation_id)

    # Signing in with the new password gives a socket that stays.
    fresh = await _login_with(world, world.emails[world.agent.id], NEW_PASSWORD)
    fresh_ws = await _ready(world, fresh)
    await still_works(fresh_ws, conversation_id)
    await fresh_ws.close()
    await colleague_ws.close()


async def _token(world: World, login: AgentLogin, name: str) -> tuple[int, str]:
    response = await login.client.post(
        f"{world.base}/api-tokens", json={"name": name}, headers=login.headers()
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"]), str(response.json()["token"])


async def token_socket(world: World, secret: str) -> Socket:
    ws = await connect(
        f"{world.server.ws_url}/ws/agent?workspace_id={world.workspace.id}",
        additional_headers={"Authorization": f"Bearer {secret}"},
        max_size=None,
    )
    sock = Socket(ws)
    await sock.until_ready()
    return sock


async def test_revoking_an_api_token_closes_its_sockets(world: World) -> None:
    conversation_id = await _conversation(world)
    owner = await world.login()
    revoked_id, revoked = await _token(world, owner, "CRM sync")
    _, kept = await _token(world, owner, "Reporting")
    revoked_ws = await token_socket(world, revoked)
    kept_ws = await token_socket(world, kept)
    owner_ws = await _ready(world, owner)

    response = await owner.client.delete(
        f"{world.base}/api-tokens/{revoked_id}", headers=owner.headers()
    )
    assert response.status_code == 204
    await signed_out(revoked_ws)
    await still_works(kept_ws, conversation_id)
    await still_works(owner_ws, conversation_id)
    await kept_ws.close()
    await owner_ws.close()


@pytest.fixture
async def recheck_every_command(world: World) -> AsyncIterator[None]:
    """Re-check the sign-in on every command instead of at most every few seconds."""
    realtime = world.server.settings.realtime
    before = getattr(realtime, "credential_recheck_seconds", None)
    if before is not None:
        realtime.credential_recheck_seconds = 0
    yield
    if before is not None:
        realtime.credential_recheck_seconds = before


async def test_a_command_after_an_unannounced_revocation_is_refused(
    world: World, recheck_every_command: None
) -> None:
    """A sign-in ended without the broadcast (an operator's SQL, a lost message): the
    next command finds out from the database and nothing it asked for happens."""
    conversation_id = await _conversation(world)
    owner = await world.login()
    token_id, secret = await _token(world, owner, "Script")
    sock = await token_socket(world, secret)
    await still_works(sock, conversation_id)

    async with world.server.db.transaction() as session:
        await session.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=utcnow())
        )
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "body": "after the revocation",
        }
    )
    await signed_out(sock)
    page = await owner.client.get(f"{world.base}/conversations/{conversation_id}/messages")
    assert page.status_code == 200
    assert "after the revocation" not in [m["body"] for m in page.json()["messages"]]
