"""The external data card: signed calls to the company's endpoint, SSRF walls, failures
that read as messages, never as 500s."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sangdam.contacts.service import member_hash
from sangdam.integrations import service as integrations
from sangdam.workspaces.models import Workspace
from tests.fixtures.factories import AgentLogin, Visitor, World
from tests.fixtures.http_stub import HttpStub, Received, Reply

ORDERS = {
    "title": "최근 주문",
    "fields": [{"label": "등급", "value": "VIP"}, {"label": "누적 구매", "value": 12}],
    "orders": [
        {
            "title": "콜드브루 원두 1kg",
            "status": "배송중",
            "amount": "₩32,000",
            "date": "2026-11-28",
            "url": "https://shop.example/orders/1001",
        },
        {"title": "드립백 세트", "status": "배송완료", "url": "javascript:alert(1)"},
    ],
    "link": {"label": "관리자에서 보기", "url": "https://admin.shop.example/members/u-1"},
}


@contextmanager
def allow_private(world: World) -> Iterator[None]:
    settings = world.server.settings.outbound
    settings.allow_private = True
    try:
        yield
    finally:
        settings.allow_private = False


async def _member(world: World, member_id: str) -> Visitor:
    async with world.server.db.read() as session:
        workspace = await session.get(Workspace, world.workspace.id)
        assert workspace is not None
        secret = workspace.identity_secret
    visitor = await world.visitor()
    response = await visitor.client.post(
        "/api/widget/v1/identify",
        json={"memberId": member_id, "memberHash": member_hash(secret, member_id)},
    )
    assert response.json()["verified"]
    return visitor


async def _configure(login: AgentLogin, world: World, url: str) -> Any:
    return await login.client.put(
        f"{world.base}/integrations/external-data",
        json={"url": url, "enabled": True},
        headers=login.headers(),
    )


async def _card(login: AgentLogin, world: World, contact_id: int) -> dict[str, Any]:
    response = await login.client.get(f"{world.base}/contacts/{contact_id}/external-data")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_internal_endpoints_are_refused_unless_allowed(world: World) -> None:
    login = await world.login()
    for url in (
        "https://127.0.0.1/orders",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:169.254.169.254]/x",
        "https://10.1.2.3/orders",
        "https://localhost/orders",
        "http://orders.example.com/plain-http",
        "file:///etc/passwd",
    ):
        response = await _configure(login, world, url)
        assert response.status_code == 400, url
    listed = (await login.client.get(f"{world.base}/integrations/external-data")).json()
    assert listed["url"] is None
    agent = await world.login(world.agent)
    assert (await _configure(agent, world, "https://orders.example.com/x")).status_code == 403
    with allow_private(world):
        assert (await _configure(login, world, "http://127.0.0.1:9/orders")).status_code == 200


async def test_card_from_a_signed_call(world: World) -> None:
    login = await world.login()
    visitor = await _member(world, "u-1")

    def orders(request: Received) -> Reply:
        return Reply(body=ORDERS if request.json()["member_id"] == "u-1" else {"title": "?"})

    async with HttpStub(orders) as stub:
        with allow_private(world):
            saved = await _configure(login, world, f"{stub.url}/sangdam/card")
            assert saved.status_code == 200, saved.text
            secret = saved.json()["signing_secret"]
            result = await _card(login, world, visitor.contact_id)
            again = await _card(login, world, visitor.contact_id)
    assert result["status"] == "ok" and again == result
    assert len(stub.received) == 1  # the second look came from the cache
    request = stub.received[0]
    assert request.method == "POST" and request.path == "/sangdam/card"
    timestamp = request.headers["x-sangdam-timestamp"]
    assert abs(int(timestamp) - time.time()) < 300
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256)
    assert request.headers["x-sangdam-signature"] == f"sha256={expected.hexdigest()}"
    assert request.json() == {"member_id": "u-1", "workspace_id": world.workspace.id}
    card = result["card"]
    assert card["title"] == "최근 주문" and card["fields"][1]["value"] == "12"
    assert card["orders"][0]["url"] == "https://shop.example/orders/1001"
    assert card["orders"][1]["url"] is None  # javascript: never becomes a link


async def test_failures_become_messages(world: World) -> None:
    login = await world.login()
    anonymous = await world.visitor()
    assert (await _card(login, world, anonymous.contact_id))["status"] == "not_configured"
    replies: dict[str, Reply] = {
        "/500": Reply(status=500, body="oops", content_type="text/plain"),
        "/404": Reply(status=404, body={}),
        "/html": Reply(body="<html>login</html>", content_type="text/html"),
        "/schema": Reply(body={"orders": "many"}),
        "/huge": Reply(
            body={
                "title": "x",
                "fields": [{"label": "a", "value": "b" * 400}] * 20,
                "pad": "x" * 70000,
            }
        ),
        "/slow": Reply(body=ORDERS, delay=5.0),
        "/redirect": Reply(status=302, headers={"Location": "http://169.254.169.254/"}),
    }
    world.server.settings.contacts.external_timeout_seconds = 0.5
    try:
        async with HttpStub(lambda request: replies[request.path]) as stub:
            with allow_private(world):
                for index, (path, words) in enumerate(
                    [
                        ("/500", "answered 500"),
                        ("/404", "404"),
                        ("/html", "not a card"),
                        ("/schema", "not a card"),
                        ("/huge", "larger than 64 KB"),
                        ("/slow", "No answer within 0.5 seconds"),
                        ("/redirect", "answered 302"),
                    ]
                ):
                    member = await _member(world, f"f-{index}")
                    assert (await _configure(login, world, f"{stub.url}{path}")).status_code == 200
                    result = await _card(login, world, member.contact_id)
                    assert result["status"] == "error" and words in result["message"], result
            # Saved while allowed, called when no longer allowed: refused at call time too.
            member = await _member(world, "f-late")
            result = await _card(login, world, member.contact_id)
            assert result["status"] == "error" and result["message"].startswith("Not called")
        # Unverified visitors get no external data: their member id is only a claim.
        claimer = await world.visitor()
        claimed = await claimer.client.post("/api/widget/v1/identify", json={"memberId": "u-1"})
        assert claimed.status_code == 200 and not claimed.json()["verified"], claimed.text
        assert (await _card(login, world, claimer.contact_id))["status"] == "not_verified"
    finally:
        world.server.settings.contacts.external_timeout_seconds = 3.0
        integrations._card_cache.clear()
