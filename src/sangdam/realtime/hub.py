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
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketState

from sangdam.events import audience
from sangdam.realtime.broker import parse_event_id

log = logging.getLogger(__name__)

# Frames a socket may have queued before it is considered stuck.
MAX_QUEUED_FRAMES = 2000
CLOSE_TOO_SLOW = 4008


class Connection:
    """One WebSocket, agent or visitor, with an ordered outbound queue."""

    kind = "socket"

    def __init__(self, websocket: WebSocket, workspace_id: int) -> None:
        self.websocket = websocket
        self.workspace_id = workspace_id
        # Frames waiting to be written; None asks the writer to close the socket.
        self.pending: deque[dict[str, Any] | None] = deque()
        self.last_received = time.monotonic()
        # While resuming, live frames wait here until the replay has been sent.
        self._held: list[dict[str, Any]] | None = []
        self._writer: asyncio.Task[None] | None = None
        self.closed = False

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
            self.pending.append(None)
            self.closed = True
        else:
            self.pending.append(frame)
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
                if frame is None:
                    self.closed = True
                    await self.websocket.close(code=CLOSE_TOO_SLOW, reason="too slow")
                    return
                for item in await self.before_send(frame):
                    await self.websocket.send_bytes(orjson.dumps(item))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket went away mid-send
            log.debug("writer stopped: %s", exc)
            self.closed = True

    async def stop(self) -> None:
        self.closed = True
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer


class AgentConnection(Connection):
    kind = "agent"

    def __init__(self, websocket: WebSocket, workspace_id: int, agent_id: int) -> None:
        super().__init__(websocket, workspace_id)
        self.agent_id = agent_id
        self.epoch: str | None = None
        self.last_event_id: str | None = None
        # After "ready": only events newer than its last_event_id. An event already in the
        # stream when the agent resumed (or took its snapshot) can still be on its way
        # through pub/sub; it must not arrive a second time.
        self._newer: Callable[[dict[str, Any]], bool] | None = None

    def release(self, after: Callable[[dict[str, Any]], bool]) -> None:
        self._newer = after
        super().release(after)

    def frame_for(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        if self._newer is not None and not self._newer(envelope):
            return None
        frame = audience.for_agent(envelope, workspace_id=self.workspace_id, agent_id=self.agent_id)
        if frame is not None and envelope.get("id") is not None:
            self.epoch, self.last_event_id = envelope["epoch"], envelope["id"]
        return frame


class VisitorConnection(Connection):
    kind = "visitor"

    def __init__(
        self,
        websocket: WebSocket,
        workspace_id: int,
        contact_id: int,
        fetch_missed: Callable[[int, int], Awaitable[list[dict[str, Any]]]],
    ) -> None:
        super().__init__(websocket, workspace_id)
        self.contact_id = contact_id
        # conversation id -> highest message seq this socket has delivered.
        self.delivered: dict[int, int] = {}
        # Conversations handed to people: the bot will not answer there again.
        self.with_people: set[int] = set()
        self._fetch_missed = fetch_missed

    def frame_for(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        return audience.for_visitor(
            envelope, workspace_id=self.workspace_id, contact_id=self.contact_id
        )

    def catch_up(self) -> None:
        """Ask the writer to send, from the database, whatever this socket may have missed."""
        self.send({"type": "_catch_up"})

    async def before_send(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        if frame["type"] == "_catch_up":
            frames = []
            for conversation_id, seq in list(self.delivered.items()):
                frames.extend(await self._missed(conversation_id, seq))
            return frames
        if frame["type"] != "message.created":
            return [frame]
        message = frame["data"]["message"]
        conversation_id, seq = message["conversation_id"], message["seq"]
        delivered = self.delivered.get(conversation_id)
        if delivered is None:
            self.delivered[conversation_id] = seq
            return [frame]
        if seq <= delivered:
            return []  # already sent by a replay or a catch-up
        if seq == delivered + 1:
            self.delivered[conversation_id] = seq
            return [frame]
        # A gap: notes take seqs too, and events from two processes can cross.
        return await self._missed(conversation_id, delivered)

    async def _missed(self, conversation_id: int, after_seq: int) -> list[dict[str, Any]]:
        frames = []
        for message in await self._fetch_missed(conversation_id, after_seq):
            frames.append({"type": "message.created", "data": {"message": message}})
            self.delivered[conversation_id] = max(
                self.delivered.get(conversation_id, 0), message["seq"]
            )
        return frames


class Hub:
    def __init__(self, heartbeat_seconds: float, idle_timeout_seconds: float) -> None:
        self.heartbeat_seconds = heartbeat_seconds
        self.idle_timeout_seconds = idle_timeout_seconds
        self._agents: dict[int, set[AgentConnection]] = {}
        self._visitors: dict[tuple[int, int], set[VisitorConnection]] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self.current_epoch: str | None = None

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
            self._agents.setdefault(connection.workspace_id, set()).add(connection)
        elif isinstance(connection, VisitorConnection):
            key = (connection.workspace_id, connection.contact_id)
            self._visitors.setdefault(key, set()).add(connection)

    def remove(self, connection: Connection) -> None:
        if isinstance(connection, AgentConnection):
            group = self._agents.get(connection.workspace_id, set())
            group.discard(connection)
            if not group:
                self._agents.pop(connection.workspace_id, None)
        elif isinstance(connection, VisitorConnection):
            key = (connection.workspace_id, connection.contact_id)
            visitors = self._visitors.get(key, set())
            visitors.discard(connection)
            if not visitors:
                self._visitors.pop(key, None)

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
        """The feed was interrupted: catch visitors up and tell agents to resume."""
        self._catch_up_visitors()
        for agents in self._agents.values():
            for agent in agents:
                agent.send({"type": "resume_required"})

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


def newer_than(event_id: str | None) -> Callable[[dict[str, Any]], bool]:
    """A filter for held envelopes: ephemeral ones pass, durable ones only after ``event_id``."""
    floor = parse_event_id(event_id) if event_id else None

    def accept(envelope: dict[str, Any]) -> bool:
        if envelope.get("id") is None or floor is None:
            return True
        return parse_event_id(envelope["id"]) > floor

    return accept
