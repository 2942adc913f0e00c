"""Reports: volume, breakdowns, the bot funnel, response and resolution times, CSAT.

A report covers a date range in the workspace's time zone (both days included) and is
compared with the range of the same length just before it. Conversations count in the
range they started in; ratings in the range they were given. Times come from
``conversation_times``, written when a conversation is resolved (``record_times``).
Definitions: docs/reports.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.conversations.models import Conversation
from sangdam.csat import service as csat_service
from sangdam.db import utcnow
from sangdam.kit.errors import BadRequest
from sangdam.messages.models import MessageKind, SenderType
from sangdam.reactions.schemas import ConversationResolved
from sangdam.reports.models import ConversationTimes
from sangdam.reports.repository import (
    BUCKET_SECONDS,
    TIME_COLUMNS,
    MonitorRepository,
    ReportRepository,
    Span,
    dimension_filter,
)
from sangdam.routing.repository import RoutingRepository
from sangdam.routing.service import business_seconds, is_present, team_hours
from sangdam.workspaces.models import Workspace

MAX_DAYS = 366
DIMENSIONS = ("category", "tag", "contact_tag", "agent", "team", "channel", "entry_page")
CSAT_DIMENSIONS = ("agent", "team", "tag", "week")
ENTRY_PAGES_SHOWN = 50


# ---- the date range -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days ``first``..``last`` (both included) in ``zone``."""

    first: dt.date
    last: dt.date
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def start_of(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone).astimezone(dt.UTC)

    @property
    def span(self) -> Span:
        return self.start_of(self.first), self.start_of(self.last + dt.timedelta(days=1))

    @property
    def previous(self) -> Period:
        length = dt.timedelta(days=self.days)
        return Period(self.first - length, self.last - length, self.zone)

    def local(self, bucket: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(bucket * BUCKET_SECONDS, tz=dt.UTC).astimezone(self.zone)


async def period(
    session: AsyncSession, workspace_id: int, first: dt.date | None, last: dt.date | None
) -> Period:
    """The range a report asked for; the last 30 days up to today by default."""
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None
    zone = ZoneInfo(workspace.timezone)
    today = utcnow().astimezone(zone).date()
    last = last or today
    first = first or last - dt.timedelta(days=29)
    if first > last:
        raise BadRequest(
            "The range starts ({first}) after it ends ({last}).",
            values={"first": first.isoformat(), "last": last.isoformat()},
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRequest(
            "A report covers at most {days} days; choose a shorter range.",
            values={"days": MAX_DAYS},
        )
    return Period(first, last, zone)


# ---- volume -----------------------------------------------------------------------------


async def volume(session: AsyncSession, workspace_id: int, when: Period) -> dict[str, Any]:
    """Conversations per day, and per weekday × hour (Monday first), in the workspace's zone."""
    repository = ReportRepository(session, workspace_id)
    per_day = {when.first + dt.timedelta(days=i): 0 for i in range(when.days)}
    heatmap = [[0] * 24 for _ in range(7)]
    for bucket, count in await repository.created_buckets(when.span):
        local = when.local(bucket)
        if local.date() in per_day:
            per_day[local.date()] += count
        heatmap[local.weekday()][local.hour] += count
    previous = sum(n for _, n in await repository.created_buckets(when.previous.span))
    return {
        "days": [{"date": day.isoformat(), "conversations": n} for day, n in per_day.items()],
        "heatmap": heatmap,
        "total": sum(per_day.values()),
        "previous_total": previous,
    }


# ---- breakdowns -----------------------------------------------------------------------------


def _entry_page(url: str | None) -> str | None:
    """A page without its query and fragment: ads' tracking parameters make one page many."""
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) or url


async def _counts(
    repository: ReportRepository, dimension: str, span: Span
) -> dict[Any, tuple[str | None, int]]:
    found: dict[Any, tuple[str | None, int]] = {}
    for key, label, count in await repository.count_by(dimension, span):
        if dimension == "entry_page":
            key = label = _entry_page(key)
        _, known = found.get(key, (label, 0))
        found[key] = (label, known + count)
    return found


async def breakdown(
    session: AsyncSession, workspace_id: int, when: Period, dimension: str
) -> list[dict[str, Any]]:
    """Conversations started in the range per value of ``dimension``, most first; a
    conversation with two tags counts under each. ``key`` null: none (no tag, unassigned)."""
    repository = ReportRepository(session, workspace_id)
    now = await _counts(repository, dimension, when.span)
    before = await _counts(repository, dimension, when.previous.span)
    rows = [
        {
            "key": key,
            "label": label,
            "conversations": count,
            "previous": before.get(key, (None, 0))[1],
        }
        for key, (label, count) in now.items()
    ]
    # Most first; "none" (untagged, unassigned…) after the named ones of the same count.
    rows.sort(key=lambda row: (-row["conversations"], row["key"] is None, str(row["label"] or "")))
    return rows[:ENTRY_PAGES_SHOWN] if dimension == "entry_page" else rows


async def bot_funnel(session: AsyncSession, workspace_id: int, when: Period) -> dict[str, Any]:
    repository = ReportRepository(session, workspace_id)
    return {
        "steps": await repository.bot_funnel(when.span),
        "previous": await repository.bot_funnel(when.previous.span),
    }


# ---- times --------------------------------------------------------------------------------


def _stats_out(
    stats: dict[str, tuple[int, float | None, float | None, float | None]],
) -> dict[str, Any]:
    return {
        name: {"count": n, "mean": mean, "median": median, "p90": p90}
        for name, (n, mean, median, p90) in stats.items()
    }


Stats = tuple[int, float | None, float | None, float | None]
EMPTY_STATS: dict[str, Stats] = dict.fromkeys(TIME_COLUMNS, (0, None, None, None))


async def times(session: AsyncSession, workspace_id: int, when: Period) -> dict[str, Any]:
    """Each time (seconds, and business-hours seconds: the ``_bh`` names) as count, mean,
    median and p90 over the conversations started in the range and resolved since."""
    repository = ReportRepository(session, workspace_id)
    now = (await repository.time_stats(when.span)).get(None, EMPTY_STATS)
    before = (await repository.time_stats(when.previous.span)).get(None, EMPTY_STATS)
    return {"times": _stats_out(now), "previous": _stats_out(before)}


# ---- CSAT --------------------------------------------------------------------------------


def _csat_row(key: Any, label: str | None, n: int, good: int, total: float) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "ratings": n,
        "satisfied": good,
        "csat": round(100 * good / n, 1) if n else None,
        "average": round(total / n, 2) if n else None,
    }


