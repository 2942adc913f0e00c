"""Routing: team queues, presence, automatic assignment under caps, claims and requeues.

Assignment for a team runs under a lock on the team's row (PostgreSQL
``SELECT … FOR UPDATE``; SQLite has one writer anyway), so several processes
never hand one conversation to two agents, nor push an agent past its cap.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.db import utcnow
from sangdam.events.schemas import Event, EventType
from sangdam.events.service import emit
from sangdam.kit.errors import Conflict
from sangdam.messages.models import MessageKind, SenderType
from sangdam.messages.service import emit_conversation_updated, send_as_agent, send_message
from sangdam.notifications import service as notifications
from sangdam.reactions.schemas import ConversationAssigned, ConversationResolved
from sangdam.routing.models import AssignmentEvent, Availability, Team
from sangdam.routing.repository import RoutingRepository
from sangdam.routing.schemas import DAYS, BusinessHours
from sangdam.workspaces.models import Agent
from sangdam.workspaces.service import require_active

# Why a conversation went to whom, by key: the English text is stored (and returned by the
# API as ``reason``); the key and its values go along so the inbox can say it in Korean.
REASONS = {
    "least_loaded": "least-loaded online member of {team} ({load}/{cap})",
    "assigned_by": "assigned by {name}",
    "assigned_by_hand": "assigned by hand",
    "claimed_by": "claimed by {name}",
    "went_away": "{name} went away",
    "went_offline": "{name} went offline",
    "no_answer": "no answer within {minutes} min",
    "disconnected": "{name} disconnected",
    "deactivated": "{name} was deactivated",
    "transferred": "transferred to {team} by {name}",
    "transferred_to": "transferred to {agent} by {name}",
    "rule": "automation rule “{rule}”",
}


@dataclass(frozen=True)
class Reason:
    key: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return REASONS[self.key].format(**self.params)[:200]

    @property
    def detail(self) -> dict[str, Any]:
        return {"key": self.key, "params": self.params}


def because(key: str, **params: object) -> Reason:
    if key not in REASONS:
        raise ValueError(f"unknown assignment reason {key!r}")
    return Reason(key, {name: str(value) for name, value in params.items()})


# A closed laptop lid is not a goodbye: an agent stays present this long after the last heartbeat.
PRESENCE_GRACE = dt.timedelta(seconds=90)
# An agent whose last inbox socket closed takes no new chat at once; the chats they hold wait
# this much longer (a page reload reconnects well within it) before they go back to the queue.
RECONNECT_GRACE = dt.timedelta(seconds=20)
# The customer's line when their chat goes to someone else (the widget shows it translated).
MOVED_LINE = "Your conversation is being passed to another colleague."
# Until the team has history, assume a conversation takes this long to pick up.
DEFAULT_WAIT_SECONDS = 180
QUEUE_UPDATE_LIMIT = 200


def is_present(agent: Agent, now: dt.datetime) -> bool:
    return (
        agent.availability == Availability.ONLINE.value
        and agent.deactivated_at is None
        and agent.presence_seen_at is not None
        and agent.presence_seen_at > now - PRESENCE_GRACE
    )


async def enqueue(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact | None,
    *,
    team_id: int | None = None,
) -> None:
    """Put a conversation that needs a person in its team's queue, and try to assign it."""
    repository = RoutingRepository(session, conversation.workspace_id)
    team = (
        await repository.team(team_id)
        if team_id
        else (
            await repository.team(conversation.team_id)
            if conversation.team_id
            else await repository.default_team()
        )
    )
    conversation.team_id = team.id
    conversation.queued_at = conversation.queued_at or utcnow()
    notifications.inquiry_waiting(
        session, conversation, team, open_now=is_open(team_hours(team), utcnow())
    )
    await assign_waiting(session, conversation.workspace_id, team.id)


