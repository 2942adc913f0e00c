"""This process's sockets: who is connected, and forwarding to them.

The hub is deliberately dumb. For each envelope the broker hands it, it asks
``events.audience`` what each local socket may see and queues that frame on
the socket. Each socket has one writer task draining its queue in order, so
a slow client never holds up the others; a client too slow to keep up is
disconnected and resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from starlette.websockets import WebSocket, WebSocketState

from sangdam.events import audience
from sangdam.kit.metrics import OPEN_SOCKETS
from sangdam.realtime.broker import parse_event_id

log = logging.getLogger(__name__)

# Frames a socket may have queued before it is considered stuck.
MAX_QUEUED_FRAMES = 2000
CLOSE_TOO_SLOW = 4008
# The credential the socket signed in with ended (sign-out, password change, revoked
# token...): the inbox goes to its sign-in page on this code instead of reconnecting.
CLOSE_UNAUTHORIZED = 4401
# The server could not carry on with this socket (its database catch-up failed): the
# client reconnects and resumes from its positions.
CLOSE_TRY_AGAIN = 1013
# The server is restarting (RFC 6455 "Service Restart"): reconnect, which the load
# balancer sends to another node, and resume from your position. Sent on SIGTERM once the
# socket's frame under way (if any) has been answered and its queue written out.
CLOSE_RESTARTING = 1012
# Messages fetched per conversation per database round when catching a socket up.
CATCH_UP_PAGE = 500


class Connection:
    """One WebSocket, agent or visitor, with an ordered outbound queue."""

    kind = "socket"

    def __init__(self, websocket: WebSocket, workspace_id: int) -> None:
        self.websocket = websocket
        self.workspace_id = workspace_id
        # Frames waiting to be written; a "_close" frame asks the writer to close the socket.
        self.pending: deque[dict[str, Any]] = deque()
        self.last_received = time.monotonic()
        # While resuming, live frames wait here until the replay has been sent.
        self._held: list[dict[str, Any]] | None = []
        self._writer: asyncio.Task[None] | None = None
        self.closed = False
        # A frame's work is under way: on shutdown its ack goes out before the close.
        self.handling = False
        self.draining = False

    def frame_for(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def offer(self, envelope: dict[str, Any]) -> None:
        """Called by the hub for every envelope; queues what this socket may see."""
        if self._held is not None:
            self._held.append(envelope)
            return
        frame = self.frame_for(envelope)
        if frame is not None:
            self.send(frame)

    def send(self, frame: dict[str, Any]) -> None:
        if self.closed:
            return
        if len(self.pending) >= MAX_QUEUED_FRAMES:
            log.warning("closing a %s socket that stopped reading", self.kind)
            self.pending.append(_close_frame(CLOSE_TOO_SLOW, "too slow"))
            self.closed = True
        else:
            self.pending.append(frame)
        self._wake_writer()

    def close(
        self, code: int, reason: str, last: dict[str, Any] | None = None, *, flush: bool = False
    ) -> None:
        """Send nothing more (but ``last``), then close with ``code``; queued frames are
        dropped, or written first with ``flush``."""
        if self.closed:
            return
        if not flush:
            self.pending.clear()
        if last is not None:
            self.pending.append(last)
        self.pending.append(_close_frame(code, reason))
        self.closed = True
        self._wake_writer()

    def drain(self) -> None:
        """The process is shutting down: close (1012) once the frame under way is answered."""
        self.draining = True
        if not self.handling:
            self.close(CLOSE_RESTARTING, "server restarting", flush=True)

    def frame_done(self) -> None:
        """Called after each client frame's work; closes a draining socket."""
        self.handling = False
        if self.draining:
            self.close(CLOSE_RESTARTING, "server restarting", flush=True)

    def _wake_writer(self) -> None:
        # A writer runs only while there is something to write: idle sockets cost no task.
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop())

    def release(self, after: Callable[[dict[str, Any]], bool]) -> None:
        """End the resume: forward held envelopes that ``after`` accepts, then go live."""
        held, self._held = self._held or [], None
        for envelope in held:
            if after(envelope):
                self.offer(envelope)

    async def before_send(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        """Hook for subclasses: frames to send in place of ``frame``."""
        return [frame]

    async def _write_loop(self) -> None:
        try:
            while self.pending:
                frame = self.pending.popleft()
                if frame["type"] == "_close":
                    self.closed = True
                    await self.websocket.close(code=frame["code"], reason=frame["reason"])
                    return
                for item in await self.before_send(frame):
                    await self.websocket.send_bytes(orjson.dumps(item))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The socket went away mid-send, or a catch-up could not be fetched. Either
            # way this socket can't deliver in order any more: close it (if it is still
            # open) so the client reconnects and resumes, instead of a silent socket.
            log.warning("closing a %s socket whose writer failed: %r", self.kind, exc)
            self.closed = True
            with contextlib.suppress(Exception):
                await self.websocket.close(code=CLOSE_TRY_AGAIN, reason="try again")

    async def stop(self) -> None:
        self.closed = True
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer


@dataclass(frozen=True)
class SignedIn:
    """Who an agent socket signed in as, to find it when credentials end."""

    agent_id: int
    user_id: int | None = None
    web_session_id: int | None = None
    api_token_id: int | None = None

    def named_in(self, ended: dict[str, Any]) -> bool:
        """Whether a "credentials_ended" message may concern this socket."""
        return any(
            ended.get(key) is not None and ended.get(key) == getattr(self, key)
            for key in ("agent_id", "user_id", "web_session_id", "api_token_id")
        )


class AgentConnection(Connection):
    kind = "agent"

    def __init__(
        self,
        websocket: WebSocket,
        workspace_id: int,
        agent_id: int,
        signed_in: SignedIn | None = None,
        still_valid: Callable[[], Awaitable[bool]] | None = None,
        recheck_seconds: float = 5.0,
    ) -> None:
        super().__init__(websocket, workspace_id)
        self.agent_id = agent_id
        self.signed_in = signed_in or SignedIn(agent_id)
        # Asks the database whether the credential still holds (sessions, tokens, membership).
        self._still_valid = still_valid
        self.recheck_seconds = recheck_seconds
        self._checked_at = time.monotonic()
        self._checking: asyncio.Task[bool] | None = None
        self.epoch: str | None = None
        self.last_event_id: str | None = None
        # After "ready": only events newer than its last_event_id. An event already in the
        # stream when the agent resumed (or took its snapshot) can still be on its way
        # through pub/sub; it must not arrive a second time.
        self._newer: Callable[[dict[str, Any]], bool] | None = None

    def release(self, after: Callable[[dict[str, Any]], bool]) -> None:
        self._newer = after
        super().release(after)

    async def check_credential(self, *, now: bool = False) -> bool:
        """Whether the socket may go on; closes it (4401) when its credential ended.

        Asks the database at most every ``recheck_seconds`` (each command and heartbeat
        answer calls this), or at once with ``now`` (a "credentials ended" broadcast).
        """
        if self.closed:
            return False
        if self._still_valid is None:
            return True
        if not now and time.monotonic() - self._checked_at < self.recheck_seconds:
            return True
        # A broadcast never joins a check already under way: that one may have read the
        # database before the sign-in ended.
        if now or self._checking is None or self._checking.done():
            self._checking = asyncio.create_task(self._check())
        return await asyncio.shield(self._checking)

    async def _check(self) -> bool:
        assert self._still_valid is not None
        try:
            valid = await self._still_valid()
        except Exception:
            # The database is unreachable: say nothing now; the next command asks again.
            log.warning("could not re-check an agent socket's credential", exc_info=True)
            return not self.closed
        self._checked_at = time.monotonic()
        if not valid:
            self.end_signed_out()
        return valid

    def end_signed_out(self) -> None:
        self.close(
            CLOSE_UNAUTHORIZED,
            "signed out",
            {
                "type": "error",
                "ref": None,
                "code": "signed_out",
                "message": "Your sign-in ended (signed out, password changed, token "
                "revoked or access turned off). Sign in again.",
            },
        )

    def frame_for(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        if self._newer is not None and not self._newer(envelope):
            return None
        frame = audience.for_agent(envelope, workspace_id=self.workspace_id, agent_id=self.agent_id)
        if frame is not None and envelope.get("id") is not None:
            self.epoch, self.last_event_id = envelope["epoch"], envelope["id"]
        return frame


FetchMissed = Callable[[dict[int, int], int], Awaitable[dict[int, list[dict[str, Any]]]]]


class VisitorConnection(Connection):
    """A widget socket. For each conversation it keeps a position: the highest seq it
    knows the client holds. Live messages are forwarded only in order after it; a
    conversation without a position (not named in ``hello``, first heard of mid-stream)
    is first caught up from the database from its start. Nothing is ever skipped."""

    kind = "visitor"

    def __init__(
        self,
        websocket: WebSocket,
        workspace_id: int,
        contact_id: int,
        fetch_missed: FetchMissed,
    ) -> None:
        super().__init__(websocket, workspace_id)
        self.contact_id = contact_id
        # conversation id -> highest message seq this socket has delivered (or the client had).
        self.delivered: dict[int, int] = {}
        # Conversations handed to people: the bot will not answer there again.
        self.with_people: set[int] = set()
        # (positions, page size) -> each conversation's public messages after its position.
        self._fetch_missed = fetch_missed

    def frame_for(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        return audience.for_visitor(
            envelope, workspace_id=self.workspace_id, contact_id=self.contact_id
        )

    def catch_up(self) -> None:
        """Ask the writer to send, from the database, whatever this socket may have missed."""
        self.send({"type": "_catch_up"})

    def follow(self, conversation_id: int) -> None:
        """The client now knows ``conversation_id`` (an ack named it): if this socket had no
        position there, catch it up from the start, for replies committed before it knew."""
        self.send({"type": "_follow", "conversation_id": conversation_id})

    async def before_send(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        if frame["type"] == "_catch_up":
            return await self._missed(dict(self.delivered))
        if frame["type"] == "_follow":
            if frame["conversation_id"] in self.delivered:
                return []
            return await self._missed({frame["conversation_id"]: 0})
        if frame["type"] != "message.created":
            return [frame]
        message = frame["data"]["message"]
        conversation_id, seq = message["conversation_id"], message["seq"]
        delivered = self.delivered.get(conversation_id)
        if delivered is not None and seq <= delivered:
            return []  # already sent by a replay or a catch-up
        if delivered is not None and seq == delivered + 1:
            self.delivered[conversation_id] = seq
            return [frame]
        # A gap (notes take seqs too, and events from two processes can cross), or a
        # conversation this socket has no position for: everything after it, from the database.
        return await self._missed({conversation_id: delivered or 0})

    async def _missed(self, positions: dict[int, int]) -> list[dict[str, Any]]:
        """Public messages after each position, one query per round for all of them.

        Goes on while a conversation filled a whole page, so a long gap comes whole.
        """
        frames: list[dict[str, Any]] = []
        while positions:
            found = await self._fetch_missed(positions, CATCH_UP_PAGE)
            more: dict[int, int] = {}
            for conversation_id, after_seq in positions.items():
                messages = found.get(conversation_id, [])
                seq = max([after_seq, *(m["seq"] for m in messages)])
                self.delivered[conversation_id] = max(self.delivered.get(conversation_id, 0), seq)
                frames.extend(
                    {"type": "message.created", "data": {"message": message}}
                    for message in messages
                )
                if len(messages) >= CATCH_UP_PAGE:
                    more[conversation_id] = seq
            positions = more
        return frames


class Hub:
    def __init__(self, heartbeat_seconds: float, idle_timeout_seconds: float) -> None:
        self.heartbeat_seconds = heartbeat_seconds
        self.idle_timeout_seconds = idle_timeout_seconds
        self._agents: dict[int, set[AgentConnection]] = {}
        self._visitors: dict[tuple[int, int], set[VisitorConnection]] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self.current_epoch: str | None = None
        self._checks: set[asyncio.Task[bool]] = set()
        # Set on SIGTERM: every socket, and any that still arrives, is closed with 1012.
        self.draining = False
        self._emptied = asyncio.Event()

    @property
    def connection_count(self) -> int:
        return sum(len(s) for s in self._agents.values()) + sum(
            len(s) for s in self._visitors.values()
        )

    def start(self) -> None:
        self._heartbeat = asyncio.create_task(self._beat(), name="sangdam-heartbeat")

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat

    def add(self, connection: Connection) -> None:
        if isinstance(connection, AgentConnection):
            added = _join(self._agents.setdefault(connection.workspace_id, set()), connection)
        elif isinstance(connection, VisitorConnection):
            key = (connection.workspace_id, connection.contact_id)
            added = _join(self._visitors.setdefault(key, set()), connection)
        else:
            return
        if added:
            OPEN_SOCKETS.labels(connection.kind).inc()
        if self.draining:
            connection.drain()

    def has_agent(self, workspace_id: int, agent_id: int) -> bool:
        """Whether this process still holds an inbox socket of the agent."""
        return any(c.agent_id == agent_id for c in self._agents.get(workspace_id, ()))

    def remove(self, connection: Connection) -> None:
        group: set[Any]
        if isinstance(connection, AgentConnection):
            group = self._agents.get(connection.workspace_id, set())
            present = connection in group
            group.discard(connection)
            if not group:
                self._agents.pop(connection.workspace_id, None)
        elif isinstance(connection, VisitorConnection):
            key = (connection.workspace_id, connection.contact_id)
            group = self._visitors.get(key, set())
            present = connection in group
            group.discard(connection)
            if not group:
                self._visitors.pop(key, None)
        else:
            return
        if present:
            OPEN_SOCKETS.labels(connection.kind).dec()
        if not self._agents and not self._visitors:
            self._emptied.set()

    async def drain(self, within: float) -> int:
        """Close every socket with 1012 once its frame under way is answered and its queue
        written, and wait (at most ``within`` seconds) until their clients have gone.
        Returns how many sockets were asked to go."""
        self.draining = True
        connections = self._all()
        if not connections:
            return 0
        self._emptied.clear()
        for connection in connections:
            connection.drain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._emptied.wait(), within)
        return len(connections)

    def deliver(self, envelope: dict[str, Any]) -> None:
        """Entry point for every event from the broker, from any process."""
        epoch = envelope.get("epoch")
        if epoch and self.current_epoch and epoch != self.current_epoch:
            # History may have been lost: visitors catch up from the database;
            # agents notice the new epoch on the frame itself and resynchronise.
            self._catch_up_visitors()
        if epoch:
            self.current_epoch = epoch
        # Which sockets, and what each gets, is the audience module's decision alone.
        for agent in self._agents.get(audience.agent_group(envelope), ()):
            agent.offer(envelope)
        group = audience.visitor_group(envelope)
        if group is not None:
            for visitor in self._visitors.get(group, ()):
                visitor.offer(envelope)

    def _catch_up_visitors(self) -> None:
        for group in self._visitors.values():
            for visitor in group:
                visitor.catch_up()

    def feed_restored(self) -> None:
        """The feed was interrupted: catch visitors up and tell agents to resume.

        A "credentials ended" broadcast lost meanwhile is made up for by the re-check
        before each command and heartbeat answer (and a resuming inbox signs in anew).
        """
        self._catch_up_visitors()
        for agents in self._agents.values():
            for agent in agents:
                agent.send({"type": "resume_required"})

    def control(self, message: dict[str, Any]) -> None:
        """A control message from any process (``Broker.publish_control``)."""
        if message.get("type") != "credentials_ended":
            return
        for agents in self._agents.values():
            for agent in agents:
                if agent.signed_in.named_in(message):
                    self._recheck(agent)

    def _recheck(self, agent: AgentConnection) -> None:
        # The database decides; the broadcast only says which sockets to ask about now.
        task = asyncio.create_task(agent.check_credential(now=True))
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            now = time.monotonic()
            for connection in self._all():
                if now - connection.last_received > self.idle_timeout_seconds:
                    await self._close_idle(connection)
                else:
                    connection.send({"type": "ping"})

    def _all(self) -> list[Connection]:
        connections: list[Connection] = []
        for agents in self._agents.values():
            connections.extend(agents)
        for visitors in self._visitors.values():
            connections.extend(visitors)
        return connections

    async def _close_idle(self, connection: Connection) -> None:
        self.remove(connection)
        if connection.websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await connection.websocket.close(code=4000, reason="idle")


C = TypeVar("C", bound=Connection)


def _join(group: set[C], connection: C) -> bool:
    if connection in group:
        return False
    group.add(connection)
    return True


def newer_than(event_id: str | None) -> Callable[[dict[str, Any]], bool]:
    """A filter for held envelopes: ephemeral ones pass, durable ones only after ``event_id``."""
    floor = parse_event_id(event_id) if event_id else None

    def accept(envelope: dict[str, Any]) -> bool:
        if envelope.get("id") is None or floor is None:
            return True
        return parse_event_id(envelope["id"]) > floor

    return accept


def _close_frame(code: int, reason: str) -> dict[str, Any]:
    return {"type": "_close", "code": code, "reason": reason}