async def csat(
    session: AsyncSession, workspace_id: int, when: Period, by: str | None
) -> dict[str, Any]:
    """CSAT (the share of ratings of 4–5, or thumbs up) and the average score, overall and
    by agent, team, conversation tag or week (weeks start on Monday, in the workspace's zone)."""
    repository = ReportRepository(session, workspace_id)

    async def overall(span: Span) -> dict[str, Any]:
        rows = await repository.csat_by("all", span)
        return _csat_row(None, None, *rows[0][2:]) if rows else _csat_row(None, None, 0, 0, 0)

    result: dict[str, Any] = {
        "overall": await overall(when.span),
        "previous": await overall(when.previous.span),
    }
    if by == "week":
        weeks: dict[dt.date, list[float]] = {}
        for bucket, _, n, good, total in await repository.csat_by("bucket", when.span):
            local = when.local(bucket).date()
            monday = local - dt.timedelta(days=local.weekday())
            sums = weeks.setdefault(monday, [0, 0, 0.0])
            sums[0] += n
            sums[1] += good
            sums[2] += total
        result["rows"] = [
            _csat_row(week.isoformat(), week.isoformat(), int(n), int(good), total)
            for week, (n, good, total) in sorted(weeks.items())
        ]
    elif by is not None:
        rows = await repository.csat_by(by, when.span)
        result["rows"] = sorted(
            (_csat_row(*row) for row in rows),
            key=lambda row: (-row["ratings"], row["key"] is None, str(row["label"])),
        )
    return result


