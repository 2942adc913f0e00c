"""Every query reports make: counted and grouped in SQL, scoped to the workspace.

Dates are grouped in 15-minute UTC buckets (every time zone's offset is a multiple of 15
minutes), which the service turns into days and hours of the workspace's own zone: the
same SQL on SQLite and PostgreSQL, right across daylight-saving changes too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.bot.models import BotEvent
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.csat.models import SATISFIED_FROM, Rating
from sangdam.inboxes.models import Inbox
from sangdam.kit.errors import BadRequest
from sangdam.kit.repository import WorkspaceRepository
from sangdam.messages.models import Message, MessageKind, SenderType
from sangdam.reports.models import ConversationTimes
from sangdam.routing.models import AssignmentEvent, Team
from sangdam.tags.models import ContactTag, ConversationTag, Tag
from sangdam.workspaces.models import Agent

BUCKET_SECONDS = 900
Span = tuple[dt.datetime, dt.datetime]
# The time columns of a resolved conversation that reports summarise.
TIME_COLUMNS = (
    "first_response_s",
    "first_response_bh_s",
    "wait_s",
    "wait_bh_s",
    "resolution_s",
    "resolution_bh_s",
    "reply_avg_s",
    "reply_avg_bh_s",
)


def in_span(column: Any, span: Span) -> ColumnElement[bool]:
    return and_(column >= span[0], column < span[1])


class ReportRepository(WorkspaceRepository):
    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def bucket(self, column: Any) -> Any:
        """The 15-minute UTC bucket a timestamp falls in (seconds since 1970 // 900)."""
        if self.dialect == "postgresql":
            return cast(func.floor(func.extract("epoch", column) / BUCKET_SECONDS), Integer)
        # ``//``: integer division in SQL (``/`` would be true division, a Decimal here).
        return cast(func.strftime("%s", column), Integer) // BUCKET_SECONDS

    # ---- volume --------------------------------------------------------------------

    async def created_buckets(self, span: Span) -> list[tuple[int, int]]:
        bucket = self.bucket(Conversation.created_at).label("bucket")
        stmt = self.scoped(
            select(bucket, func.count())
            .where(in_span(Conversation.created_at, span))
            .group_by(bucket),
            Conversation,
        )
        return [(int(b), int(n)) for b, n in await self.session.execute(stmt)]

    # ---- breakdowns: conversations started in the span, by one dimension -------------

    async def count_by(self, dimension: str, span: Span) -> list[tuple[Any, str | None, int]]:
        """(key, label, conversations) for each value of ``dimension`` (labels from their
        tables; the service names keys without one)."""
        c = Conversation
        where = in_span(c.created_at, span)
        count = func.count(func.distinct(c.id))
        stmt: Any
        if dimension == "category":
            stmt = select(c.category, c.category, count).where(where).group_by(c.category)
        elif dimension == "team":
            stmt = (
                select(c.team_id, Team.name, count)
                .outerjoin(Team, Team.id == c.team_id)
                .where(where)
                .group_by(c.team_id, Team.name)
            )
        elif dimension == "agent":
            stmt = (
                select(c.assignee_id, Agent.display_name, count)
                .outerjoin(Agent, Agent.id == c.assignee_id)
                .where(where)
                .group_by(c.assignee_id, Agent.display_name)
            )
        elif dimension == "channel":
            stmt = (
                select(Inbox.channel_type, Inbox.channel_type, count)
                .join(Inbox, Inbox.id == c.inbox_id)
                .where(where)
                .group_by(Inbox.channel_type)
            )
        elif dimension == "entry_page":
            url = c.origin["url"].as_string()
            stmt = select(url, url, count).where(where).group_by(url)
        elif dimension == "tag":
            stmt = (
                select(Tag.id, Tag.name, count)
                .join(ConversationTag, ConversationTag.conversation_id == c.id)
                .join(Tag, Tag.id == ConversationTag.tag_id)
                .where(where)
                .group_by(Tag.id, Tag.name)
            )
        elif dimension == "contact_tag":
            stmt = (
                select(Tag.id, Tag.name, count)
                .join(ContactTag, ContactTag.contact_id == c.contact_id)
                .join(Tag, Tag.id == ContactTag.tag_id)
                .where(where)
                .group_by(Tag.id, Tag.name)
            )
        else:
            raise ValueError(dimension)
        stmt = self.scoped(stmt, c)
        return [(key, label, int(n)) for key, label, n in await self.session.execute(stmt)]

    # ---- the bot funnel ----------------------------------------------------------------

    async def bot_funnel(self, span: Span) -> dict[str, int]:
        c = Conversation

        def with_kind(*kinds: str) -> ColumnElement[int]:
            return func.count(
                func.distinct(case((BotEvent.kind.in_(kinds), BotEvent.conversation_id)))
            )

        stmt = self.scoped(
            select(
                func.count(func.distinct(BotEvent.conversation_id)),
                with_kind("answered"),
                with_kind("helpful"),
                with_kind("handed_off"),
                func.count(func.distinct(case((c.resolved_at.is_not(None), c.id)))),
                # Helped, and nobody else was needed: the bot resolved it.
                func.count(
                    func.distinct(
                        case(
                            (
                                and_(BotEvent.kind == "helpful", c.handed_off_at.is_(None)),
                                c.id,
                            )
                        )
                    )
                ),
            )
            .select_from(c)
            .join(BotEvent, BotEvent.conversation_id == c.id)
            # A conversation's bot events come after its start: this bound lets the events'
            # time index skip the years before the range instead of scanning them all.
            .where(in_span(c.created_at, span), BotEvent.created_at >= span[0]),
            c,
        )
        row = (await self.session.execute(stmt)).one()
        keys = ("started", "answered", "helped", "handed_off", "resolved", "bot_resolved")
        return {key: int(value or 0) for key, value in zip(keys, row, strict=True)}

    # ---- times ---------------------------------------------------------------------------

    def _time_columns(self) -> list[Any]:
        t = ConversationTimes
        replies = func.nullif(t.replies, 0)
        return [
            t.first_response_s,
            t.first_response_bh_s,
            t.wait_s,
            t.wait_bh_s,
            t.resolution_s,
            t.resolution_bh_s,
            (t.reply_s / replies).label("reply_avg_s"),
            (t.reply_bh_s / replies).label("reply_avg_bh_s"),
        ]

    async def time_stats(
        self, span: Span, group: str | None = None
    ) -> dict[Any, dict[str, tuple[int, float | None, float | None, float | None]]]:
        """For each group (None: all), each time column's (count, mean, median, p90) over the
        conversations started in the span and resolved since."""
        t = ConversationTimes
        group_column = {"agent": t.agent_id, "team": t.team_id, None: None}[group]
        columns = self._time_columns()
        where = in_span(t.created_at, span)
        if self.dialect == "postgresql":
            parts: list[Any] = []
            for column in columns:
                parts += [
                    func.count(column),
                    func.avg(column),
                    func.percentile_cont(0.5).within_group(column),
                    func.percentile_cont(0.9).within_group(column),
                ]
            stmt = select(*([group_column] if group_column is not None else []), *parts).where(
                where
            )
            if group_column is not None:
                stmt = stmt.group_by(group_column)
            result: dict[Any, dict[str, tuple[int, float | None, float | None, float | None]]] = {}
            for row in await self.session.execute(self.scoped(stmt, t)):
                values = list(row)
                key = values.pop(0) if group_column is not None else None
                result[key] = {
                    name: (
                        int(values[4 * i]),
                        _float(values[4 * i + 1]),
                        _float(values[4 * i + 2]),
                        _float(values[4 * i + 3]),
                    )
                    for i, name in enumerate(TIME_COLUMNS)
                }
            return result
        # SQLite has no percentiles: read the (narrow) rows and compute the same ones.
        stmt = select(*([group_column] if group_column is not None else []), *columns).where(where)
        collected: dict[Any, list[list[float]]] = {}
        for row in await self.session.execute(self.scoped(stmt, t)):
            values = list(row)
            key = values.pop(0) if group_column is not None else None
            lists = collected.setdefault(key, [[] for _ in columns])
            for i, value in enumerate(values):
                if value is not None:
                    lists[i].append(float(value))
        return {
            key: {name: summarise(lists[i]) for i, name in enumerate(TIME_COLUMNS)}
            for key, lists in collected.items()
        }

    # ---- ratings -------------------------------------------------------------------------

    async def csat_by(
        self, dimension: str, span: Span
    ) -> list[tuple[Any, str | None, int, int, float]]:
        """(key, label, ratings, satisfied, score sum) for ratings given in the span."""
        r = Rating
        satisfied = func.sum(case((r.score >= SATISFIED_FROM, 1), else_=0))
        measures = (func.count(r.id), satisfied, func.sum(r.score))
        where = in_span(r.created_at, span)
        stmt: Any
        if dimension == "all":
            stmt = select(None, None, *measures).where(where)  # type: ignore[call-overload]
        elif dimension == "agent":
            stmt = (
                select(r.agent_id, Agent.display_name, *measures)
                .outerjoin(Agent, Agent.id == r.agent_id)
                .where(where)
                .group_by(r.agent_id, Agent.display_name)
            )
        elif dimension == "team":
            stmt = (
                select(r.team_id, Team.name, *measures)
                .outerjoin(Team, Team.id == r.team_id)
                .where(where)
                .group_by(r.team_id, Team.name)
            )
        elif dimension == "tag":
            stmt = (
                select(Tag.id, Tag.name, *measures)
                .join(ConversationTag, ConversationTag.conversation_id == r.conversation_id)
                .join(Tag, Tag.id == ConversationTag.tag_id)
                .where(where)
                .group_by(Tag.id, Tag.name)
            )
        elif dimension == "bucket":
            bucket = self.bucket(r.created_at).label("bucket")
            stmt = select(bucket, None, *measures).where(where).group_by(bucket)  # type: ignore[call-overload]
        else:
            raise ValueError(dimension)
        rows = await self.session.execute(self.scoped(stmt, r))
        return [
            (
                int(key) if dimension == "bucket" else key,
                label,
                int(n or 0),
                int(good or 0),
                float(total or 0),
            )
            for key, label, n, good, total in rows
            if n
        ]

    # ---- drill-down ------------------------------------------------------------------------

    async def conversations(
        self,
        spans: Sequence[Span],
        filters: Sequence[ColumnElement[bool]],
        *,
        before: int | None,
        limit: int,
    ) -> list[Conversation]:
        c = Conversation
        stmt = self.select(c).where(or_(*(in_span(c.created_at, span) for span in spans)), *filters)
        if before is not None:
            stmt = stmt.where(c.id < before)
        stmt = stmt.order_by(c.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    # ---- what record_times reads ------------------------------------------------------------

    async def timeline(self, conversation_id: int) -> list[tuple[str, str, dt.datetime]]:
        """(sender_type, kind, created_at) of the conversation's messages, in order."""
        m = Message
        stmt = self.scoped(
            select(m.sender_type, m.kind, m.created_at)
            .where(m.conversation_id == conversation_id)
            .order_by(m.seq),
            m,
        )
        return [(s, k, at) for s, k, at in await self.session.execute(stmt)]

    async def first_assignment(self, conversation_id: int) -> dt.datetime | None:
        e = AssignmentEvent
        stmt = self.scoped(
            select(func.min(e.created_at)).where(
                e.conversation_id == conversation_id,
                e.kind.in_(("assigned", "claimed", "manual")),
                e.agent_id.is_not(None),
            ),
            e,
        )
        return (await self.session.execute(stmt)).scalar()

    async def times(self, conversation_id: int) -> ConversationTimes | None:
        return await self.session.get(ConversationTimes, conversation_id)


def dimension_filter(dimension: str, value: str | None) -> ColumnElement[bool]:
    c = Conversation
    none = value in (None, "", "none")

    def number() -> int:
        try:
            return int(value or "")
        except ValueError:
            raise BadRequest(
                "{dimension} takes an id as its value, or none.", values={"dimension": dimension}
            ) from None

    if dimension == "category":
        return c.category.is_(None) if none else c.category == value
    if dimension == "agent":
        return c.assignee_id.is_(None) if none else c.assignee_id == number()
    if dimension == "team":
        return c.team_id.is_(None) if none else c.team_id == number()
    if dimension == "channel":
        return c.inbox_id.in_(select(Inbox.id).where(Inbox.channel_type == value))
    if dimension == "entry_page":
        url = c.origin["url"].as_string()
        if none:
            missing: ColumnElement[bool] = url.is_(None)
            return missing
        page: ColumnElement[bool] = (
            # autoescape: a "%" or "_" in the page is itself, not a LIKE wildcard.
            (url == value)
            | url.startswith(f"{value}?", autoescape=True)
            | url.startswith(f"{value}#", autoescape=True)
        )
        return page
    if dimension == "tag":
        return c.id.in_(
            select(ConversationTag.conversation_id).where(ConversationTag.tag_id == number())
        )
    if dimension == "contact_tag":
        return c.contact_id.in_(select(ContactTag.contact_id).where(ContactTag.tag_id == number()))
    if dimension == "rating":
        return c.id.in_(select(Rating.conversation_id).where(Rating.score == number()))
    raise BadRequest("There is no breakdown by {dimension}.", values={"dimension": dimension})


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(values: list[float]) -> tuple[int, float | None, float | None, float | None]:
    if not values:
        return 0, None, None, None
    ordered = sorted(values)
    return (
        len(ordered),
        sum(ordered) / len(ordered),
        percentile(ordered, 0.5),
        percentile(ordered, 0.9),
    )


# Statuses a conversation counts as "with the bot", "waiting" or "with people" in the monitor.
BOT, OPEN = Status.BOT.value, Status.OPEN.value
AGENT_TEXT = (SenderType.AGENT.value, MessageKind.TEXT.value)


class MonitorRepository(WorkspaceRepository):
    """The live monitor's counts: what is happening now."""

    def _epoch(self, column: Any) -> Any:
        if self.session.get_bind().dialect.name == "postgresql":
            return func.extract("epoch", column)
        return cast(func.strftime("%s", column), Integer)

    async def waiting_by_team(
        self,
    ) -> list[tuple[int | None, str | None, int, dt.datetime | None, float | None]]:
        """(team, name, waiting, oldest queue entry, mean queue entry as epoch seconds)."""
        c = Conversation
        stmt = self.scoped(
            select(
                c.team_id,
                Team.name,
                func.count(),
                func.min(c.queued_at),
                func.avg(self._epoch(c.queued_at)),
            )
            .outerjoin(Team, Team.id == c.team_id)
            .where(c.status == OPEN, c.assignee_id.is_(None), c.queued_at.is_not(None))
            .group_by(c.team_id, Team.name),
            c,
        )
        return [
            (team, name, int(n), oldest, None if mean is None else float(mean))
            for team, name, n, oldest, mean in await self.session.execute(stmt)
        ]

    async def by_state(self) -> dict[str, int]:
        c = Conversation
        state = case(
            (c.status == BOT, "bot"),
            (and_(c.status == OPEN, c.assignee_id.is_(None)), "queue"),
            (c.status == OPEN, "agents"),
            else_="other",
        ).label("state")
        stmt = self.scoped(
            select(state, func.count()).where(c.status.in_((BOT, OPEN))).group_by(state), c
        )
        return {str(s): int(n) for s, n in await self.session.execute(stmt)}

    async def unanswered(self, limit: int) -> list[tuple[Conversation, str | None]]:
        """Open conversations whose customer waits for a reply, longest first."""
        c = Conversation
        stmt = self.scoped(
            select(c, Contact.name)
            .join(Contact, Contact.id == c.contact_id)
            .where(c.status == OPEN, c.waiting_since.is_not(None))
            .order_by(c.waiting_since, c.id)
            .limit(limit),
            c,
        )
        return [(conversation, name) for conversation, name in await self.session.execute(stmt)]

    async def loads(self) -> dict[int, int]:
        """Open conversations per assignee (routing's load). Grouped by ``assignee_id + 0``,
        not the column: SQLite would otherwise walk the assignee index over every assigned
        conversation ever to save a sort, instead of reading the open ones by status (the
        inbox index): 187 → 1 ms at 200,000 conversations."""
        c = Conversation
        assignee = (c.assignee_id + 0).label("assignee")
        stmt = self.scoped(
            select(assignee, func.count()).where(c.status == OPEN).group_by(assignee), c
        )
        return {
            int(agent): int(n) for agent, n in await self.session.execute(stmt) if agent is not None
        }

    async def agents(self) -> list[Agent]:
        stmt = (
            self.select(Agent)
            .where(Agent.deactivated_at.is_(None))
            .order_by(Agent.display_name, Agent.id)
        )
        return list((await self.session.execute(stmt)).scalars())


async def resolved_without_times(session: AsyncSession, limit: int) -> Sequence[Conversation]:
    """Resolved conversations of every workspace that have no times yet (resolved before
    reports kept them), oldest first: what the backfill job measures next."""
    measured = select(ConversationTimes.conversation_id).where(
        ConversationTimes.conversation_id == Conversation.id
    )
    stmt = (
        select(Conversation)
        .where(
            Conversation.status == Status.RESOLVED.value,
            Conversation.resolved_at.is_not(None),
            ~measured.exists(),
        )
        .order_by(Conversation.id)
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()
