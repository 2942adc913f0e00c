"""Rate limits on everything the public can call: per visitor, per client address and per
workspace, over HTTP (429 + Retry-After) and the widget socket (an error frame; the socket
stays open). Both backends: in memory on SQLite, in Redis on PostgreSQL.

Each test gets addresses of its own through X-Forwarded-For from a trusted proxy (the test
client), so its counts never meet another test's.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from sangdam.config import RateLimitSettings
from tests.fixtures.factories import IPHONE, Socket, World, new_client_id


def new_address() -> str:
    """A client address no other test uses (IPv6 documentation range)."""
    return f"2001:db8:{secrets.token_hex(2)}::{secrets.token_hex(2)}"


class Limits:
    """Sets limits on the shared test server for one test and puts them back after."""

    def __init__(self, world: World) -> None:
        self.settings = world.server.settings

    def set(self, **limits: int) -> None:
        for name, value in limits.items():
            assert name in RateLimitSettings.model_fields, name
            setattr(self.settings.rate_limits, name, value)


@pytest.fixture
async def limits(world: World) -> AsyncIterator[Limits]:
    settings = world.server.settings
    saved_limits = settings.rate_limits.model_copy()
    saved_proxies = list(settings.server.trusted_proxies)
    settings.server.trusted_proxies = ["127.0.0.1"]  # the test client plays the proxy
    try:
        yield Limits(world)
    finally:
        settings.rate_limits = saved_limits
        settings.server.trusted_proxies = saved_proxies


async def _visitor(world: World, address: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        base_url=world.server.base_url, headers={"X-Forwarded-For": address}, timeout=20
    )
    response = await client.post(
        "/api/widget/v1/visitors", json={"inbox_key": world.inbox.public_key, "context": {}}
    )
    assert response.status_code == 201, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


async def _socket(world: World, client: httpx.AsyncClient) -> Socket:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    ws = await connect(
        f"{world.server.ws_url}/ws/widget",
        user_agent_header=IPHONE,
        additional_headers={"X-Forwarded-For": client.headers["X-Forwarded-For"]},
    )
    sock = Socket(ws)
    await sock.send({"type": "hello", "token": token, "conversations": {}})
    await sock.until_ready()
    return sock


async def _answer(sock: Socket) -> dict[str, Any]:
    """The next ack or error frame; live events in between are passed over."""
    while (frame := await sock.recv())["type"] not in ("ack", "error", "pong"):
        pass
    return frame


def _refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1
    assert body["details"]["retry_after"] == int(response.headers["Retry-After"])
    return body


async def _start(client: httpx.AsyncClient, body: str = "안녕하세요") -> httpx.Response:
    return await client.post(
        "/api/widget/v1/conversations", json={"body": body, "client_id": new_client_id()}
    )


async def test_new_visitors_are_limited_per_address(world: World, limits: Limits) -> None:
    limits.set(visitors_per_address_per_hour=3)
    crowded, other = new_address(), new_address()
    for _ in range(3):
        await _visitor(world, crowded)
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        body = {"inbox_key": world.inbox.public_key, "context": {}}
        refused = await client.post(
            "/api/widget/v1/visitors", json=body, headers={"X-Forwarded-For": crowded}
        )
        assert "Try again in" in _refused(refused)["message"]
        # Another address is not affected.
        fine = await client.post(
            "/api/widget/v1/visitors", json=body, headers={"X-Forwarded-For": other}
        )
        assert fine.status_code == 201


async def test_new_visitors_are_limited_per_workspace(
    world: World, other_world: World, limits: Limits
) -> None:
    limits.set(visitors_per_workspace_per_minute=3)
    for _ in range(3):
        await _visitor(world, new_address())
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        refused = await client.post(
            "/api/widget/v1/visitors",
            json={"inbox_key": world.inbox.public_key, "context": {}},
            headers={"X-Forwarded-For": new_address()},
        )
    _refused(refused)
    await _visitor(other_world, new_address())  # every workspace has its own


async def test_a_spoofed_forwarded_for_is_not_a_new_address(world: World, limits: Limits) -> None:
    """X-Forwarded-For counts only from a trusted proxy; anyone else can't dodge the limit."""
    limits.settings.server.trusted_proxies = []
    limits.set(visitors_per_address_per_hour=2)
    # The client's real address is 127.0.0.1; its count may have started earlier.
    statuses = []
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        for _ in range(3):
            response = await client.post(
                "/api/widget/v1/visitors",
                json={"inbox_key": world.inbox.public_key, "context": {}},
                headers={"X-Forwarded-For": new_address()},
            )
            statuses.append(response.status_code)
    assert statuses[-1] == 429, statuses


