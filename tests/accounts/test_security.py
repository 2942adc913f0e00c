"""Sign-in, sessions, CSRF, API tokens and cross-origin sockets."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.fixtures.factories import PASSWORD, World, agent_socket, new_client_id


async def test_unsafe_request_without_csrf_token_is_refused(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hi"))["conversation"]["id"]
    url = f"{world.base}/conversations/{conversation_id}/messages"
    body = {"body": "forged", "client_id": new_client_id()}
    missing = await login.client.post(url, json=body)
    wrong = await login.client.post(url, json=body, headers={"X-CSRF-Token": "guess"})
    assert missing.status_code == 403 and wrong.status_code == 403
    assert missing.json()["code"] == "csrf_failed"
    history = await login.client.get(f"{url}?limit=10")
    assert "forged" not in history.text
    # Reads need no token.
    assert history.status_code == 200


async def test_cross_origin_socket_with_cookie_is_refused(world: World) -> None:
    login = await world.login()
    sock = await agent_socket(world, login, origin="https://evil.example")
    error = await sock.expect("error")
    assert error["code"] == "bad_origin"
    with pytest.raises(ConnectionClosed):
        await sock.recv()


async def test_login_is_rate_limited(world: World) -> None:
    email = world.emails[world.agent.id]
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        for _ in range(5):
            bad = await client.post(
                "/api/v1/login", json={"email": email, "password": "wrong-password"}
            )
            assert bad.status_code == 401
            assert bad.json()["code"] == "bad_credentials"
        limited = await client.post("/api/v1/login", json={"email": email, "password": PASSWORD})
        assert limited.status_code == 429
        assert "minutes" in limited.json()["message"]


async def test_unknown_email_and_wrong_password_look_the_same(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        unknown = await client.post(
            "/api/v1/login", json={"email": "nobody@example.com", "password": "x" * 10}
        )
        wrong = await client.post(
            "/api/v1/login", json={"email": world.emails[world.owner.id], "password": "x" * 10}
        )
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


async def test_password_change_ends_other_sessions(world: World) -> None:
    first = await world.login(world.agent)
    second = await world.login(world.agent)
    changed = await first.client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a-new-long-password"},
        headers=first.headers(),
    )
    assert changed.status_code == 204
    assert (await second.client.get("/api/v1/me")).status_code == 401
    assert (await first.client.get("/api/v1/me")).status_code == 401
    sock = await agent_socket(world, second)
    assert (await sock.expect("error"))["code"] == "not_signed_in"


async def test_password_change_with_a_wrong_current_password_is_refused(world: World) -> None:
    """Someone at an unlocked screen can't set a password they know without knowing the old."""
    login = await world.login(world.agent)
    other = await world.login(world.agent)
    refused = await login.client.post(
        "/api/v1/me/password",
        json={"current_password": "not-the-password", "new_password": "taken-over-password"},
        headers=login.headers(),
    )
    assert refused.status_code == 403 and refused.json()["code"] == "bad_credentials"
    # Nothing changed: both sessions go on, the old password still signs in, the new doesn't.
    assert (await login.client.get("/api/v1/me")).status_code == 200
    assert (await other.client.get("/api/v1/me")).status_code == 200
    email = world.emails[world.agent.id]
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        taken = await client.post(
            "/api/v1/login", json={"email": email, "password": "taken-over-password"}
        )
        assert taken.status_code == 401
        assert (
            await client.post("/api/v1/login", json={"email": email, "password": PASSWORD})
        ).status_code == 200


async def test_logout_ends_the_session(world: World) -> None:
    login = await world.login()
    assert (await login.client.post("/api/v1/logout", headers=login.headers())).status_code == 204
    reuse = httpx.AsyncClient(
        base_url=world.server.base_url, cookies={"sangdam_session": login.cookie}
    )
    assert (await reuse.get("/api/v1/me")).status_code == 401


async def test_api_token_acts_within_its_workspace_only(world: World, other_world: World) -> None:
    login = await world.login()
    created = await login.client.post(
        f"{world.base}/api-tokens", json={"name": "CRM sync"}, headers=login.headers()
    )
    assert created.status_code == 201
    token = created.json()["token"]
    listed = await login.client.get(f"{world.base}/api-tokens")
    assert token not in listed.text  # the secret is shown once, never listed

    api = httpx.AsyncClient(
        base_url=world.server.base_url, headers={"Authorization": f"Bearer {token}"}
    )
    visitor = await world.visitor()
    conversation_id = (await visitor.start("api?"))["conversation"]["id"]
    # No CSRF needed: a bearer token is not sent by browsers on their own.
    sent = await api.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "from the API", "client_id": new_client_id()},
    )
    assert sent.status_code == 201
    assert (
        await api.get(f"/api/v1/workspaces/{other_world.workspace.id}/conversations")
    ).status_code == 404
    bad = httpx.AsyncClient(
        base_url=world.server.base_url, headers={"Authorization": "Bearer sda_nope"}
    )
    assert (await bad.get(f"{world.base}/conversations")).status_code == 401

    token_id = created.json()["id"]
    assert (
        await login.client.delete(f"{world.base}/api-tokens/{token_id}", headers=login.headers())
    ).status_code == 204
    assert (await api.get(f"{world.base}/conversations")).status_code == 401


async def test_agents_cannot_manage_api_tokens(world: World) -> None:
    login = await world.login(world.agent)
    response = await login.client.post(
        f"{world.base}/api-tokens", json={"name": "x"}, headers=login.headers()
    )
    assert response.status_code == 403
    assert "owner or admin" in response.json()["message"]
