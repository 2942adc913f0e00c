"""The customer list, customer page and events: search, filters, pages, tenant walls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from sangdam.contacts.models import Contact, ContactEvent
from sangdam.contacts.service import member_hash
from sangdam.contacts.tasks import purge_old_events
from sangdam.workspaces.models import Workspace
from tests.fixtures.factories import AgentLogin, Visitor, World


async def _member(world: World, member_id: str, **identity: Any) -> Visitor:
    async with world.server.db.read() as session:
        workspace = await session.get(Workspace, world.workspace.id)
        assert workspace is not None
        secret = workspace.identity_secret
    visitor = await world.visitor(url="https://shop.example/")
    response = await visitor.client.post(
        "/api/widget/v1/identify",
        json={"memberId": member_id, "memberHash": member_hash(secret, member_id), **identity},
    )
    assert response.status_code == 200 and response.json()["verified"], response.text
    return visitor


async def _list(login: AgentLogin, world: World, query: str = "") -> dict[str, Any]:
    response = await login.client.get(f"{world.base}/contacts?{query}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _ids(page: dict[str, Any]) -> set[int]:
    return {c["id"] for c in page["contacts"]}


async def test_search_filters_and_pages(world: World) -> None:
    login = await world.login()
    minji = await _member(
        world, "u-100", name="김민지", email="minji@cafe.kr", profile={"plan": "pro"}
    )
    john = await _member(
        world,
        "u-200",
        name="John Smith",
        email="john@example.com",
        profile={"plan": "free", "vip": True},
    )
    anonymous = await world.visitor()
    claimer = await world.visitor()
    await claimer.client.post(
        "/api/widget/v1/identify", json={"memberId": "u-999", "name": "민지인척"}
    )

    assert _ids(await _list(login, world, "q=민지")) == {minji.contact_id, claimer.contact_id}
    assert _ids(await _list(login, world, "q=JOHN")) == {john.contact_id}
    assert _ids(await _list(login, world, "q=u-200")) == {john.contact_id}
    assert _ids(await _list(login, world, "q=u-999")) == {claimer.contact_id}
    assert _ids(await _list(login, world, "q=%25")) == set()  # wildcards are literal
    assert _ids(await _list(login, world, "q=cafe.kr")) == {minji.contact_id}
    assert _ids(await _list(login, world, "verified=true")) == {minji.contact_id, john.contact_id}
    assert _ids(await _list(login, world, "attr=plan:pro")) == {minji.contact_id}
    assert _ids(await _list(login, world, "attr=plan:free&q=john")) == {john.contact_id}
    bad = await login.client.get(f"{world.base}/contacts?attr=plan')--:x")
    assert bad.status_code == 400
    everyone = {minji.contact_id, john.contact_id, anonymous.contact_id, claimer.contact_id}

    async with world.server.db.transaction() as session:
        await session.execute(
            update(Contact)
            .where(Contact.id == anonymous.contact_id)
            .values(last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
        )
    assert _ids(await _list(login, world, "seen_within_days=30")) == everyone - {
        anonymous.contact_id
    }

    # Pagination: two at a time, newest seen first, every contact exactly once.
    seen: list[int] = []
    cursor = ""
    while True:
        page = await _list(login, world, f"limit=2{cursor}")
        seen += [c["id"] for c in page["contacts"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor'].replace('+', '%2B')}"
    assert sorted(seen) == sorted(everyone) and len(seen) == len(everyone)


async def test_page_views_and_tracked_events(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor(url="https://shop.example/", title="홈")
    await visitor.client.post(
        "/api/widget/v1/session", json={"url": "https://shop.example/pricing", "title": "요금제"}
    )
    response = await visitor.client.post(
        "/api/widget/v1/events",
        json={
            "event": "checkout_started",
            "props": {"amount": 39000, "plan": "pro"},
            "context": {"url": "https://shop.example/checkout"},
        },
    )
    assert response.status_code == 204, response.text
    for bad in (
        {"event": ""},
        {"event": "x" * 81},
        {"event": "ok", "props": {"deep": {"a": 1}}},
        {"event": "ok", "props": {f"k{i}": i for i in range(21)}},
        {"event": "ok", "props": {"big": "x" * 501}},
    ):
        assert (await visitor.client.post("/api/widget/v1/events", json=bad)).status_code == 422

    detail = (await login.client.get(f"{world.base}/contacts/{visitor.contact_id}")).json()
    assert [v["url"] for v in detail["page_views"]] == [
        "https://shop.example/pricing",
        "https://shop.example/",
    ]
    (event,) = detail["events"]
    assert event["name"] == "checkout_started" and event["props"] == {
        "amount": 39000,
        "plan": "pro",
    }
    assert detail["contact"]["tenure"]["source"] == "first_seen"

    page = (
        await login.client.get(f"{world.base}/contacts/{visitor.contact_id}/events?limit=1")
    ).json()
    assert len(page["events"]) == 1 and page["next_before"]
    older = await login.client.get(
        f"{world.base}/contacts/{visitor.contact_id}/events?limit=5&before={page['next_before']}"
    )
    assert len(older.json()["events"]) == 2


async def test_track_is_rate_limited(world: World) -> None:
    limits = world.server.settings.contacts
    limits.events_per_minute = 3
    try:
        visitor = await world.visitor()
        codes = [
            (
                await visitor.client.post("/api/widget/v1/events", json={"event": f"e{i}"})
            ).status_code
            for i in range(5)
        ]
        assert codes == [204, 204, 204, 429, 429]
    finally:
        limits.events_per_minute = 60


async def test_old_events_are_purged(world: World) -> None:
    visitor = await world.visitor(url="https://shop.example/old")
    await visitor.client.post("/api/widget/v1/events", json={"event": "recent"})
    async with world.server.db.transaction() as session:
        await session.execute(
            update(ContactEvent)
            .where(ContactEvent.contact_id == visitor.contact_id, ContactEvent.kind == "page_view")
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=200))
        )
    assert await purge_old_events(world.server.db, 180) >= 1
    login = await world.login()
    detail = (await login.client.get(f"{world.base}/contacts/{visitor.contact_id}")).json()
    assert detail["page_views"] == [] and [e["name"] for e in detail["events"]] == ["recent"]


async def test_other_workspaces_customers_are_not_found(world: World, other_world: World) -> None:
    visitor = await _member(world, "secret-member", name="비밀 고객")
    tracked = await visitor.client.post("/api/widget/v1/events", json={"event": "secret"})
    assert tracked.status_code == 204, tracked.text
    intruder = await other_world.login()
    for path in (
        f"/contacts/{visitor.contact_id}",
        f"/contacts/{visitor.contact_id}/events",
        f"/contacts/{visitor.contact_id}/external-data",
    ):
        response = await intruder.client.get(f"{other_world.base}{path}")
        assert response.status_code == 404, path
        # Their session on our workspace's path is refused the same way.
        response = await intruder.client.get(f"{world.base}{path}")
        assert response.status_code == 404, path
    listing = await _list(intruder, other_world, "q=비밀")
    assert listing["contacts"] == []
    assert (await intruder.client.get(f"{world.base}/contacts")).status_code == 404
    # An API token of the other workspace can't read ours either.
    created = await intruder.client.post(
        f"{other_world.base}/api-tokens", json={"name": "CRM"}, headers=intruder.headers()
    )
    token = created.json()["token"]
    import httpx

    async with httpx.AsyncClient(
        base_url=world.server.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        assert (await api.get(f"{world.base}/contacts/{visitor.contact_id}")).status_code == 404
        assert (await api.get(f"{world.base}/contacts")).status_code == 404
        assert (await api.get(f"{other_world.base}/contacts")).status_code == 200


async def test_the_list_filters_by_customer_tag(world: World, other_world: World) -> None:
    login = await world.login()
    vip = (
        await login.client.post(f"{world.base}/tags", json={"name": "VIP"}, headers=login.headers())
    ).json()["id"]
    tagged, untagged = await world.visitor(), await world.visitor()
    for visitor in (tagged, untagged):
        await visitor.start("안녕하세요")
    added = await login.client.post(
        f"{world.base}/contacts/{tagged.contact_id}/tags",
        json={"tag_id": vip},
        headers=login.headers(),
    )
    assert added.status_code == 200, added.text
    assert _ids(await _list(login, world, f"tag_id={vip}")) == {tagged.contact_id}
    assert {tagged.contact_id, untagged.contact_id} <= _ids(await _list(login, world))

    # Another workspace's agent asking with this tag id sees none of these customers.
    other = await other_world.login()
    response = await other.client.get(f"{other_world.base}/contacts?tag_id={vip}")
    assert response.status_code == 200
    assert response.json()["contacts"] == []