async def survey_results(
    session: AsyncSession, workspace_id: int, survey_id: int, when: Period, by: str | None
) -> dict[str, Any]:
    """A survey's answers in the period, per question (by agent or team on request)."""
    return await csat_service.survey_results(session, workspace_id, survey_id, when.span, by)


# ---- agents --------------------------------------------------------------------------------


async def agents(session: AsyncSession, workspace_id: int, when: Period) -> list[dict[str, Any]]:
    """Per agent: conversations they have (started in the range), their first response and
    resolution times (median) and their CSAT."""
    repository = ReportRepository(session, workspace_id)
    handled = await repository.count_by("agent", when.span)
    stats = await repository.time_stats(when.span, group="agent")
    ratings = {row[0]: row for row in await repository.csat_by("agent", when.span)}
    rows = []
    for agent_id, name, count in handled:
        if agent_id is None:
            continue
        times_of = stats.get(agent_id, EMPTY_STATS)
        rated = ratings.get(agent_id)
        rows.append(
            {
                "agent_id": agent_id,
                "name": name,
                "conversations": count,
                "first_response_median": times_of["first_response_s"][2],
                "resolution_median": times_of["resolution_s"][2],
                "resolved": times_of["resolution_s"][0],
                "ratings": rated[2] if rated else 0,
                "csat": _csat_row(*rated)["csat"] if rated else None,
            }
        )
    rows.sort(key=lambda row: (-row["conversations"], row["name"] or ""))
    return rows


# ---- drill-down -------------------------------------------------------------------------


async def drill_down(
    session: AsyncSession,
    workspace_id: int,
    when: Period,
    *,
    dimension: str | None,
    value: str | None,
    day: dt.date | None,
    weekday: int | None,
    hour: int | None,
    before: int | None,
    limit: int,
) -> list[Conversation]:
    """The conversations behind a bar: started in the range (or on ``day``, or in the hour
    ``hour`` of ``weekday``), with ``dimension`` = ``value`` ("none": without one)."""
    spans: list[Span] = [when.span]
    if day is not None:
        if not when.first <= day <= when.last:
            raise BadRequest(
                "{day} is outside the report's range.", values={"day": day.isoformat()}
            )
        spans = [(when.start_of(day), when.start_of(day + dt.timedelta(days=1)))]
    elif hour is not None and weekday is not None:
        spans = []
        for offset in range(when.days):
            local_day = when.first + dt.timedelta(days=offset)
            if local_day.weekday() == weekday:
                start = dt.datetime.combine(local_day, dt.time(hour), tzinfo=when.zone)
                spans.append(
                    (start.astimezone(dt.UTC), (start + dt.timedelta(hours=1)).astimezone(dt.UTC))
                )
        if not spans:
            return []
    filters: list[ColumnElement[bool]] = []
    if dimension is not None:
        filters.append(dimension_filter(dimension, value))
    return await ReportRepository(session, workspace_id).conversations(
        spans, filters, before=before, limit=limit
    )


# ---- CSV -----------------------------------------------------------------------------------


# A text cell starting with one of these is a formula to Excel: an entry page a visitor's
# browser reported as "=HYPERLINK(…)" must stay text (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def as_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """CSV that Excel opens as UTF-8 (Korean included): a byte-order mark, then CRLF rows;
    text that Excel would run as a formula is quoted with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([_cell(cell) for cell in row])
    return "\ufeff".encode() + out.getvalue().encode()


# ---- recording a resolved conversation's times ----------------------------------------------


