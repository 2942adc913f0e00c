"""Fan-out between processes, with a short per-workspace history for resume.

Two implementations of one interface:

* ``MemoryBroker`` — one process, the embedded default.
* ``RedisBroker`` — many processes. A transaction's durable events are appended
  to per-workspace Redis streams and published together as one message on one
  channel, in a single Lua script, so the stream order and the live order agree.

Each event carries an *epoch*. The epoch changes whenever history may have
been lost (a new process for the memory broker; a Redis restart or a failed
publish for Redis). A client that resumes from another epoch, or from an id
that was trimmed away, is told to resynchronise from a snapshot: recovery is
never guessed from a time window.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import re
import secrets
from collections import deque
from collections.abc import Callable
from typing import Any

import orjson

from sangdam.kit.metrics import BROKER_PUBLISH_FAILURES

log = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], None]
# Control messages (e.g. "these credentials ended") reach every process, never a client.
Control = Callable[[dict[str, Any]], None]


# Redis stream ids: two unsigned 64-bit numbers, "<milliseconds>-<sequence>".
_EVENT_ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
_MAX_PART = 2**64 - 1


def parse_event_id(event_id: str) -> tuple[int, int]:
    """Event ids are ``"<int>-<int>"`` (Redis stream ids); compare them as tuples.

    Both halves count: an id is a position only in the order of whole ids, so every
    broker compares ``(left, right)`` and nothing else. Anything that isn't such an id
    (signs, spaces, more digits than 64 bits hold) is a ValueError, which resume
    answers with ``resync_required`` on every broker alike.
    """
    match = _EVENT_ID.fullmatch(event_id) if isinstance(event_id, str) else None
    if match is None:
        raise ValueError(f"malformed event id {event_id!r}")
    left, right = int(match[1]), int(match[2])
    if left > _MAX_PART or right > _MAX_PART:
        raise ValueError(f"malformed event id {event_id!r}")
    return left, right


def new_epoch() -> str:
    return secrets.token_hex(8)


class Broker(abc.ABC):
    def __init__(self, history_size: int) -> None:
        self.history_size = history_size
        self._deliver: Deliver | None = None
        # Called after this process lost and regained the feed (missed events possible).
        self.on_feed_restored: Callable[[], None] | None = None
        # Called in every process (this one included) for each control message.
        self.on_control: Control | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def stop(self) -> None:
        self._deliver = None

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raises when the broker can't be reached (readiness checks)."""

    @abc.abstractmethod
    async def publish(self, envelope: dict[str, Any], *, durable: bool) -> None:
        """Send to every process; durable events get an id and enter history."""

    async def publish_many(self, items: list[tuple[dict[str, Any], bool]]) -> None:
        """Publish one transaction's events, in order; brokers may do it in one round trip."""
        for envelope, durable in items:
            await self.publish(envelope, durable=durable)

    @abc.abstractmethod
    async def publish_control(self, message: dict[str, Any]) -> None:
        """Tell every process, this one included; not stored, not for clients."""

    @abc.abstractmethod
    async def position(self, workspace_id: int) -> tuple[str, str]:
        """(epoch, id of the newest event) of a workspace's stream."""

    @abc.abstractmethod
    async def replay(
        self, workspace_id: int, epoch: str, after_id: str
    ) -> list[dict[str, Any]] | None:
        """Events after ``after_id`` in order, or None when they can't all be recovered."""

    def _dispatch(self, envelope: dict[str, Any]) -> None:
        if self._deliver is not None:
            self._deliver(envelope)

    def _dispatch_control(self, message: dict[str, Any]) -> None:
        if self.on_control is not None:
            try:
                self.on_control(message)
            except Exception:
                log.exception("a control message failed: %s", message.get("type"))


