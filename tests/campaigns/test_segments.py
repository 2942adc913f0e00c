"""Segments: every condition kind over the same customers, on SQLite and on PostgreSQL
(the ``server`` fixture runs each test on both), AND/OR groups, and refusals."""

from __future__ import annotations

from typing import Any

from tests.campaigns.conftest import add_contact, add_tag, ago, make_segment, preview
from tests.fixtures.factories import World


async def _customers(world: World) -> tuple[dict[str, int], int]:
    vip = await add_tag(world, "VIP")
    ids = {
        # A verified premium member, seen 2 days ago, who hit a failed order this week.
        "premium_recent": await add_contact(
            world,
            attributes={"plan": "premium", "seats": 12, "renews": "2026-12-20", "beta": True},
            signed_keys=["plan"],
            member_id="m-1",
            verified_at=ago(30),
            locale="ko-KR",
            last_seen_at=ago(2),
            visits=5,
            tags=(vip,),
            events=(("event", "order_failed", 3), ("page_view", "https://shop.example/pricing", 1)),
        ),
        # Claims premium from the browser (unsigned); seats is text, not a number.
        "premium_stale": await add_contact(
            world,
            attributes={"plan": "premium", "seats": "12"},
            locale="en-US",
            last_seen_at=ago(30),
            visits=1,
            events=(("event", "order_failed", 20),),
        ),
        "free": await add_contact(
            world,
            attributes={"plan": "free", "seats": 1, "renews": "2025-01-05", "beta": False},
            locale="ko",
            last_seen_at=ago(1),
            visits=2,
        ),
        "bare": await add_contact(world, last_seen_at=ago(400), visits=1),
        # Values of the wrong type for every typed condition.
        "tricky": await add_contact(
            world,
            attributes={"plan": "Premium Plus", "seats": 12.5, "renews": "soon", "beta": "true"},
            locale="kok",
            last_seen_at=ago(5),
            visits=1,
        ),
    }
    return ids, vip


def _attr(key: str, value_type: str, op: str, value: Any = None, **more: Any) -> dict[str, Any]:
    return {
        "type": "attribute",
        "key": key,
        "value_type": value_type,
        "op": op,
        "value": value,
        **more,
    }


def _all(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"match": "all", "conditions": list(conditions)}


async def test_each_condition_matches_the_same_customers_on_both_databases(
    world: World, other_world: World
) -> None:
    ids, vip = await _customers(world)
    # Another workspace's premium member never shows up here.
    await add_contact(other_world, attributes={"plan": "premium"}, last_seen_at=ago(1))
    everyone = set(ids)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        (_all(_attr("plan", "text", "=", "premium")), {"premium_recent", "premium_stale"}),
        (_all(_attr("plan", "text", "=", "premium", signed_only=True)), {"premium_recent"}),
        (_all(_attr("plan", "text", "!=", "premium")), {"free", "tricky"}),
        (
            _all(_attr("plan", "text", "contains", "PREM")),
            {"premium_recent", "premium_stale", "tricky"},
        ),
        (_all(_attr("seats", "number", ">", 10)), {"premium_recent", "tricky"}),
        (_all(_attr("seats", "number", "<=", 12)), {"premium_recent", "free"}),
        (_all(_attr("seats", "number", "!=", 1)), {"premium_recent", "tricky"}),
        (_all(_attr("renews", "date", "after", "2026-01-01")), {"premium_recent"}),
        (_all(_attr("renews", "date", "before", "2026-01-01")), {"free"}),
        (_all(_attr("renews", "date", "=", "2025-01-05")), {"free"}),
        (_all(_attr("beta", "boolean", "=", True)), {"premium_recent"}),
        (_all(_attr("beta", "boolean", "=", False)), {"free"}),
        (_all(_attr("beta", "boolean", "exists")), {"premium_recent", "free"}),
        (_all(_attr("plan", "text", "not_exists")), {"bare"}),
        (_all({"type": "tag", "tag_id": vip}), {"premium_recent"}),
        (_all({"type": "tag", "tag_id": vip, "present": False}), everyone - {"premium_recent"}),
        (_all({"type": "event", "name": "order_failed", "within_days": 7}), {"premium_recent"}),
        (
            _all({"type": "event", "name": "order_failed", "within_days": 30}),
            {"premium_recent", "premium_stale"},
        ),
        (
            _all({"type": "event", "name": "order_failed", "within_days": 7, "did": False}),
            everyone - {"premium_recent"},
        ),
        (
            _all({"type": "page_view", "url_contains": "/pricing", "within_days": 7}),
            {"premium_recent"},
        ),
        (
            _all({"type": "last_seen", "op": "within_days", "days": 10}),
            {"premium_recent", "free", "tricky"},
        ),
        (
            _all({"type": "last_seen", "op": "more_than_days_ago", "days": 10}),
            {"premium_stale", "bare"},
        ),
        (_all({"type": "language", "any_of": ["ko"]}), {"premium_recent", "free"}),
        (_all({"type": "visits", "op": ">=", "value": 2}), {"premium_recent", "free"}),
        (_all({"type": "member"}), {"premium_recent"}),
        # The audience: premium members seen in the last 10 days.
        (
            _all(
                _attr("plan", "text", "=", "premium", signed_only=True),
                {"type": "last_seen", "op": "within_days", "days": 10},
            ),
            {"premium_recent"},
        ),
        # premium and (seen in 10 days or failed an order in 30)
        (
            _all(
                _attr("plan", "text", "=", "premium"),
                {
                    "type": "group",
                    "match": "any",
                    "conditions": [
                        {"type": "last_seen", "op": "within_days", "days": 10},
                        {"type": "event", "name": "order_failed", "within_days": 30},
                    ],
                },
            ),
            {"premium_recent", "premium_stale"},
        ),
        (
            {
                "match": "any",
                "conditions": [
                    {"type": "language", "any_of": ["en"]},
                    {
                        "type": "group",
                        "match": "all",
                        "conditions": [
                            {"type": "language", "any_of": ["ko"]},
                            _attr("plan", "text", "=", "free"),
                        ],
                    },
                ],
            },
            {"premium_stale", "free"},
        ),
        ({"match": "all", "conditions": []}, everyone),
    ]
    login = await world.login()
    names = {contact_id: name for name, contact_id in ids.items()}
    for segment_filter, expected in cases:
        result = await preview(login, world, segment_filter)
        got = {names.get(c["id"], f"foreign {c['id']}") for c in result["contacts"]}
        assert (got, result["count"]) == (expected, len(expected)), segment_filter