async def assign_waiting(session: AsyncSession, workspace_id: int, team_id: int) -> int:
    """Give waiting conversations of a team to its least-loaded present members. Returns how many."""
    repository = RoutingRepository(session, workspace_id)
    team = await repository.team(team_id, for_update=True)
    assigned = 0
    if team.auto_assign:
        now = utcnow()
        members = [
            a
            for a in await repository.agents(await repository.member_ids(team))
            if is_present(a, now)
        ]
        loads = await repository.loads()
        free_seats = sum(max(0, a.max_concurrent - loads.get(a.id, 0)) for a in members)
        waiting = await repository.queue(team.id, limit=min(QUEUE_UPDATE_LIMIT, free_seats))
        # One query each for the whole slice, not one per conversation.
        left = await repository.requeued_from([c.id for c in waiting])
        contacts = await repository.contacts([c.contact_id for c in waiting])
        for conversation in waiting:
            free = [a for a in members if loads.get(a.id, 0) < a.max_concurrent]
            if not free:
                break
            skipped = left.get(conversation.id)
            if skipped is not None and len(free) > 1:
                free = [a for a in free if a.id != skipped]
            epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
            best = min(free, key=lambda a: (loads.get(a.id, 0), a.last_assigned_at or epoch, a.id))
            snapshot = [
                {
                    "agent_id": a.id,
                    "name": a.display_name,
                    "load": loads.get(a.id, 0),
                    "cap": a.max_concurrent,
                }
                for a in members
            ]
            await _assign(
                session,
                conversation,
                best,
                team,
                contacts.get(conversation.contact_id),
                kind="assigned",
                reason=because(
                    "least_loaded",
                    team=team.name,
                    load=loads.get(best.id, 0),
                    cap=best.max_concurrent,
                ),
                candidates=snapshot,
            )
            loads[best.id] = loads.get(best.id, 0) + 1
            best.last_assigned_at = now
            assigned += 1
    await publish_queue(session, team)
    return assigned


async def _assign(
    session: AsyncSession,
    conversation: Conversation,
    agent: Agent,
    team: Team | None,
    contact: Contact | None = None,
    *,
    kind: str,
    reason: Reason,
    candidates: list[dict[str, object]] | None = None,
) -> None:
    conversation.assignee_id = agent.id
    conversation.assigned_at = utcnow()
    conversation.version += 1
    session.add(
        AssignmentEvent(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            team_id=team.id if team else conversation.team_id,
            agent_id=agent.id,
            kind=kind,
            reason=reason.text,
            detail=reason.detail,
            candidates=candidates or [],
        )
    )
    contact = contact or await session.get(Contact, conversation.contact_id)
    emit_conversation_updated(session, conversation, contact)


async def assign_to(
    session: AsyncSession,
    conversation: Conversation,
    agent: Agent,
    contact: Contact,
    *,
    reason: Reason,
) -> None:
    """Give a conversation to ``agent`` for a reason other than a person's click (a rule)."""
    require_active(agent)
    previous = conversation.assignee_id
    await _assign(session, conversation, agent, None, contact, kind="manual", reason=reason)
    await capacity_freed(session, conversation.workspace_id, previous)


async def transfer(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    by: Agent,
    *,
    team: Team | None = None,
    agent: Agent | None = None,
    note: str | None = None,
    max_chars: int,
) -> None:
    """Hand a (locked) conversation to a colleague, or to a team's queue, with an internal
    note for whoever takes it."""
    if agent is not None:
        require_active(agent)
        if agent.id == conversation.assignee_id:
            raise Conflict(
                "{name} has this conversation already.",
                code="already_assigned",
                values={"name": agent.display_name},
            )
    previous = conversation.assignee_id
    if agent is not None or previous is not None:
        # Before the note: the colleague who takes it reads the note last.
        await tell_customer_moved(session, conversation, contact)
    if note:
        await send_as_agent(
            session,
            conversation,
            contact,
            by,
            body=note,
            client_id=None,
            private=True,
            max_chars=max_chars,
        )
    if agent is not None:
        why = because("transferred_to", agent=agent.display_name, name=by.display_name)
        await _assign(session, conversation, agent, None, contact, kind="manual", reason=why)
        # Their inbox chimes, as for an @mention.
        emit(
            session,
            Event(
                type=EventType.MENTION,
                workspace_id=conversation.workspace_id,
                conversation_id=conversation.id,
                data={
                    "agent_id": agent.id,
                    "conversation_id": conversation.id,
                    "by": by.display_name,
                    "preview": (note or conversation.last_message_preview)[:140],
                    "transfer": True,
                },
            ),
        )
    elif team is not None:
        if previous is not None:
            why = because("transferred", team=team.name, name=by.display_name)
            await requeue(session, conversation, reason=why, tell=False)
        conversation.team_id = team.id
        await enqueue(session, conversation, contact, team_id=team.id)
    await capacity_freed(session, conversation.workspace_id, previous)