class MemoryBroker(Broker):
    def __init__(self, history_size: int) -> None:
        super().__init__(history_size)
        self.epoch = new_epoch()
        self._history: dict[int, deque[dict[str, Any]]] = {}
        self._counter: dict[int, int] = {}

    async def ping(self) -> None:
        """Always reachable: it is this process."""

    async def publish(self, envelope: dict[str, Any], *, durable: bool) -> None:
        envelope = {**envelope, "epoch": self.epoch, "id": None}
        if durable:
            workspace_id = envelope["workspace_id"]
            number = self._counter.get(workspace_id, 0) + 1
            self._counter[workspace_id] = number
            envelope["id"] = f"0-{number}"
            history = self._history.setdefault(workspace_id, deque(maxlen=self.history_size))
            history.append(envelope)
        self._dispatch(envelope)

    async def publish_control(self, message: dict[str, Any]) -> None:
        self._dispatch_control(message)

    async def position(self, workspace_id: int) -> tuple[str, str]:
        return self.epoch, f"0-{self._counter.get(workspace_id, 0)}"

    async def replay(
        self, workspace_id: int, epoch: str, after_id: str
    ) -> list[dict[str, Any]] | None:
        after = parse_event_id(after_id)
        if epoch != self.epoch:
            return None
        history = self._history.get(workspace_id, deque())
        # The same rule as Redis: a position is "0-0" (the start) while nothing was
        # trimmed, or an id this history issued and still holds. Ids here are "0-<n>", so
        # an id from another run (a Redis-style one, say) is never a position.
        if after == (0, 0):
            if len(history) != self._counter.get(workspace_id, 0):
                return None
        elif not history or not (
            parse_event_id(history[0]["id"]) <= after <= parse_event_id(history[-1]["id"])
        ):
            return None
        return [e for e in history if parse_event_id(e["id"]) > after]


# One transaction's events in one call, atomically, so stream order and live order agree.
# KEYS: channel, epoch key, then one stream per event. ARGV: maxlen, candidate epoch, then
# a durable flag and the envelope json per event. Publishes ONE message for all of them:
# "<epoch>\n<id> <json>\n<id> <json>..." (JSON has no raw newlines; "-" for no id), so
# a batch of a hundred events costs every listening process one message, not a hundred.
_PUBLISH = r"""
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[2], epoch)
end
local lines = {epoch}
local ids = {}
for i = 3, #KEYS do
  local durable = ARGV[(i - 3) * 2 + 3]
  local envelope = ARGV[(i - 3) * 2 + 4]
  local id = '-'
  if durable == '1' then
    id = redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], '*', 'e', envelope)
  end
  table.insert(ids, id)
  table.insert(lines, id .. ' ' .. envelope)
end
redis.call('PUBLISH', KEYS[1], table.concat(lines, '\n'))
return {epoch, ids}
"""

# KEYS: stream, epoch key. ARGV: epoch, after id. Returns a status and the entries.
# A position is one this history issued and still holds: "0-0" (the start) while nothing
# was trimmed, or the id of an event still in the stream. Anything else is "gone".
_REPLAY = """
local epoch = redis.call('GET', KEYS[2])
if epoch ~= ARGV[1] then return {'epoch'} end
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[2] == '0-0' then return {'ok'} end
  return {'gone'}
end
if ARGV[2] == '0-0' then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local deleted, added, length = '0-0', false, false
  for i = 1, #info, 2 do
    if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
    if info[i] == 'entries-added' then added = info[i + 1] end
    if info[i] == 'length' then length = info[i + 1] end
  end
  -- MAXLEN trimming leaves max-deleted-entry-id alone; entries-added counts what it took.
  if deleted ~= '0-0' or not added or added ~= length then return {'gone'} end
elseif #redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2]) == 0 then
  return {'gone'}
end
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[2], '+')
local out = {'ok'}
for _, entry in ipairs(entries) do
  table.insert(out, entry[1])
  table.insert(out, entry[2][2])
end
return out
"""


