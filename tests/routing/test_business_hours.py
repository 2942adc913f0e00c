"""Business hours: weekly schedule with a lunch break, Korean public holidays, offline intake."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sangdam.routing.schemas import BusinessHours
from sangdam.routing.service import is_open, next_opening
from tests.fixtures.factories import World, new_client_id

SEOUL = ZoneInfo("Asia/Seoul")
WEEKDAY = [["09:00", "12:00"], ["13:00", "18:00"]]
HOURS = BusinessHours.model_validate(
    {
        "timezone": "Asia/Seoul",
        "weekly": {d: WEEKDAY for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": "KR",
        "closed_dates": ["2026-12-24"],
    }
)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SEOUL)


def test_schedule_breaks_weekends_and_holidays() -> None:
    assert is_open(HOURS, at("2026-11-23 10:00"))  # a Monday morning
    assert not is_open(HOURS, at("2026-11-23 12:30"))  # lunch
    assert is_open(HOURS, at("2026-11-23 13:00"))
    assert not is_open(HOURS, at("2026-11-23 18:00"))  # closing time is exclusive
    assert not is_open(HOURS, at("2026-11-28 10:00"))  # Saturday
    assert not is_open(HOURS, at("2026-09-25 10:00"))  # Chuseok, a Friday
    assert not is_open(
        HOURS, at("2026-10-05 10:00")
    )  # alternative holiday for National Foundation Day
    assert not is_open(HOURS, at("2026-12-24 10:00"))  # a custom closed date
    assert is_open(None, at("2026-12-25 03:00"))  # no hours set: always open
    # The same instant seen from elsewhere is judged in Seoul time.
    assert is_open(HOURS, dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC))  # 10:00 KST


def test_next_opening_skips_lunch_weekends_and_holidays() -> None:
    assert next_opening(HOURS, at("2026-11-23 12:30")) == at("2026-11-23 13:00").astimezone(dt.UTC)
    assert next_opening(HOURS, at("2026-11-27 19:00")) == at("2026-11-30 09:00").astimezone(dt.UTC)
    # Wednesday evening before Chuseok: Thu-Sat are holidays, then the weekend.
    assert next_opening(HOURS, at("2026-09-23 19:00")) == at("2026-09-28 09:00").astimezone(dt.UTC)


async def test_offline_intake_outside_hours(world: World) -> None:
    login = await world.login()
    teams = (await login.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    never = {"timezone": "Asia/Seoul", "weekly": {}, "holidays": None, "closed_dates": []}
    response = await login.client.put(
        f"{world.base}/teams/{general['id']}/hours", json=never, headers=login.headers()
    )
    assert response.status_code == 200 and response.json()["open_now"] is False
    bad = await login.client.put(
        f"{world.base}/teams/{general['id']}/hours",
        json={**never, "weekly": {"mon": [["18:00", "09:00"]]}},
        headers=login.headers(),
    )
    assert bad.status_code == 422 and "not before" in bad.json()["message"]

    visitor = await world.visitor()
    session = (await visitor.client.post("/api/widget/v1/session", json={})).json()
    assert session["config"]["hours"]["open"] is False
    started = await visitor.client.post(
        "/api/widget/v1/conversations",
        json={
            "body": "견적 문의 남겨요",
            "client_id": new_client_id(),
            "email": "Buyer@Example.com",
            "context": {"offline": False, "next_open": "forged"},
        },
    )
    assert started.status_code == 201
    conversation = (
        await login.client.get(f"{world.base}/conversations/{started.json()['conversation']['id']}")
    ).json()
    assert (
        conversation["origin"]["offline"] is True
        and conversation["origin"]["email"] == "buyer@example.com"
    )
    contact = (await login.client.get(f"{world.base}/contacts/{visitor.contact_id}")).json()[
        "contact"
    ]
    assert contact["email"] == "buyer@example.com"
    wrong = await visitor.client.post(
        "/api/widget/v1/conversations",
        json={"body": "again", "client_id": new_client_id(), "email": "not an email"},
    )
    assert wrong.status_code == 400 and "email" in wrong.json()["message"]

    # A client can't mark its own message as offline while the team is open.
    cleared = await login.client.put(
        f"{world.base}/teams/{general['id']}/hours",
        content=b"null",
        headers={**login.headers(), "Content-Type": "application/json"},
    )
    assert cleared.status_code == 200 and cleared.json()["open_now"] is True, cleared.text
    open_start = await visitor.client.post(
        "/api/widget/v1/conversations",
        json={"body": "hi", "client_id": new_client_id(), "context": {"offline": True}},
    )
    detail = (
        await login.client.get(
            f"{world.base}/conversations/{open_start.json()['conversation']['id']}"
        )
    ).json()
    assert "offline" not in detail["origin"]
