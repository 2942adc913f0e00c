"""Outgoing calls (kit/outbound.py): only globally routable addresses, and the connection
goes to the address that was checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sangdam.integrations.models import Integration, IntegrationKind
from sangdam.kit.errors import BadRequest
from sangdam.kit.outbound import check_target, forbidden_address, request_json
from tests.fixtures.factories import World
from tests.fixtures.http_stub import HttpStub, Reply

SRC = Path(__file__).resolve().parents[2] / "src" / "sangdam"

# Hosts an outside probe got through, and their relatives: none is globally routable.
INTERNAL = [
    "100.100.100.200",  # carrier-grade NAT range 100.64.0.0/10; a cloud metadata address
    "100.64.0.1",
    "127.0.0.1",
    "10.0.0.8",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
    "198.18.0.1",  # benchmarking
    "240.0.0.1",  # reserved
    "224.0.0.1",  # multicast (Python calls it global)
    "255.255.255.255",
    "[::1]",
    "[fc00::1]",
    "[fe80::1]",
    "[fd00:ec2::254]",  # the IPv6 metadata address
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:100.100.100.200]",
    "[::127.0.0.1]",  # IPv4-compatible
    "[2002:c0a8:101::1]",  # 6to4 of 192.168.1.1
    "[2002:6464:64c8::1]",  # 6to4 of 100.100.100.200
    "[2002::1]",  # 6to4 of 0.0.0.0
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[64:ff9b::6464:64c8]",  # NAT64 of 100.100.100.200
    "[64:ff9b:1::808:808]",  # local-use NAT64
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",  # Teredo
    "[2001:db8::1]",  # documentation
]
PUBLIC = ["8.8.8.8", "[2606:4700::1111]", "[2002:808:808::1]", "[64:ff9b::808:808]"]


@pytest.mark.parametrize("host", INTERNAL)
async def test_addresses_that_are_not_globally_routable_are_refused(host: str) -> None:
    assert forbidden_address(host.strip("[]"))
    with pytest.raises(BadRequest) as refused:
        await check_target(f"https://{host}/hook", allow_private=False)
    assert refused.value.code == "forbidden_target"
    # The on-premises switch lets them through (tests and trusted networks).
    await check_target(f"https://{host}/hook", allow_private=True)


@pytest.mark.parametrize("host", PUBLIC)
async def test_public_addresses_pass(host: str) -> None:
    assert not forbidden_address(host.strip("[]"))
    await check_target(f"https://{host}/hook", allow_private=False)


async def test_every_configured_url_refuses_carrier_nat_and_6to4(world: World) -> None:
    """The data card, GitHub, a team's Slack and automation's Slack and webhooks."""
    login = await world.login()
    teams = (await login.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    for url in ("https://100.100.100.200/x", "https://[2002:c0a8:101::1]/x"):
        saves = {
            "data card": await login.client.put(
                f"{world.base}/integrations/external-data",
                json={"url": url, "enabled": True},
                headers=login.headers(),
            ),
            "github": await login.client.put(
                f"{world.base}/integrations/github",
                json={"api_url": url, "repo": "cloudgate/app", "token": "ghp_x"},
                headers=login.headers(),
            ),
            "team slack": await login.client.put(
                f"{world.base}/teams/{general['id']}/slack",
                json={"url": url},
                headers=login.headers(),
            ),
        }
        for action in ("call_webhook", "notify_slack"):
            saves[action] = await login.client.post(
                f"{world.base}/automation/rules",
                json={
                    "name": "ssrf",
                    "trigger": {"event": "conversation_created"},
                    "actions": [{"type": action, "url": url}],
                },
                headers=login.headers(),
            )
        for what, response in saves.items():
            assert response.status_code == 400, (what, url, response.text)
            assert "internal address" in response.json()["message"], (what, response.text)


async def test_a_stored_internal_url_is_not_called(world: World) -> None:
    """Saved before this check existed (or by hand): the card refuses at call time."""
    async with world.server.db.transaction() as session:
        session.add(
            Integration(
                workspace_id=world.workspace.id,
                kind=IntegrationKind.EXTERNAL_DATA.value,
                config={"url": "https://100.100.100.200/latest/meta-data", "enabled": True},
                secret="sdx_test",
            )
        )
    from sangdam.contacts.service import member_hash
    from sangdam.workspaces.models import Workspace

    async with world.server.db.read() as session:
        workspace = await session.get(Workspace, world.workspace.id)
        assert workspace is not None
        secret = workspace.identity_secret
    visitor = await world.visitor()
    identified = await visitor.client.post(
        "/api/widget/v1/identify",
        json={"memberId": "m-1", "memberHash": member_hash(secret, "m-1")},
    )
    assert identified.status_code == 200 and identified.json()["verified"]
    contact_id = identified.json()["contact"]["id"]
    login = await world.login()
    card = (await login.client.get(f"{world.base}/contacts/{contact_id}/external-data")).json()
    assert card["status"] == "error"
    assert card["message"].startswith("Not called") and "internal address" in card["message"]


async def test_the_call_goes_to_the_address_that_was_checked() -> None:
    """A rebinding DNS server answers differently the second time: it is never asked again,
    and the request reaches the first answer with the name in its Host header."""
    answers = [["127.0.0.1"], ["10.66.66.66"]]
    asked: list[str] = []

    async def rebinding_dns(host: str) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), 2) - 1]

    async with HttpStub(lambda request: Reply(200, {"ok": True})) as stub:
        status, body = await request_json(
            "POST",
            f"http://rebind.example:{stub.port}/card",
            content=b"{}",
            headers={"Content-Type": "application/json"},
            allow_private=True,  # the stub listens on 127.0.0.1
            resolve=rebinding_dns,
        )
    assert status == 200 and body == b'{"ok": true}'
    assert asked == ["rebind.example"]
    (received,) = stub.received
    assert received.headers["host"] == f"rebind.example:{stub.port}"
    assert received.path == "/card"


async def test_a_name_with_any_internal_address_is_refused_before_connecting() -> None:
    async def mixed_dns(host: str) -> list[str]:
        return ["8.8.8.8", "100.100.100.200"]

    with pytest.raises(BadRequest) as refused:
        await request_json("GET", "https://mixed.example/x", allow_private=False, resolve=mixed_dns)
    assert refused.value.code == "forbidden_target"


def test_no_code_calls_out_without_kit_outbound() -> None:
    """Every outgoing HTTP call goes through kit/outbound.py, where the checks are."""
    client = re.compile(
        r"^\s*(import|from)\s+(httpx|httpcore|aiohttp|requests|urllib3|urllib\.request|http\.client)\b",
        re.MULTILINE,
    )
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "outbound.py" and client.search(path.read_text())
    ]
    assert offenders == []
    assert client.search((SRC / "kit" / "outbound.py").read_text())