async def test_conversations_per_visitor_over_http_and_socket(world: World, limits: Limits) -> None:
    limits.set(conversations_per_visitor_per_hour=2)
    visitor = await _visitor(world, new_address())
    assert (await _start(visitor)).status_code == 201
    sock = await _socket(world, visitor)
    client_id = new_client_id()
    await sock.send(
        {"type": "message.send", "conversation_id": None, "body": "두 번째", "client_id": client_id}
    )
    assert (await _answer(sock))["ref"] == client_id
    # The third, by either path, is refused; the socket gets an error frame and stays open.
    _refused(await _start(visitor))
    third = new_client_id()
    await sock.send(
        {
            "type": "message.send",
            "conversation_id": None,
            "body": "세 번째",
            "client_id": third,
            "ref": third,
        }
    )
    error = await _answer(sock)
    assert error["code"] == "rate_limited" and error["details"]["retry_after"] >= 1
    assert error["ref"] == third
    await sock.send({"type": "ping", "ref": "still-there"})
    assert (await _answer(sock))["ref"] == "still-there"
    await sock.close()


async def test_messages_per_visitor_are_counted_across_http_and_socket(
    world: World, limits: Limits
) -> None:
    limits.set(messages_per_visitor_per_minute=4)
    visitor = await _visitor(world, new_address())
    started = await _start(visitor)  # 1
    assert started.status_code == 201
    conversation_id = started.json()["conversation"]["id"]
    url = f"/api/widget/v1/conversations/{conversation_id}/messages"
    for n in range(2):  # 2, 3
        sent = await visitor.post(url, json={"body": f"http {n}", "client_id": new_client_id()})
        assert sent.status_code == 201, sent.text
    sock = await _socket(world, visitor)
    frame = {"type": "message.send", "conversation_id": conversation_id, "body": "socket"}
    await sock.send({**frame, "client_id": new_client_id()})  # 4
    assert (await _answer(sock))["type"] == "ack"
    await sock.send({**frame, "client_id": "fifth-message", "ref": "fifth-message"})
    error = await _answer(sock)
    # The error names the message it refuses, as its ack would have.
    assert error["code"] == "rate_limited" and error["ref"] == "fifth-message"
    _refused(await visitor.post(url, json={"body": "http", "client_id": new_client_id()}))
    # Refused messages were not stored.
    history = (await visitor.get(f"{url}?limit=50")).json()["messages"]
    assert [m["body"] for m in history if m["sender_type"] == "contact"] == [
        "안녕하세요",
        "http 0",
        "http 1",
        "socket",
    ]
    await sock.close()


async def test_messages_per_address_count_every_visitor_there(world: World, limits: Limits) -> None:
    limits.set(messages_per_address_per_minute=3)
    shared = new_address()
    first, second = await _visitor(world, shared), await _visitor(world, shared)
    assert (await _start(first)).status_code == 201
    assert (await _start(second)).status_code == 201
    assert (await _start(first)).status_code == 201
    _refused(await _start(second))
    elsewhere = await _visitor(world, new_address())
    assert (await _start(elsewhere)).status_code == 201


async def test_messages_per_workspace(world: World, limits: Limits) -> None:
    limits.set(messages_per_workspace_per_minute=2)
    assert (await _start(await _visitor(world, new_address()))).status_code == 201
    assert (await _start(await _visitor(world, new_address()))).status_code == 201
    _refused(await _start(await _visitor(world, new_address())))


async def test_identify_and_track_are_limited(world: World, limits: Limits) -> None:
    limits.set(identify_per_visitor_per_minute=2, events_per_address_per_minute=2)
    visitor = await _visitor(world, new_address())
    for _ in range(2):
        response = await visitor.post("/api/widget/v1/identify", json={"name": "고객"})
        assert response.status_code == 200, response.text
    _refused(await visitor.post("/api/widget/v1/identify", json={"name": "고객"}))
    for _ in range(2):
        tracked = await visitor.post("/api/widget/v1/events", json={"event": "viewed"})
        assert tracked.status_code == 204, tracked.text
    _refused(await visitor.post("/api/widget/v1/events", json={"event": "viewed"}))


async def test_searches_are_limited_per_address(world: World, limits: Limits) -> None:
    limits.set(searches_per_address_per_minute=2)
    address = new_address()
    visitor = await _visitor(world, address)
    slug = await world.slug()
    for _ in range(2):
        found = await visitor.get("/api/widget/v1/articles", params={"q": "배송"})
        assert found.status_code == 200, found.text
    # The widget's article search and the help center's share the address's count.
    help_center = await visitor.get(f"/help/{slug}/ko", params={"q": "배송"})
    assert help_center.status_code == 429
    assert int(help_center.headers["Retry-After"]) >= 1
    _refused(await visitor.get("/api/widget/v1/articles", params={"q": "환불"}))
    # The home screen's suggestions (no query) are not a search.
    assert (await visitor.get("/api/widget/v1/articles")).status_code == 200
    other = httpx.AsyncClient(
        base_url=world.server.base_url, headers={"X-Forwarded-For": new_address()}
    )
    assert (await other.get(f"/help/{slug}/ko", params={"q": "배송"})).status_code == 200
