"""Reports against hand-computed numbers (Asia/Seoul, UTC+9, no daylight saving).

The week of Monday 2 March 2026 — a public holiday in Korea (the alternative holiday for
Independence Movement Day) — with the General team open Mon–Fri 09:00–12:00 and
13:00–18:00 (lunch 12–13). Conversations are made through the API, then their moments are
set to the times below and measured by the same code that runs when one is resolved.

  A  Tue 03-03 08:50 wrote · 09:05 assigned · 09:10 reply · 09:30 resolved · rated 5
  B  Wed 03-04 11:50 wrote · 13:10 reply (over lunch) · 13:20 resolved · rated 2
  C  Mon 03-02 10:00 wrote (holiday) · Tue 09:00 reply · 09:30 resolved · rated 4
  D  Sun 03-08 23:30 wrote, with the bot (answered, helpful); tagged 불만 like A
  E  Mon 03-09 00:10 — outside the range (still Sunday in UTC, like D)
  F  Sat 02-28 10:00 — the previous period
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from sangdam.bot.models import BotEvent
from sangdam.conversations.models import Conversation
from sangdam.conversations.service import load
from sangdam.csat.models import Rating
from sangdam.messages.models import Message
from sangdam.reports.models import ConversationTimes
from sangdam.reports.service import record_times
from sangdam.routing.models import AssignmentEvent
from tests.automation.conftest import make_tag
from tests.fixtures.factories import AgentLogin, Visitor, World

KST = dt.timezone(dt.timedelta(hours=9))
RANGE = "from=2026-03-02&to=2026-03-08"


def kst(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=KST).astimezone(dt.UTC)


async def _conversation(world: World, body: str, url: str | None = None) -> tuple[int, Visitor]:
    visitor = await world.visitor()
    conversation_id = int((await visitor.start(body))["conversation"]["id"])
    if url:
        # Where it started (the widget sends the page with the first message).
        async with world.server.db.transaction() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(origin={"url": url})
            )
    return conversation_id, visitor


async def _post(login: AgentLogin, world: World, path: str, body: Any) -> Any:
    response = await login.client.post(f"{world.base}/{path}", json=body, headers=login.headers())
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _at(world: World, conversation_id: int, **moments: Any) -> None:
    """Set a conversation's moments: created, the customer's first message, the agent's
    reply, the first assignment, the resolution; then measure it as resolving does."""
    async with world.server.db.transaction() as session:
        values: dict[str, Any] = {"created_at": moments["wrote"], "handed_off_at": None}
        if "category" in moments:
            values["category"] = moments["category"]
        await session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(**values)
        )
        await session.execute(
            update(Message)
            .where(Message.conversation_id == conversation_id, Message.sender_type == "contact")
            .values(created_at=moments["wrote"])
        )
        if "reply" in moments:
            await session.execute(
                update(Message)
                .where(Message.conversation_id == conversation_id, Message.sender_type == "agent")
                .values(created_at=moments["reply"])
            )
        if "assigned" in moments:
            await session.execute(
                update(AssignmentEvent)
                .where(AssignmentEvent.conversation_id == conversation_id)
                .values(created_at=moments["assigned"])
            )
        if "resolved" in moments:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(resolved_at=moments["resolved"])
            )
            conversation, _ = await load(session, world.workspace.id, conversation_id)
            await session.refresh(conversation)
            await record_times(session, conversation)
        if "rated" in moments:
            await session.execute(
                update(Rating)
                .where(Rating.conversation_id == conversation_id)
                .values(created_at=moments["rated"])
            )


async def _week(world: World) -> dict[str, Any]:
    """The week above; returns the ids and the tag."""
    login = await world.login()
    teams = (await login.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    hours = {
        "timezone": "Asia/Seoul",
        "holidays": "KR",
        "weekly": {
            day: [["09:00", "12:00"], ["13:00", "18:00"]]
            for day in ("mon", "tue", "wed", "thu", "fri")
        },
    }
    changed = await login.client.put(
        f"{world.base}/teams/{general['id']}/hours", json=hours, headers=login.headers()
    )
    assert changed.status_code == 200, changed.text
    unhappy = await make_tag(login, world, "불만")
    ids: dict[str, Any] = {"login": login, "tag": unhappy, "team": general["id"]}
    pricing = "https://shop.example.com/pricing"
    for name, body, url in (
        ("A", "요금제 변경하고 싶어요", f"{pricing}?utm_source=ad"),
        ("B", "결제가 두 번 됐어요", f"{pricing}#plans"),
        ("C", "연휴에 문의 남겨요", None),
        ("D", "기능 문의", None),
        ("E", "다음 주 문의", None),
        ("F", "지난주 문의", None),
    ):
        ids[name], ids[f"visitor {name}"] = await _conversation(world, body, url)
    for name in ("A", "B", "C"):
        await _post(login, world, f"conversations/{ids[name]}/messages", {"body": "답변드립니다"})
    await _post(login, world, f"conversations/{ids['A']}/assignee", {"agent_id": login.agent_id})
    for name in ("A", "D"):
        await _post(login, world, f"conversations/{ids[name]}/tags", {"tag_id": unhappy})
    for name, score in (("A", 5), ("B", 2), ("C", 4)):
        await _post(login, world, f"conversations/{ids[name]}/status", {"status": "resolved"})
        rated = await ids[f"visitor {name}"].client.post(
            f"/api/widget/v1/conversations/{ids[name]}/rating", json={"score": score}
        )
        assert rated.status_code == 201, rated.text
    async with world.server.db.transaction() as session:
        # Resolving measured each conversation already, in its own transaction.
        for name in ("A", "B", "C"):
            assert await session.get(ConversationTimes, ids[name]) is not None
    await _at(
        world,
        ids["A"],
        wrote=kst(3, 8, 50),
        assigned=kst(3, 9, 5),
        reply=kst(3, 9, 10),
        resolved=kst(3, 9, 30),
        rated=kst(3, 10),
        category="이용가격",
    )
    await _at(
        world,
        ids["B"],
        wrote=kst(4, 11, 50),
        reply=kst(4, 13, 10),
        resolved=kst(4, 13, 20),
        rated=kst(4, 14),
        category="이용가격",
    )
    await _at(
        world, ids["C"], wrote=kst(2, 10), reply=kst(3, 9), resolved=kst(3, 9, 30), rated=kst(5, 9)
    )
    await _at(world, ids["D"], wrote=kst(8, 23, 30), category="제품기능")
    await _at(world, ids["E"], wrote=kst(9, 0, 10))
    await _at(world, ids["F"], wrote=kst(28, 10, month=2))
    async with world.server.db.transaction() as session:
        for kind in ("question", "answered", "helpful"):
            session.add(
                BotEvent(
                    workspace_id=world.workspace.id,
                    conversation_id=ids["D"],
                    kind=kind,
                    created_at=kst(8, 23, 31),
                )
            )
    return ids


async def _get(world: World, login: AgentLogin, path: str) -> Any:
    response = await login.client.get(f"{world.base}/{path}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_volume_by_day_and_hour_in_the_workspace_zone(world: World) -> None:
    ids = await _week(world)
    login = ids["login"]
    volume = await _get(world, login, f"reports/volume?{RANGE}")
    assert [(d["date"], d["conversations"]) for d in volume["days"]] == [
        ("2026-03-02", 1),
        ("2026-03-03", 1),
        ("2026-03-04", 1),
        ("2026-03-05", 0),
        ("2026-03-06", 0),
        ("2026-03-07", 0),
        ("2026-03-08", 1),
    ]
    assert (volume["total"], volume["previous_total"]) == (4, 1)
    cells = {
        (weekday, hour): n
        for weekday, row in enumerate(volume["heatmap"])
        for hour, n in enumerate(row)
        if n
    }
    # C Mon 10h, A Tue 8h (23:50 UTC on Monday), B Wed 11h, D Sun 23h.
    assert cells == {(0, 10): 1, (1, 8): 1, (2, 11): 1, (6, 23): 1}

    # Behind the bars: the conversations of a day, of a heatmap cell.
    day = await _get(world, login, f"reports/conversations?{RANGE}&day=2026-03-03")
    assert [c["id"] for c in day["conversations"]] == [ids["A"]]
    cell = await _get(world, login, f"reports/conversations?{RANGE}&weekday=6&hour=23")
    assert [c["id"] for c in cell["conversations"]] == [ids["D"]]


async def test_breakdowns_with_the_previous_period(world: World) -> None:
    ids = await _week(world)
    login = ids["login"]

    async def rows(by: str) -> list[tuple[Any, int]]:
        data = await _get(world, login, f"reports/breakdown?{RANGE}&by={by}")
        return [(r["label"], r["conversations"]) for r in data["rows"]]

    assert await rows("category") == [("이용가격", 2), ("제품기능", 1), (None, 1)]
    assert await rows("tag") == [("불만", 2)]
    assert await rows("channel") == [("web_widget", 4)]
    assert await rows("entry_page") == [("https://shop.example.com/pricing", 2), (None, 2)]
    agents = await _get(world, login, f"reports/breakdown?{RANGE}&by=agent")
    assert [(r["key"], r["conversations"]) for r in agents["rows"]] == [
        (None, 3),
        (login.agent_id, 1),
    ]
    teams = await _get(world, login, f"reports/breakdown?{RANGE}&by=team")
    assert [(r["key"], r["conversations"], r["previous"]) for r in teams["rows"]] == [
        (ids["team"], 4, 1)
    ]
    behind = await _get(
        world, login, f"reports/conversations?{RANGE}&dimension=category&value=이용가격"
    )
    assert [c["id"] for c in behind["conversations"]] == [ids["B"], ids["A"]]
    tagged = await _get(
        world, login, f"reports/conversations?{RANGE}&dimension=tag&value={ids['tag']}"
    )
    assert [c["id"] for c in tagged["conversations"]] == [ids["D"], ids["A"]]
    page = await _get(
        world,
        login,
        f"reports/conversations?{RANGE}&dimension=entry_page&value=https://shop.example.com/pricing",
    )
    assert [c["id"] for c in page["conversations"]] == [ids["B"], ids["A"]]
    wildcard = await _get(
        world,
        login,
        f"reports/conversations?{RANGE}&dimension=entry_page&value=https://shop.example.com/pr%25",
    )
    assert wildcard["conversations"] == []

    funnel = await _get(world, login, f"reports/bot-funnel?{RANGE}")
    assert funnel["steps"] == {
        "started": 1,
        "answered": 1,
        "helped": 1,
        "handed_off": 0,
        "resolved": 0,
        "bot_resolved": 1,
    }


async def test_times_in_hours_and_in_business_hours(world: World) -> None:
    ids = await _week(world)
    times = (await _get(world, ids["login"], f"reports/times?{RANGE}"))["times"]
    # First response, from when the customer asked: A 20 min (10 within hours: opens 9:00),
    # B 80 min (20 within hours: lunch 12–13 is closed), C 23 h (0: Monday is a holiday).
    assert times["first_response_s"] == {
        "count": 3,
        "mean": 29600.0,
        "median": 4800.0,
        "p90": 67200.0,
    }
    assert times["first_response_bh_s"] == {
        "count": 3,
        "mean": 600.0,
        "median": 600.0,
        "p90": 1080.0,
    }
    # Wait in queue, to the first assignment (A 15 min, 5 within hours) or reply.
    assert times["wait_s"]["median"] == 4800.0 and times["wait_bh_s"]["median"] == 300.0
    # Resolution: A 40 min (30 in hours), B 90 min (30), C 23.5 h (30, all on Tuesday).
    assert times["resolution_s"] == {
        "count": 3,
        "mean": (2400 + 5400 + 84600) / 3,
        "median": 5400.0,
        "p90": 5400 + (84600 - 5400) * 0.8,
    }
    assert times["resolution_bh_s"]["median"] == 1800.0
    assert times["resolution_bh_s"]["mean"] == 1800.0
    # One answered message each: the reply times equal the first responses here.
    assert times["reply_avg_s"]["median"] == 4800.0
    assert times["reply_avg_bh_s"]["p90"] == 1080.0


async def test_csat_overall_and_by_agent_tag_and_week(world: World) -> None:
    ids = await _week(world)
    login = ids["login"]
    overall = await _get(world, login, f"reports/csat?{RANGE}&by=week")
    assert overall["overall"] == {
        "key": None,
        "label": None,
        "ratings": 3,
        "satisfied": 2,
        "csat": 66.7,
        "average": 3.67,
    }
    assert [(r["key"], r["ratings"]) for r in overall["rows"]] == [("2026-03-02", 3)]
    by_agent = await _get(world, login, f"reports/csat?{RANGE}&by=agent")
    assert [(r["key"], r["ratings"], r["csat"]) for r in by_agent["rows"]] == [
        (None, 2, 50.0),
        (login.agent_id, 1, 100.0),
    ]
    by_tag = await _get(world, login, f"reports/csat?{RANGE}&by=tag")
    assert [(r["label"], r["ratings"], r["average"]) for r in by_tag["rows"]] == [("불만", 1, 5.0)]
    agents = (await _get(world, login, f"reports/agents?{RANGE}"))["rows"]
    assert [
        (a["agent_id"], a["conversations"], a["first_response_median"], a["csat"]) for a in agents
    ] == [(login.agent_id, 1, 1200.0, 100.0)]


async def test_csv_opens_in_excel_with_korean_intact(world: World) -> None:
    ids = await _week(world)
    response = await ids["login"].client.get(
        f"{world.base}/reports/export?{RANGE}&report=breakdown&by=category"
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "category,key,conversations,previous"
    assert lines[1] == "이용가격,이용가격,2,0"
    volume = await ids["login"].client.get(f"{world.base}/reports/export?{RANGE}&report=volume")
    assert volume.content.decode("utf-8-sig").splitlines()[1:3] == ["2026-03-02,1", "2026-03-03,1"]

    # A page address the visitor's browser made up stays text in Excel, never a formula.
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == ids["C"])
            .values(origin={"url": '=HYPERLINK("https://evil.example")'})
        )
    pages = await ids["login"].client.get(
        f"{world.base}/reports/export?{RANGE}&report=breakdown&by=entry_page"
    )
    rows = pages.content.decode("utf-8-sig").splitlines()
    assert (
        '"\'=HYPERLINK(""https://evil.example"")","\'=HYPERLINK(""https://evil.example"")",1,0'
        in rows
    )


async def test_reports_are_for_admins_and_check_their_range(world: World) -> None:
    agent = await world.login(world.agent)
    assert (await agent.client.get(f"{world.base}/reports/volume")).status_code == 403
    assert (await agent.client.get(f"{world.base}/monitor")).status_code == 403
    owner = await world.login()
    backwards = await owner.client.get(f"{world.base}/reports/volume?from=2026-03-08&to=2026-03-01")
    assert backwards.status_code == 400 and "2026-03-08" in backwards.json()["message"]
    too_long = await owner.client.get(f"{world.base}/reports/volume?from=2024-01-01&to=2026-03-01")
    assert too_long.status_code == 400
    assert (await owner.client.get(f"{world.base}/reports/breakdown?by=nothing")).status_code == 422