async def test_a_saved_segment_previews_like_its_filter(world: World) -> None:
    ids, _ = await _customers(world)
    login = await world.login()
    segment_filter = _all(_attr("plan", "text", "=", "premium"))
    segment_id = await make_segment(login, world, segment_filter)
    response = await login.client.get(
        f"{world.base}/segments/{segment_id}/preview", headers=login.headers()
    )
    assert response.status_code == 200
    assert response.json()["count"] == 2
    # Most recently seen first.
    assert [c["id"] for c in response.json()["contacts"]] == [
        ids["premium_recent"],
        ids["premium_stale"],
    ]


async def test_bad_filters_are_refused_with_what_is_wrong(world: World, other_world: World) -> None:
    login = await world.login()
    foreign_tag = await add_tag(other_world, "VIP")
    bad: list[tuple[dict[str, Any], int, str]] = [
        (_all(_attr("seats", "number", "contains", "1")), 400, "does not apply to number"),
        (_all(_attr("seats", "number", ">", "many")), 400, "is not a number"),
        (_all(_attr("renews", "date", "after", "next week")), 400, "is not a date"),
        (_all(_attr("beta", "boolean", "=", "yes")), 400, "true or false"),
        (_all(_attr("plan.name", "text", "=", "x")), 422, "key"),
        (_all(_attr("plan", "text", "=")), 400, "needs a value"),
        (_all({"type": "shoe_size"}), 422, ""),
        (_all({"type": "tag", "tag_id": foreign_tag}), 400, "does not exist in this workspace"),
    ]
    for segment_filter, status, words in bad:
        for path, body in (
            ("/segments/preview", segment_filter),
            ("/segments", {"name": "x", "filter": segment_filter}),
        ):
            response = await login.client.post(
                f"{world.base}{path}", json=body, headers=login.headers()
            )
            assert response.status_code == status, (segment_filter, response.text)
            assert words in response.text, response.text
    # Segments are for admins.
    agent = await world.login(world.agent)
    response = await agent.client.post(
        f"{world.base}/segments/preview", json=_all(), headers=agent.headers()
    )
    assert response.status_code == 403


async def test_a_segment_stays_in_its_workspace(world: World, other_world: World) -> None:
    login = await world.login()
    other = await other_world.login()
    segment_id = await make_segment(login, world, _all(_attr("plan", "text", "=", "premium")))
    body = {"name": "mine now", "filter": _all()}
    for method, path, payload in (
        ("GET", f"/segments/{segment_id}", None),
        ("GET", f"/segments/{segment_id}/preview", None),
        ("PUT", f"/segments/{segment_id}", body),
        ("DELETE", f"/segments/{segment_id}", None),
    ):
        response = await other.client.request(
            method, f"{other_world.base}{path}", json=payload, headers=other.headers()
        )
        assert response.status_code == 404, (method, path, response.text)
    listed = await other.client.get(f"{other_world.base}/segments", headers=other.headers())
    assert listed.json() == []
    mine = await login.client.get(f"{world.base}/segments/{segment_id}", headers=login.headers())
    assert mine.json()["name"] == "segment"
