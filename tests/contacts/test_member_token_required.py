"""A workspace can require memberToken: a replayed memberHash then opens nothing."""

from __future__ import annotations

import time
from typing import Any

from sangdam.contacts.service import member_hash, member_token
from sangdam.workspaces.models import Workspace
from tests.fixtures.factories import Visitor, World


async def _secret(world: World) -> str:
    async with world.server.db.read() as session:
        workspace = await session.get(Workspace, world.workspace.id)
        assert workspace is not None
        return workspace.identity_secret


async def _boot(visitor: Visitor, **identity: Any) -> dict[str, Any]:
    response = await visitor.client.post("/api/widget/v1/identify", json=identity)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    if data["token"]:
        visitor.client.headers["Authorization"] = f"Bearer {data['token']}"
    return data


async def test_with_tokens_required_a_replayed_hash_opens_no_history(world: World) -> None:
    secret = await _secret(world)
    member = "member-replayed"
    # The member chats, verified by a token.
    owner = await world.visitor()
    token = member_token(secret, {"memberId": member, "exp": int(time.time()) + 600})
    assert (await _boot(owner, memberId=member, memberToken=token))["verified"]
    await owner.start("제 주문 내역 좀 봐주세요")

    login = await world.login()
    settings = f"{world.base}/identity-verification/settings"
    assert (await login.client.get(settings)).json() == {"require_member_token": False}
    turned_on = await login.client.put(
        settings, json={"require_member_token": True}, headers=login.headers()
    )
    assert turned_on.status_code == 200, turned_on.text
    assert turned_on.json() == {"require_member_token": True}

    # Someone copied the member's hash from a page: it no longer verifies.
    replayer = await world.visitor()
    replayed = await _boot(replayer, memberId=member, memberHash=member_hash(secret, member))
    assert replayed["verified"] is False and replayed["problem"] == "token_required"
    assert replayed["token"] is None  # still the replayer's own anonymous contact
    session = await replayer.client.post("/api/widget/v1/session", json={})
    assert session.status_code == 200 and session.json()["conversations"] == []

    # A fresh token still verifies, and finds the member's history.
    again = await world.visitor()
    fresh = member_token(secret, {"memberId": member, "exp": int(time.time()) + 600})
    booted = await _boot(again, memberId=member, memberToken=fresh)
    assert booted["verified"] and booted["token"]
    history = (await again.client.post("/api/widget/v1/session", json={})).json()
    assert [c["last_message_preview"] for c in history["conversations"]] == [
        "제 주문 내역 좀 봐주세요"
    ]


async def test_only_admins_change_the_setting(world: World) -> None:
    agent = await world.login(world.agent)
    settings = f"{world.base}/identity-verification/settings"
    refused = await agent.client.put(
        settings, json={"require_member_token": True}, headers=agent.headers()
    )
    assert refused.status_code == 403
    login = await world.login()
    assert (await login.client.get(settings)).json() == {"require_member_token": False}
    # Without the CSRF header a browser session can't turn it off either.
    forged = await login.client.put(settings, json={"require_member_token": False})
    assert forged.status_code == 403