async def on_conversation_resolved(session: AsyncSession, change: ConversationResolved) -> None:
    """Keep the conversation's times for reports, in the resolving transaction."""
    await record_times(session, change.conversation)


async def record_times(session: AsyncSession, conversation: Conversation) -> ConversationTimes:
    """Measure a resolved conversation from its messages and assignments (again, when it is
    resolved again: the row always describes its latest resolution)."""
    assert conversation.resolved_at is not None
    repository = ReportRepository(session, conversation.workspace_id)
    routing = RoutingRepository(session, conversation.workspace_id)
    team = (
        await routing.team(conversation.team_id)
        if conversation.team_id
        else await routing.default_team()
    )
    hours = team_hours(team)

    def both(start: dt.datetime, end: dt.datetime) -> tuple[float, float]:
        end = max(start, end)
        return (end - start).total_seconds(), business_seconds(hours, start, end)

    # The customer asked for a person when the bot handed over, else when they wrote.
    asked_at = conversation.handed_off_at or conversation.created_at
    replies = 0
    reply_s = reply_bh_s = 0.0
    first_reply: dt.datetime | None = None
    waiting_from: dt.datetime | None = None
    for sender, kind, at in await repository.timeline(conversation.id):
        if kind != MessageKind.TEXT.value:
            continue
        if sender == SenderType.CONTACT.value:
            waiting_from = waiting_from or at
        elif sender == SenderType.AGENT.value:
            first_reply = first_reply or at
            if waiting_from is not None:
                raw, business = both(waiting_from, at)
                replies += 1
                reply_s += raw
                reply_bh_s += business
                waiting_from = None
    assigned = await repository.first_assignment(conversation.id)
    picked_up = min((t for t in (assigned, first_reply) if t is not None), default=None)
    first_response = both(asked_at, first_reply) if first_reply else (None, None)
    wait = both(asked_at, picked_up) if picked_up else (None, None)
    resolution = both(conversation.created_at, conversation.resolved_at)
    row = await repository.times(conversation.id)
    if row is None:
        row = ConversationTimes(conversation_id=conversation.id)
        repository.add(row)
    row.created_at = conversation.created_at
    row.resolved_at = conversation.resolved_at
    row.agent_id = conversation.assignee_id
    row.team_id = conversation.team_id
    row.first_response_s, row.first_response_bh_s = first_response
    row.wait_s, row.wait_bh_s = wait
    row.resolution_s, row.resolution_bh_s = resolution
    row.replies, row.reply_s, row.reply_bh_s = replies, reply_s, reply_bh_s
    return row


# ---- the live monitor ---------------------------------------------------------------------

UNANSWERED_SHOWN = 50