class RedisBroker(Broker):
    CHANNEL = "sangdam:events"
    CONTROL_CHANNEL = "sangdam:control"
    EPOCH_KEY = "sangdam:epoch"

    def __init__(self, url: str, history_size: int) -> None:
        super().__init__(history_size)
        import redis.asyncio as redis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError

        # After a Redis restart pooled connections are dead; retry once they reconnect.
        self._redis = redis.Redis.from_url(
            url,
            health_check_interval=10,
            retry=Retry(ExponentialBackoff(cap=1.0), 3),
            retry_on_error=[RedisConnectionError, TimeoutError],
        )
        self._url = url
        self._publish_script = self._redis.register_script(_PUBLISH)
        self._replay_script = self._redis.register_script(_REPLAY)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        # Set when a publish failed: the epoch must change so clients resync.
        self._lost_publish = False
        self._known_epoch: str | None = None

    def _stream(self, workspace_id: int) -> str:
        return f"sangdam:stream:{workspace_id}"

    async def start(self, deliver: Deliver) -> None:
        await super().start(deliver)
        await self._redis.ping()
        self._listener = asyncio.create_task(self._listen(), name="sangdam-redis-listener")
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def stop(self) -> None:
        await super().stop()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        await self._redis.aclose()

    async def ping(self) -> None:
        await self._redis.ping()

    async def publish(self, envelope: dict[str, Any], *, durable: bool) -> None:
        await self.publish_many([(envelope, durable)])

    async def publish_many(self, items: list[tuple[dict[str, Any], bool]]) -> None:
        if not items:
            return
        try:
            if self._lost_publish:
                await self._renew_epoch()
            keys = [self.CHANNEL, self.EPOCH_KEY]
            args: list[Any] = [self.history_size, new_epoch()]
            for envelope, durable in items:
                keys.append(self._stream(envelope["workspace_id"]))
                args.extend(("1" if durable else "0", orjson.dumps(envelope)))
            result = await self._publish_script(keys=keys, args=args)
            self._known_epoch = result[0].decode()
        except Exception:
            # The change is committed; clients will catch up once the epoch moves on.
            self._lost_publish = self._lost_publish or any(durable for _, durable in items)
            BROKER_PUBLISH_FAILURES.inc()
            log.warning(
                "could not publish %d events; clients will resynchronise", len(items), exc_info=True
            )

    async def publish_control(self, message: dict[str, Any]) -> None:
        await self._redis.publish(self.CONTROL_CHANNEL, orjson.dumps(message))

    async def _renew_epoch(self) -> None:
        """Events went missing: a new epoch tells every client to resynchronise.

        If Redis restarted meanwhile the epoch already changed with it; changing it
        again would only make clients resynchronise twice.
        """
        current = await self._redis.get(self.EPOCH_KEY)
        if isinstance(current, bytes) and current.decode() == self._known_epoch:
            await self._redis.set(self.EPOCH_KEY, new_epoch())
        self._lost_publish = False

    async def position(self, workspace_id: int) -> tuple[str, str]:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(self.EPOCH_KEY)
            pipe.xrevrange(self._stream(workspace_id), count=1)
            epoch, newest = await pipe.execute()
        if epoch is None:
            epoch_value = new_epoch()
            if not await self._redis.set(self.EPOCH_KEY, epoch_value, nx=True):
                existing = await self._redis.get(self.EPOCH_KEY)
                epoch_value = existing.decode() if isinstance(existing, bytes) else epoch_value
        else:
            epoch_value = epoch.decode()
        last = newest[0][0].decode() if newest else "0-0"
        return epoch_value, last

    async def replay(
        self, workspace_id: int, epoch: str, after_id: str
    ) -> list[dict[str, Any]] | None:
        parse_event_id(after_id)
        result = await self._replay_script(
            keys=[self._stream(workspace_id), self.EPOCH_KEY], args=[epoch, after_id]
        )
        if not result or result[0] != b"ok":
            return None
        events = []
        for index in range(1, len(result), 2):
            envelope = orjson.loads(result[index + 1])
            envelope["id"] = result[index].decode()
            envelope["epoch"] = epoch
            events.append(envelope)
        return events

    async def _listen(self) -> None:
        delay = 0.2
        first = True
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.CHANNEL, self.CONTROL_CHANNEL)
                self._subscribed.set()
                if not first and self.on_feed_restored is not None:
                    self.on_feed_restored()
                first = False
                delay = 0.2
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is None or message["type"] != "message":
                        continue
                    if message["channel"] == self.CONTROL_CHANNEL.encode():
                        self._dispatch_control(orjson.loads(message["data"]))
                    else:
                        self._on_message(message["data"])
            except asyncio.CancelledError:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
                raise
            except Exception as exc:
                log.warning("redis feed lost (%s); reconnecting in %.1fs", exc, delay)
                first = False
                with contextlib.suppress(Exception):  # the connection is already broken
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _on_message(self, data: bytes) -> None:
        epoch_bytes, *lines = data.split(b"\n")
        epoch = epoch_bytes.decode()
        for line in lines:
            event_id, payload = line.split(b" ", 1)
            envelope = orjson.loads(payload)
            envelope["epoch"] = epoch
            envelope["id"] = None if event_id == b"-" else event_id.decode()
            self._dispatch(envelope)


def create_broker(redis_url: str | None, history_size: int) -> Broker:
    if redis_url:
        return RedisBroker(redis_url, history_size)
    return MemoryBroker(history_size)
