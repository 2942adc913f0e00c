"""API tokens: scopes (read, write, admin), expiry, revocation and last use, enforced on
every endpoint by the server, whatever the endpoint's own checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select, update
from websockets.asyncio.client import connect

from sangdam.db import utcnow
from sangdam.workspaces.models import ApiToken
from tests.fixtures.factories import Socket, World, new_client_id


async def _token(world: World, **body: Any) -> tuple[int, httpx.AsyncClient]:
    owner = await world.login()
    created = await owner.client.post(
        f"{world.base}/api-tokens", json={"name": "CRM sync", **body}, headers=owner.headers()
    )
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["token"].startswith("sda_") and data["scopes"] == body.get(
        "scopes", ["read", "write", "admin"]
    )
    client = httpx.AsyncClient(
        base_url=world.server.base_url,
        headers={"Authorization": f"Bearer {data['token']}"},
        timeout=20,
    )
    return int(data["id"]), client


async def _conversation(world: World) -> int:
    visitor = await world.visitor()
    return int((await visitor.start("환불하고 싶어요"))["conversation"]["id"])


def _reply() -> dict[str, str]:
    return {"body": "확인해 볼게요", "client_id": new_client_id()}


async def test_a_read_token_reads_and_cannot_change_anything(world: World) -> None:
    conversation_id = await _conversation(world)
    _, api = await _token(world, scopes=["read"])
    listed = await api.get(f"{world.base}/conversations")
    assert listed.status_code == 200, listed.text
    assert (await api.get(f"{world.base}/conversations/{conversation_id}")).status_code == 200
    refused = [
        await api.post(f"{world.base}/conversations/{conversation_id}/messages", json=_reply()),
        await api.post(
            f"{world.base}/conversations/{conversation_id}/status", json={"status": "resolved"}
        ),
        await api.post(f"{world.base}/tags", json={"name": "불만", "color": "#dc2626"}),
    ]
    for response in refused:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "token_scope"
        assert "write scope" in response.json()["message"]
    messages = await api.get(f"{world.base}/conversations/{conversation_id}/messages")
    assert [m["body"] for m in messages.json()["messages"]] == ["환불하고 싶어요"]


async def test_a_write_token_works_conversations_but_not_settings(world: World) -> None:
    conversation_id = await _conversation(world)
    _, api = await _token(world, scopes=["read", "write"])
    sent = await api.post(f"{world.base}/conversations/{conversation_id}/messages", json=_reply())
    assert sent.status_code == 201, sent.text
    # The owner made it, but without the admin scope it acts as an agent: every
    # settings endpoint refuses it, reading their secrets included.
    settings_calls = [
        api.post(f"{world.base}/tags", json={"name": "VIP", "color": "#dc2626"}),
        api.get(f"{world.base}/automation/rules"),
        api.get(f"{world.base}/identity-verification"),
        api.get(f"{world.base}/api-tokens"),
        api.post(f"{world.base}/api-tokens", json={"name": "more"}),
        api.put(f"{world.base}/email-inbox", json={"address": "help@mail.example.com"}),
        api.get(f"{world.base}/integrations/github"),
    ]
    for call in settings_calls:
        response = await call
        assert response.status_code == 403, (response.request.url, response.text)
    # The owner's role is untouched by the token's requests.
    owner = await world.login()
    assert (await owner.client.get(f"{world.base}/automation/rules")).status_code == 200


async def test_an_admin_token_may_change_settings(world: World) -> None:
    _, api = await _token(world, scopes=["read", "write", "admin"])
    tag = await api.post(f"{world.base}/tags", json={"name": "VIP", "color": "#dc2626"})
    assert tag.status_code == 201, tag.text
    assert (await api.get(f"{world.base}/automation/rules")).status_code == 200
    # Admin without write changes nothing: each change needs the write scope too.
    _, admin_reader = await _token(world, scopes=["read", "admin"])
    refused = await admin_reader.post(f"{world.base}/tags", json={"name": "x", "color": "#000000"})
    assert refused.status_code == 403 and refused.json()["code"] == "token_scope"
    assert (await admin_reader.get(f"{world.base}/automation/rules")).status_code == 200


async def test_expired_and_revoked_tokens_get_401(world: World) -> None:
    owner = await world.login()
    soon = (utcnow() + dt.timedelta(days=30)).isoformat()
    token_id, api = await _token(world, scopes=["read"], expires_at=soon)
    assert (await api.get(f"{world.base}/conversations")).status_code == 200
    listed = (await owner.client.get(f"{world.base}/api-tokens")).json()
    assert next(t for t in listed if t["id"] == token_id)["expires_at"].startswith(soon[:16])
    # The expiry passes (moved back rather than waited for).
    async with world.server.db.transaction() as session:
        await session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    expired = await api.get(f"{world.base}/conversations")
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_expired"
    assert "expired" in expired.json()["message"]

    revoked_id, revoked = await _token(world)
    assert (await revoked.get(f"{world.base}/conversations")).status_code == 200
    deleted = await owner.client.delete(
        f"{world.base}/api-tokens/{revoked_id}", headers=owner.headers()
    )
    assert deleted.status_code == 204
    for response in (
        await revoked.get(f"{world.base}/conversations"),
        await revoked.post(f"{world.base}/tags", json={"name": "x", "color": "#000000"}),
    ):
        assert response.status_code == 401, response.text
    listed = (await owner.client.get(f"{world.base}/api-tokens")).json()
    assert revoked_id not in [t["id"] for t in listed]


async def test_bad_scopes_and_past_expiry_are_refused(world: World) -> None:
    owner = await world.login()
    past = (utcnow() - dt.timedelta(hours=1)).isoformat()
    for body, expected in (
        ({"scopes": []}, "scopes"),
        ({"scopes": ["everything"]}, "scopes"),
        ({"expires_at": past}, "future"),
        ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),  # no time zone
    ):
        response = await owner.client.post(
            f"{world.base}/api-tokens", json={"name": "x", **body}, headers=owner.headers()
        )
        assert response.status_code == 422, (body, response.text)
        assert expected in response.json()["message"], response.text
    assert (await owner.client.get(f"{world.base}/api-tokens")).json() == []


async def _last_used(world: World, token_id: int) -> dt.datetime | None:
    async with world.server.db.read() as session:
        query = select(ApiToken.last_used_at).where(ApiToken.id == token_id)
        return (await session.execute(query)).scalar_one()


async def test_last_use_is_recorded_at_most_once_a_minute(world: World) -> None:
    conversation_id = await _conversation(world)
    token_id, api = await _token(world, scopes=["read", "write"])
    assert await _last_used(world, token_id) is None
    assert (await api.get(f"{world.base}/conversations")).status_code == 200
    first = await _last_used(world, token_id)
    assert first is not None
    # More reads and a write within the minute write nothing.
    assert (await api.get(f"{world.base}/conversations")).status_code == 200
    sent = await api.post(f"{world.base}/conversations/{conversation_id}/messages", json=_reply())
    assert sent.status_code == 201
    assert await _last_used(world, token_id) == first
    # A minute on, the next request records it again (the clock moved back instead).
    earlier = first - dt.timedelta(minutes=2)
    async with world.server.db.transaction() as session:
        await session.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=earlier)
        )
    sent = await api.post(f"{world.base}/conversations/{conversation_id}/messages", json=_reply())
    assert sent.status_code == 201
    after_write = await _last_used(world, token_id)
    assert after_write is not None and after_write > earlier
    owner = await world.login()
    listed = (await owner.client.get(f"{world.base}/api-tokens")).json()
    assert next(t for t in listed if t["id"] == token_id)["last_used_at"] is not None


async def test_a_read_token_socket_receives_but_cannot_send(world: World) -> None:
    conversation_id = await _conversation(world)
    owner = await world.login()
    created = await owner.client.post(
        f"{world.base}/api-tokens",
        json={"name": "dashboard", "scopes": ["read"]},
        headers=owner.headers(),
    )
    secret = created.json()["token"]
    ws = await connect(
        f"{world.server.ws_url}/ws/agent?workspace_id={world.workspace.id}",
        additional_headers={"Authorization": f"Bearer {secret}"},
        max_size=None,
    )
    sock = Socket(ws)
    await sock.until_ready()
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_id": new_client_id(),
            "body": "읽기 전용인데 보내 볼게요",
        }
    )
    error = await sock.expect("error", skip=("ping", "queue.updated", "agent.updated"))
    assert error["code"] == "token_scope", error
    await sock.close()
    api = await owner.client.get(f"{world.base}/conversations/{conversation_id}/messages")
    assert [m["body"] for m in api.json()["messages"]] == ["환불하고 싶어요"]