async def monitor(session: AsyncSession, workspace_id: int) -> dict[str, Any]:
    """What supervisors watch: who waits where and for how long, who is in with what load,
    where the chats are, and today's CSAT and bot resolutions (today in the workspace's zone)."""
    repository = MonitorRepository(session, workspace_id)
    now = utcnow()
    now_epoch = now.timestamp()
    waiting: list[dict[str, Any]] = []
    longest: float | None = None
    wait_sum = 0.0
    for team_id, name, count, oldest, mean in await repository.waiting_by_team():
        longest_here = None if oldest is None else max(0.0, (now - oldest).total_seconds())
        average_here = None if mean is None else max(0.0, now_epoch - mean)
        longest = max(longest or 0.0, longest_here or 0.0)
        wait_sum += (average_here or 0.0) * count
        waiting.append(
            {
                "team_id": team_id,
                "team": name,
                "waiting": count,
                "longest_wait_s": longest_here,
                "average_wait_s": average_here,
            }
        )
    total_waiting = sum(int(row["waiting"]) for row in waiting)
    loads = await repository.loads()
    agents: list[dict[str, Any]] = [
        {
            "agent_id": agent.id,
            "name": agent.display_name,
            "availability": agent.availability,
            "present": is_present(agent, now),
            "load": loads.get(agent.id, 0),
            "cap": agent.max_concurrent,
        }
        for agent in await repository.agents()
    ]
    today = await period(session, workspace_id, None, None)
    today = Period(today.last, today.last, today.zone)
    reports = ReportRepository(session, workspace_id)
    rated = await reports.csat_by("all", today.span)
    unanswered = [
        {
            "conversation_id": conversation.id,
            "contact_name": name,
            "preview": conversation.last_message_preview,
            "status": conversation.status,
            "assignee_id": conversation.assignee_id,
            "team_id": conversation.team_id,
            "waiting_since": conversation.waiting_since,
            "waiting_s": max(0.0, (now - conversation.waiting_since).total_seconds())
            if conversation.waiting_since
            else None,
        }
        for conversation, name in await repository.unanswered(UNANSWERED_SHOWN)
    ]
    states = await repository.by_state()
    return {
        "at": now,
        "waiting": waiting,
        "waiting_total": total_waiting,
        "longest_wait_s": longest,
        "average_wait_s": wait_sum / total_waiting if total_waiting else None,
        "agents": agents,
        "agents_online": sum(1 for a in agents if a["present"]),
        "agents_away": sum(1 for a in agents if a["availability"] == "away"),
        "chats": {key: states.get(key, 0) for key in ("bot", "queue", "agents")},
        "csat_today": _csat_row(None, None, *rated[0][2:])
        if rated
        else _csat_row(None, None, 0, 0, 0),
        "bot_resolved_today": (await reports.bot_funnel(today.span))["bot_resolved"],
        "unanswered": unanswered,
    }


# ---- CSV exports ----------------------------------------------------------------------------


async def export(
    session: AsyncSession, workspace_id: int, when: Period, report: str, by: str | None
) -> tuple[list[str], list[list[Any]]]:
    """One report's header and rows, as the CSV export writes them."""
    if report == "volume":
        data = await volume(session, workspace_id, when)
        return ["date", "conversations"], [[d["date"], d["conversations"]] for d in data["days"]]
    if report == "heatmap":
        data = await volume(session, workspace_id, when)
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        return ["weekday", *[f"{h:02d}" for h in range(24)]], [
            [days[i], *row] for i, row in enumerate(data["heatmap"])
        ]
    if report == "breakdown":
        if by not in DIMENSIONS:
            raise BadRequest(
                "Choose a breakdown with by= ({choices}).",
                values={"choices": ", ".join(DIMENSIONS)},
            )
        rows = await breakdown(session, workspace_id, when, by)
        return [by, "key", "conversations", "previous"], [
            [r["label"], r["key"], r["conversations"], r["previous"]] for r in rows
        ]
    if report == "bot_funnel":
        data = await bot_funnel(session, workspace_id, when)
        return ["step", "conversations", "previous"], [
            [step, count, data["previous"][step]] for step, count in data["steps"].items()
        ]
    if report == "times":
        data = await times(session, workspace_id, when)
        return ["metric", "count", "mean_s", "median_s", "p90_s"], [
            [name, s["count"], s["mean"], s["median"], s["p90"]]
            for name, s in data["times"].items()
        ]
    if report == "csat":
        if by is not None and by not in CSAT_DIMENSIONS:
            raise BadRequest(
                "Choose a breakdown with by= ({choices}).",
                values={"choices": ", ".join(CSAT_DIMENSIONS)},
            )
        data = await csat(session, workspace_id, when, by or "week")
        return [by or "week", "key", "ratings", "satisfied", "csat_percent", "average"], [
            [r["label"], r["key"], r["ratings"], r["satisfied"], r["csat"], r["average"]]
            for r in data["rows"]
        ]
    rows = await agents(session, workspace_id, when)
    columns = [
        "name",
        "agent_id",
        "conversations",
        "resolved",
        "first_response_median",
        "resolution_median",
        "ratings",
        "csat",
    ]
    return columns, [[r[c] for c in columns] for r in rows]
