"""Outside business hours: the bot says when people are back and that the answer comes by
email, and the customer can leave an address at any point of the chat."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sangdam.conversations.models import Conversation
from sangdam.inboxes.models import ChannelType
from sangdam.inboxes.service import reply_channel
from tests.fixtures.factories import AgentLogin, Visitor, World, import_demo_faq, new_client_id

SEOUL = ZoneInfo("Asia/Seoul")


async def close_until_the_day_after_tomorrow(login: AgentLogin, world: World) -> dt.datetime:
    """Weekdays 9-18 in Seoul, but closed yesterday, today and tomorrow: returns the next
    opening (9:00 the day after tomorrow, or the first weekday after it)."""
    teams = (await login.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    today = dt.datetime.now(SEOUL).date()
    closed = [today + dt.timedelta(days=d) for d in (-1, 0, 1)]
    hours = {
        "timezone": "Asia/Seoul",
        "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": None,
        "closed_dates": [d.isoformat() for d in closed],
    }
    response = await login.client.put(
        f"{world.base}/teams/{general['id']}/hours", json=hours, headers=login.headers()
    )
    assert response.status_code == 200, response.text
    day = today + dt.timedelta(days=2)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9), tzinfo=SEOUL)


async def _press(visitor: Visitor, conversation_id: int, button: str) -> None:
    response = await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation_id}/messages",
        json={"client_id": new_client_id(), "button": button},
    )
    assert response.status_code == 201, response.text


async def _messages(visitor: Visitor, conversation_id: int) -> list[dict[str, Any]]:
    response = await visitor.client.get(f"/api/widget/v1/conversations/{conversation_id}/messages")
    return response.json()["messages"]  # type: ignore[no-any-return]


async def test_handoff_while_closed_says_when_and_asks_for_an_address(world: World) -> None:
    login = await import_demo_faq(world)
    opening = await close_until_the_day_after_tomorrow(login, world)
    visitor = await world.visitor(locale="ko-KR")

    # Closed: the widget is told so, and its greeting promises no quick answer.
    config = (await visitor.client.post("/api/widget/v1/session", json={})).json()["config"]
    assert config["hours"]["open"] is False
    assert dt.datetime.fromisoformat(config["hours"]["next_open"]) == opening
    # The team's zone, so the widget says when in the team's time and the customer's.
    assert config["hours"]["timezone"] == "Asia/Seoul"
    assert "몇 분" in config["greeting"]["ko"] and "몇 분" not in config["away_greeting"]["ko"]
    assert "minutes" not in config["away_greeting"]["en"]

    # The visitor taps a topic first (no address asked yet), then asks for a person.
    started = await visitor.client.post(
        "/api/widget/v1/conversations",
        json={"client_id": new_client_id(), "button": "cat:이용가격"},
    )
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]
    await _press(visitor, conversation_id, "human")
    said = (await _messages(visitor, conversation_id))[-1]
    assert said["sender_type"] == "bot"
    assert "상담원을 연결해 드릴게요" not in said["body"]
    assert said["body"].startswith("지금은 상담 시간이 아니에요.")
    assert "오전 9:00부터" in said["body"] and "이메일" in said["body"]
    away = said["content"]["away"]
    assert dt.datetime.fromisoformat(away["next_open"]) == opening
    assert "{when}" in away["template"]

    # It is an offline message now; with no address yet, replies cannot leave the widget.
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["origin"]["offline"] is True and "email" not in detail["origin"]

    # The address, left after the handoff, is where the answer goes.
    bad = await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation_id}/email", json={"email": "밤에 연락주세요"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_email"
    left = await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation_id}/email",
        json={"email": " Night-Owl@Example.com "},
    )
    assert left.status_code == 200, left.text
    assert left.json()["email"] == "night-owl@example.com"
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["origin"]["email"] == "night-owl@example.com"
    async with world.server.db.read() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        assert reply_channel(conversation) == ChannelType.EMAIL

    # Another visitor's conversation is "not found".
    stranger = await world.visitor()
    refused = await stranger.client.post(
        f"/api/widget/v1/conversations/{conversation_id}/email", json={"email": "x@example.com"}
    )
    assert refused.status_code == 404


async def test_handoff_in_english_while_open_still_connects(world: World) -> None:
    await import_demo_faq(world)
    visitor = await world.visitor(locale="en-US")
    started = await visitor.start("I want to talk to a person")
    said = (await _messages(visitor, started["conversation"]["id"]))[-1]
    assert said["sender_type"] == "bot"
    assert said["body"] == "I'm connecting you with a person. One moment, please."
    assert "away" not in said["content"]