async def on_conversation_assigned(session: AsyncSession, change: ConversationAssigned) -> None:
    """A person assigned (or unassigned) it by hand: keep the why with the conversation, and
    let the previous assignee take the next one waiting."""
    conversation, agent, by = change.conversation, change.agent, change.by
    why = because("assigned_by", name=by.display_name) if by else because("assigned_by_hand")
    session.add(
        AssignmentEvent(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            team_id=conversation.team_id,
            agent_id=agent.id if agent else None,
            kind="manual",
            reason=why.text,
            detail=why.detail,
        )
    )
    await capacity_freed(session, conversation.workspace_id, change.previous_assignee_id)


async def on_conversation_resolved(session: AsyncSession, change: ConversationResolved) -> None:
    """A resolved conversation frees its assignee's seat."""
    await capacity_freed(session, change.conversation.workspace_id, change.assignee_id)


async def claim(session: AsyncSession, conversation: Conversation, agent: Agent) -> None:
    """Any member takes a waiting conversation from the queue; the first one wins."""
    if conversation.assignee_id is not None and conversation.assignee_id != agent.id:
        raise Conflict("Someone else took this conversation already.", code="already_assigned")
    # Conditional update: a claim racing another process's claim or assignment loses cleanly.
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.assignee_id.is_(None))
        .values(assignee_id=agent.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0 and conversation.assignee_id != agent.id:  # type: ignore[attr-defined]
        raise Conflict("Someone else took this conversation already.", code="already_assigned")
    team = (
        await RoutingRepository(session, conversation.workspace_id).team(conversation.team_id)
        if conversation.team_id
        else None
    )
    await _assign(
        session,
        conversation,
        agent,
        team,
        kind="claimed",
        reason=because("claimed_by", name=agent.display_name),
    )
    if team is not None:
        await publish_queue(session, team)


async def tell_customer_moved(
    session: AsyncSession, conversation: Conversation, contact: Contact | None = None
) -> None:
    """A line in the customer's chat: it went to someone else, so the silence so far (or a
    new name on the replies) makes sense. Locks the conversation for the message's seq."""
    await session.flush()
    await session.refresh(conversation, with_for_update=True)
    contact = contact or await session.get(Contact, conversation.contact_id)
    assert contact is not None
    await send_message(
        session,
        conversation,
        contact,
        sender_type=SenderType.SYSTEM,
        sender_id=None,
        sender_name="",
        body=MOVED_LINE,
        client_id=None,
        max_chars=len(MOVED_LINE),
        kind=MessageKind.ACTIVITY,
        content={"activity": "moved"},
    )


async def requeue(
    session: AsyncSession, conversation: Conversation, *, reason: Reason, tell: bool = True
) -> None:
    """Back to the front of its queue (it keeps its place in line); the customer is told
    (unless the caller told them already)."""
    if tell:
        await tell_customer_moved(session, conversation)
    previous = conversation.assignee_id
    conversation.assignee_id = None
    conversation.assigned_at = None
    conversation.queued_at = conversation.queued_at or utcnow()
    conversation.version += 1
    session.add(
        AssignmentEvent(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            team_id=conversation.team_id,
            agent_id=previous,
            kind="requeued",
            reason=reason.text,
            detail=reason.detail,
        )
    )
    emit_conversation_updated(
        session, conversation, await session.get(Contact, conversation.contact_id)
    )


async def capacity_freed(session: AsyncSession, workspace_id: int, agent_id: int | None) -> None:
    """A conversation ended: its assignee may take the next one."""
    if agent_id is None:
        return
    for team in await RoutingRepository(session, workspace_id).teams_of(agent_id):
        if team.auto_assign:
            await assign_waiting(session, workspace_id, team.id)


async def set_availability(session: AsyncSession, agent: Agent, availability: Availability) -> None:
    agent.availability = availability.value
    agent.presence_seen_at = (
        utcnow() if availability == Availability.ONLINE else agent.presence_seen_at
    )
    repository = RoutingRepository(session, agent.workspace_id)
    if availability != Availability.ONLINE:
        for conversation in await repository.assigned_open(agent.id):
            await requeue(
                session,
                conversation,
                reason=because(f"went_{availability.value}", name=agent.display_name),
            )
    for team in await repository.teams_of(agent.id):
        if team.auto_assign or availability != Availability.ONLINE:
            await assign_waiting(session, agent.workspace_id, team.id)
    _emit_presence(session, agent)


async def agent_disconnected(session: AsyncSession, agent: Agent) -> None:
    """The agent's last inbox socket closed (the browser or tab was closed): no new chat goes
    to them from now on, instead of for the heartbeat's grace period. The chats they hold
    stay theirs for ``RECONNECT_GRACE`` (see ``sweep``); a socket that comes back (a reload)
    makes them present again (``touch_presence``)."""
    now = utcnow()
    if not is_present(agent, now):
        return
    agent.presence_seen_at = now - PRESENCE_GRACE
    _emit_presence(session, agent)


async def touch_presence(session: AsyncSession, agent: Agent) -> None:
    """The agent's inbox is alive; coming back from a lapse makes them assignable again."""
    now = utcnow()
    was_present = is_present(agent, now)
    agent.presence_seen_at = now
    if not was_present and agent.availability == Availability.ONLINE.value:
        for team in await RoutingRepository(session, agent.workspace_id).teams_of(agent.id):
            if team.auto_assign:
                await assign_waiting(session, agent.workspace_id, team.id)
        _emit_presence(session, agent)


def _emit_presence(session: AsyncSession, agent: Agent) -> None:
    emit(
        session,
        Event(
            type=EventType.AGENT_UPDATED,
            workspace_id=agent.workspace_id,
            data={
                "agent": {
                    "id": agent.id,
                    "availability": agent.availability,
                    "present": is_present(agent, utcnow()),
                    "max_concurrent": agent.max_concurrent,
                }
            },
        ),
    )


async def sweep(session: AsyncSession, workspace_id: int) -> None:
    """Periodic upkeep: agents who vanished, assignees who never answered, stuck queues."""
    repository = RoutingRepository(session, workspace_id)
    now = utcnow()
    for team in await repository.teams():
        if not team.auto_assign:
            continue
        team = await repository.team(team.id, for_update=True)
        cutoff = now - dt.timedelta(minutes=team.no_answer_minutes)
        for conversation in await repository.unanswered(team.id, cutoff):
            await requeue(
                session, conversation, reason=because("no_answer", minutes=team.no_answer_minutes)
            )
        members = await repository.agents(await repository.member_ids(team))
        for agent in members:
            # Gone for RECONNECT_GRACE past presence: a reload never loses the chats held.
            if agent.availability == Availability.ONLINE.value and not is_present(
                agent, now - RECONNECT_GRACE
            ):
                for conversation in await repository.assigned_open(agent.id):
                    if conversation.team_id == team.id:
                        await requeue(
                            session,
                            conversation,
                            reason=because("disconnected", name=agent.display_name),
                        )
        await assign_waiting(session, workspace_id, team.id)


async def queue_info(session: AsyncSession, conversation: Conversation) -> tuple[int, int] | None:
    """(position, estimated minutes) for a waiting conversation, or None if it isn't waiting."""
    if (
        conversation.status != Status.OPEN.value
        or conversation.assignee_id is not None
        or not conversation.team_id
    ):
        return None
    repository = RoutingRepository(session, conversation.workspace_id)
    team = await repository.team(conversation.team_id)
    ids = [c.id for c in await repository.queue(team.id, limit=1000)]
    if conversation.id not in ids:
        return None
    position = ids.index(conversation.id) + 1
    return position, (await _estimator(repository, team))(position)


def seconds_per_place(pickups: list[tuple[dt.datetime, dt.datetime]]) -> float | None:
    """How long the team takes to move the line on by one place, from recent pickups
    ((queued_at, assigned_at), oldest first), or None without history.

    Each pickup counts only the time it spent first in line: from the pickup before it
    (or its own queueing, if later) to its own. A whole wait would count every place a
    customer waited behind others again for every place ahead of the next customer, so
    the estimate would grow as the line moved forward.
    """
    if not pickups:
        return None
    if len(pickups) == 1:
        queued, assigned = pickups[0]
        return max(0.0, (assigned - queued).total_seconds())
    at_front = [
        max(0.0, (assigned - max(queued, previous)).total_seconds())
        for (_, previous), (queued, assigned) in itertools.pairwise(pickups)
    ]
    return sum(at_front) / len(at_front)


async def _estimator(repository: RoutingRepository, team: Team):  # type: ignore[no-untyped-def]
    """Minutes until a person picks up, from how fast the team's line moved lately (its
    pace already counts everyone who answered), or a default split over who is present."""
    per_place = seconds_per_place(await repository.recent_pickups(team.id))
    if per_place is None:
        now = utcnow()
        present = sum(
            1
            for a in await repository.agents(await repository.member_ids(team))
            if is_present(a, now)
        )
        per_place = DEFAULT_WAIT_SECONDS / max(1, present)

    def minutes(position: int) -> int:
        return max(1, math.ceil(position * per_place / 60))

    return minutes


async def publish_queue(session: AsyncSession, team: Team) -> None:
    """Tell every waiting customer of the team where they stand now."""
    repository = RoutingRepository(session, team.workspace_id)
    estimate = await _estimator(repository, team)
    for position, conversation in enumerate(
        await repository.queue(team.id, limit=QUEUE_UPDATE_LIMIT), start=1
    ):
        data = {
            "conversation_id": conversation.id,
            "position": position,
            "eta_minutes": estimate(position),
        }
        emit(
            session,
            Event(
                type=EventType.QUEUE_UPDATED,
                workspace_id=team.workspace_id,
                conversation_id=conversation.id,
                contact_id=conversation.contact_id,
                data={**data, "team_id": team.id},
                visitor_data=data,
            ),
        )


# ---- business hours -------------------------------------------------------------------


@functools.cache
def _public_holidays(country: str, year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays(country, years=year))


def _closed_day(hours: BusinessHours, day: dt.date) -> bool:
    if day in hours.closed_dates:
        return True
    return hours.holidays is not None and day in _public_holidays(hours.holidays, day.year)


def is_open(hours: BusinessHours | None, at: dt.datetime) -> bool:
    """Whether people answer at ``at``: weekly intervals in the team's zone, minus holidays."""
    if hours is None:
        return True
    local = at.astimezone(ZoneInfo(hours.timezone))
    if _closed_day(hours, local.date()):
        return False
    intervals = hours.weekly.get(DAYS[local.weekday()], [])
    now = local.time()
    return any(start <= now < end for start, end in intervals)


def business_seconds(hours: BusinessHours | None, start: dt.datetime, end: dt.datetime) -> float:
    """How much of ``start``..``end`` fell within business hours (weekly intervals in the
    hours' zone, lunch breaks being gaps between them, minus holidays and closed dates)."""
    if end <= start:
        return 0.0
    if hours is None:
        return (end - start).total_seconds()
    zone = ZoneInfo(hours.timezone)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    total = 0.0
    day = first
    while day <= last:
        if not _closed_day(hours, day):
            for open_at, close_at in hours.weekly.get(DAYS[day.weekday()], []):
                opened = dt.datetime.combine(day, open_at, tzinfo=zone)
                closed = dt.datetime.combine(day, close_at, tzinfo=zone)
                overlap = (min(end, closed) - max(start, opened)).total_seconds()
                total += max(0.0, overlap)
        day += dt.timedelta(days=1)
    return total


def next_opening(hours: BusinessHours | None, at: dt.datetime) -> dt.datetime | None:
    """When people answer next (in UTC), looking up to three weeks ahead."""
    if hours is None or is_open(hours, at):
        return at
    zone = ZoneInfo(hours.timezone)
    local = at.astimezone(zone)
    for offset in range(22):
        day = local.date() + dt.timedelta(days=offset)
        if _closed_day(hours, day):
            continue
        for start, _end in sorted(hours.weekly.get(DAYS[day.weekday()], [])):
            candidate = dt.datetime.combine(day, start, tzinfo=zone)
            if candidate > local:
                return candidate.astimezone(dt.UTC)
    return None


def team_hours(team: Team) -> BusinessHours | None:
    return BusinessHours.model_validate(team.hours) if team.hours else None


@dataclass(frozen=True)
class OpenNow:
    """Whether people answer now and, if not, when they do next (None beyond three weeks)."""

    open: bool
    next_open: dt.datetime | None
    timezone: str


async def open_now(session: AsyncSession, workspace_id: int, team_id: int | None = None) -> OpenNow:
    """By the hours of ``team_id`` (where a conversation waits), else the workspace's."""
    repository = RoutingRepository(session, workspace_id)
    team = await repository.team(team_id) if team_id else await repository.default_team()
    hours = team_hours(team)
    now = utcnow()
    zone = hours.timezone if hours else "UTC"
    if is_open(hours, now):
        return OpenNow(True, None, zone)
    return OpenNow(False, next_opening(hours, now), zone)
