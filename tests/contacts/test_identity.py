"""Sangdam.boot on the server: only a correct signature makes a member; claims stay claims."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import select

from sangdam.contacts.models import Contact
from sangdam.contacts.service import member_hash, member_token
from sangdam.workspaces.models import Workspace
from tests.fixtures.factories import Visitor, World, agent_socket


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
        visitor.token = data["token"]
        visitor.contact_id = data["contact"]["id"]
    return data


async def _members(world: World, member_id: str) -> list[Contact]:
    async with world.server.db.read() as session:
        stmt = select(Contact).where(
            Contact.workspace_id == world.workspace.id, Contact.member_id == member_id
        )
        return list((await session.execute(stmt)).scalars())


async def _contact(world: World, contact_id: int) -> dict[str, Any]:
    login = await world.login()
    response = await login.client.get(f"{world.base}/contacts/{contact_id}")
    assert response.status_code == 200, response.text
    return response.json()["contact"]  # type: ignore[no-any-return]


async def test_verified_member_is_one_contact_across_browsers(world: World) -> None:
    secret = await _secret(world)
    laptop = await world.visitor(url="https://shop.example/account")
    first = await _boot(
        laptop,
        memberId="member-42",
        memberHash=member_hash(secret, "member-42"),
        name="김민지",
        email="Minji@Example.com",
        profile={"plan": "pro", "app_version": "3.2.1"},
    )
    # The anonymous contact of this browser became the member: no new token needed.
    assert (
        first["verified"] and first["token"] is None and first["contact"]["id"] == laptop.contact_id
    )
    started = await laptop.start("주문이 안 보여요")

    phone = await world.visitor(url="https://shop.example/m")
    second = await _boot(
        phone, memberId="member-42", memberHash=member_hash(secret, "member-42").upper()
    )
    assert second["verified"] and second["token"] and second["contact"]["id"] == laptop.contact_id
    session = await phone.client.post("/api/widget/v1/session", json={})
    assert [c["id"] for c in session.json()["conversations"]] == [started["conversation"]["id"]]
    assert len(await _members(world, "member-42")) == 1

    contact = await _contact(world, laptop.contact_id)
    assert contact["verified"] and contact["member_id"] == "member-42"
    assert contact["name"] == "김민지" and contact["email"] == "minji@example.com"
    assert contact["attributes"] == {"plan": "pro", "app_version": "3.2.1"}
    # memberHash proves the member id only: name, email and profile are the page's claims.
    assert contact["signed_keys"] == []


async def test_missing_and_forged_hashes_never_become_the_member(world: World) -> None:
    secret = await _secret(world)
    owner = await world.visitor()
    await _boot(owner, memberId="vip-1", memberHash=member_hash(secret, "vip-1"), name="진짜 회원")
    await owner.start("내 대화")

    for forged in (
        {},  # missing
        {"memberHash": ""},
        {"memberHash": "0" * 64},
        {"memberHash": member_hash("wrong-secret", "vip-1")},
        {"memberHash": member_hash(secret, "vip-1")[:-1]},
    ):
        attacker = await world.visitor()
        anonymous_id = attacker.contact_id
        result = await _boot(
            attacker, memberId="vip-1", name="가짜", profile={"plan": "enterprise"}, **forged
        )
        assert not result["verified"] and result["token"] is None, forged
        assert result["problem"] in ("missing_hash", "bad_hash")
        assert result["contact"]["id"] == anonymous_id
        session = await attacker.client.post("/api/widget/v1/session", json={})
        assert session.json()["conversations"] == []
        claimed = await _contact(world, anonymous_id)
        assert not claimed["verified"] and claimed["member_id"] is None
        assert claimed["claimed_member_id"] == "vip-1"
        assert claimed["attributes"] == {"plan": "enterprise"}

    (member,) = await _members(world, "vip-1")
    assert member.name == "진짜 회원" and member.attributes == {}


async def test_replayed_hash_of_member_x_does_not_make_member_y(world: World) -> None:
    secret = await _secret(world)
    x_hash = member_hash(secret, "member-x")
    x = await world.visitor()
    await _boot(x, memberId="member-x", memberHash=x_hash)
    await x.start("X의 비밀 문의")

    y = await world.visitor()
    result = await _boot(y, memberId="member-y", memberHash=x_hash)
    assert not result["verified"] and result["problem"] == "bad_hash"
    assert await _members(world, "member-y") == []
    # ... nor does it give member X's history to a browser that claims Y.
    assert (await y.client.post("/api/widget/v1/session", json={})).json()["conversations"] == []


async def test_unverified_boot_on_a_verified_browser_leaves_the_member_alone(world: World) -> None:
    secret = await _secret(world)
    browser = await world.visitor()
    await _boot(browser, memberId="m-1", memberHash=member_hash(secret, "m-1"), name="회원")
    await browser.start("회원의 문의")
    # Someone else at the same computer claims another identity without a hash.
    result = await _boot(browser, memberId="m-2", name="다른 사람", email="other@example.com")
    assert not result["verified"] and result["token"]
    assert result["contact"]["id"] != (await _members(world, "m-1"))[0].id
    assert (await browser.client.post("/api/widget/v1/session", json={})).json()[
        "conversations"
    ] == []
    (member,) = await _members(world, "m-1")
    assert member.name == "회원" and member.email is None


async def test_member_token_signs_attributes_and_expires(world: World) -> None:
    secret = await _secret(world)
    signed_up = "2025-09-20T00:00:00+00:00"
    claims = {
        "memberId": "t-1",
        "name": "이서준",
        "email": "seojun@example.com",
        "profile": {"signedUpAt": signed_up, "plan": "basic"},
        "exp": int(time.time()) + 300,
    }
    visitor = await world.visitor()
    result = await _boot(
        visitor,
        memberToken=member_token(secret, claims),
        profile={"plan": "hacked", "color": "red"},
    )
    assert result["verified"]
    contact = await _contact(world, visitor.contact_id)
    # Signed values win over the page's; unsigned extras are kept and marked.
    assert contact["attributes"] == {"signedUpAt": signed_up, "plan": "basic", "color": "red"}
    assert set(contact["signed_keys"]) == {"name", "email", "plan", "signedUpAt"}
    assert contact["tenure"]["source"] == "signedUpAt" and contact["tenure"]["months"] >= 14

    # Replay window: the same kind of token, expired, is refused; so is a tampered one.
    expired = member_token(secret, {**claims, "exp": int(time.time()) - 1})
    late = await world.visitor()
    refused = await _boot(late, memberToken=expired)
    assert not refused["verified"] and refused["problem"] == "expired_token"
    signature = member_token(secret, claims).partition(".")[2]
    tampered = member_token(secret, {**claims, "memberId": "t-2"}).split(".")[0] + "." + signature
    assert (await _boot(await world.visitor(), memberToken=tampered))["problem"] == "bad_token"
    forever = member_token(secret, {**claims, "exp": int(time.time()) + 10 * 365 * 86400})
    assert (await _boot(await world.visitor(), memberToken=forever))["problem"] == "bad_token"
    assert len(await _members(world, "t-1")) == 1 and await _members(world, "t-2") == []


async def test_profile_limits(world: World) -> None:
    visitor = await world.visitor()
    for profile in (
        {"bad key": 1},
        {"nested": {"a": 1}},
        {"list": [1, 2]},
        {"name": "reserved"},
        {"long": "x" * 1001},
        {f"k{i}": i for i in range(51)},
    ):
        response = await visitor.client.post("/api/widget/v1/identify", json={"profile": profile})
        assert response.status_code == 422, profile
    # Without a visitor token nothing is accepted at all.
    async with httpx.AsyncClient(base_url=world.server.base_url) as anonymous:
        response = await anonymous.post("/api/widget/v1/identify", json={"memberId": "x"})
        assert response.status_code == 401


async def test_identity_secret_is_admin_only_and_rotates(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    assert (await agent.client.get(f"{world.base}/identity-verification")).status_code == 403
    before = (await owner.client.get(f"{world.base}/identity-verification")).json()["secret"]
    rotated = await owner.client.post(
        f"{world.base}/identity-verification/rotate", headers=owner.headers()
    )
    after = rotated.json()["secret"]
    assert after != before and len(after) == 64
    visitor = await world.visitor()
    old = await _boot(visitor, memberId="r-1", memberHash=member_hash(before, "r-1"))
    assert not old["verified"]
    new = await _boot(visitor, memberId="r-1", memberHash=member_hash(after, "r-1"))
    assert new["verified"]


async def test_boot_updates_the_customer_panel_live_and_tells_no_visitor(
    world: World, other_world: World
) -> None:
    secret = await _secret(world)
    visitor = await world.visitor()
    conversation_id = (await visitor.start("로그인 전 문의"))["conversation"]["id"]
    login = await world.login()
    agent_ws = await agent_socket(world, login)
    await agent_ws.until_ready()
    other_login = await other_world.login()
    other_ws = await agent_socket(other_world, other_login)
    await other_ws.until_ready()
    visitor_ws = await visitor.socket({conversation_id: 1})
    await _boot(visitor, memberId="live-1", memberHash=member_hash(secret, "live-1"), name="실시간")
    updated = await agent_ws.expect("contact.updated")
    contact = updated["data"]["contact"]
    assert contact["id"] == visitor.contact_id and contact["verified"]
    assert contact["member_id"] == "live-1" and contact["name"] == "실시간"
    assert "tenure" in contact and "identity_secret" not in str(updated)
    assert await visitor_ws.collect() == []
    assert [f for f in await other_ws.collect() if f["type"] == "contact.updated"] == []
    for ws in (agent_ws, other_ws, visitor_ws):
        await ws.close()


async def test_a_valid_hash_with_someone_elses_email_never_merges_by_email(world: World) -> None:
    secret = await _secret(world)
    b = await world.visitor()
    await _boot(b, memberId="b", memberHash=member_hash(secret, "b"), email="b@example.com")
    await b.start("B의 문의")
    a = await world.visitor()
    result = await _boot(
        a, memberId="a", memberHash=member_hash(secret, "a"), email="b@example.com"
    )
    assert result["verified"] and result["contact"]["id"] == a.contact_id != b.contact_id
    assert (await a.client.post("/api/widget/v1/session", json={})).json()["conversations"] == []
    contact = await _contact(world, a.contact_id)
    # The email is only the page's claim: stored on A's contact, marked unverified.
    assert contact["email"] == "b@example.com" and "email" not in contact["signed_keys"]
