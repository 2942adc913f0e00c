"""One rate limiter for everything the public can call: shared by every process through
Redis when Sangdam scales out, in memory when it runs as one process.

Each limit is "``count`` per ``seconds``" for one subject (a visitor, a client address,
a workspace), kept as a GCRA token bucket: one number per subject (the theoretical
arrival time), a burst of up to ``count``, then one more every ``seconds / count``.
A request names all its limits at once; it passes only if every one has room, and
only then is it counted against each — a refused request costs nothing, so a visitor
blocked by the workspace's limit doesn't use up their own.

On Redis one Lua script checks and counts all of a request's limits atomically on
Redis's clock (one round trip). If Redis can't be reached the process falls back to
its own memory for the moment (limits then hold per process) rather than refusing
customers or letting everything through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import HTTPConnection

from sangdam.kit.errors import TooManyRequests

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from sangdam.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """``count`` requests per ``seconds`` for one subject, e.g. ("messages:visitor", "42")."""

    name: str
    subject: str
    count: int
    seconds: float

    @property
    def key(self) -> str:
        # The rate is part of the key: a changed setting starts afresh instead of
        # judging old arrivals by the new rate.
        return f"sangdam:rl:{self.name}:{self.count}/{self.seconds:g}:{self.subject}"

    @property
    def spec(self) -> tuple[str, int, int]:
        """(key, emission interval, window) in microseconds, as the Redis script takes it."""
        window = round(self.seconds * 1_000_000)
        return self.key, max(1, window // self.count), window


def client_address(connection: HTTPConnection, trusted_proxies: list[str]) -> str:
    """The caller's address (HTTP or WebSocket). X-Forwarded-For counts only when a
    trusted proxy sent it, read from the right: the first hop that is not a trusted
    proxy is the client. Anyone else's X-Forwarded-For is ignored (it is spoofable)."""
    peer = connection.client.host if connection.client else "unknown"
    if peer in trusted_proxies:
        forwarded = [
            part.strip() for part in connection.headers.get("x-forwarded-for", "").split(",")
        ]
        for hop in reversed([f for f in forwarded if f]):
            if hop not in trusted_proxies:
                return hop
    return peer


# One call checks a batch of requests, in order, as if they had come one by one.
# ARGV[1]: JSON [[[key, emission interval µs, window µs], …one per limit], …one per
# request]: one argument, not one per value (encoding arguments one by one was most of
# the client's cost). Returns per request 0 (counted) or the microseconds to wait (that
# request counted nowhere). Redis's clock, so every process judges alike. The keys are
# not declared in KEYS: fine on one Redis (as Sangdam uses it), not on Redis Cluster.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tats = {}
local changed = {}
local results = {}
for r, limits in ipairs(cjson.decode(ARGV[1])) do
  local wait = 0
  local new = {}
  for i, limit in ipairs(limits) do
    local key = limit[1]
    local tat = tats[key]
    if tat == nil then
      tat = tonumber(redis.call('GET', key) or '0')
      tats[key] = tat
    end
    if tat < now then tat = now end
    local next_tat = tat + limit[2]
    local over = next_tat - now - limit[3]
    if over > wait then wait = over end
    new[i] = next_tat
  end
  if wait == 0 then
    for i, limit in ipairs(limits) do
      tats[limit[1]] = new[i]
      changed[limit[1]] = true
    end
  end
  results[r] = wait
end
for key in pairs(changed) do
  local tat = tats[key]
  redis.call('SET', key, string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000))
end
return results
"""


class MemoryLimits:
    """The same buckets in this process's memory (the embedded setup, and Redis outages)."""

    # Expired buckets are dropped now and then; an attacker with many addresses can't
    # grow memory past about this many live ones.
    MAX_BUCKETS = 200_000

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._calls = 0

    def hit(self, limits: tuple[Limit, ...]) -> float:
        """0.0 if counted, else the seconds to wait."""
        now = time.monotonic()
        self._calls += 1
        if self._calls % 10_000 == 0 or len(self._tat) > self.MAX_BUCKETS:
            self._tat = {key: tat for key, tat in self._tat.items() if tat > now}
        wait = 0.0
        updates = []
        for limit in limits:
            interval = limit.seconds / limit.count
            new_tat = max(self._tat.get(limit.key, now), now) + interval
            wait = max(wait, new_tat - now - limit.seconds)
            updates.append((limit.key, new_tat))
        if wait > 0:
            return wait
        self._tat.update(updates)
        return 0.0


class RateLimiter:
    """``await limiter.enforce(limit, …)``: counts the request or raises TooManyRequests.

    With Redis, checks that arrive while a call is on its way go together in the next
    one (as the database's group commit does): under load a message costs a share of a
    round trip, not a whole one (benchmarks/ratelimit/cost.py).
    """

    def __init__(self, redis_url: str | None) -> None:
        self.memory = MemoryLimits()
        self._redis: Redis | None = None
        self._script: Any = None
        if redis_url:
            import redis.asyncio as redis

            self._redis = redis.Redis.from_url(
                redis_url, socket_timeout=1.0, socket_connect_timeout=1.0
            )
            self._script = self._redis.register_script(_GCRA)
        self._redis_down_until = 0.0
        self._waiting: list[tuple[tuple[Limit, ...], asyncio.Future[float]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def close(self) -> None:
        if self._sender is not None:
            with contextlib.suppress(Exception):
                await self._sender
        if self._redis is not None:
            await self._redis.aclose()

    async def hit(self, *limits: Limit) -> float:
        """0.0 if the request is counted against every limit, else the seconds to wait."""
        limits = tuple(limit for limit in limits if limit.count > 0)
        if not limits:
            return 0.0
        if self._script is None or time.monotonic() < self._redis_down_until:
            return self.memory.hit(limits)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.append((limits, future))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send(), name="sangdam-rate-limits")
        return await future

    async def _send(self) -> None:
        """Send what is waiting, batch after batch, until nothing is."""
        while self._waiting:
            batch, self._waiting = self._waiting, []
            requests = orjson.dumps([[limit.spec for limit in limits] for limits, _ in batch])
            try:
                if time.monotonic() < self._redis_down_until:
                    raise ConnectionError("Redis was unreachable a moment ago")
                answers = await self._script(keys=[], args=[requests])
                waits = [int(wait) / 1_000_000 for wait in answers]
            except Exception as exc:  # Redis unreachable or restarting
                log.warning("rate limits fall back to this process's memory: %s", exc)
                self._redis_down_until = time.monotonic() + 5.0
                waits = [self.memory.hit(limits) for limits, _ in batch]
            for (_, future), wait in zip(batch, waits, strict=True):
                if not future.done():  # the caller may have gone (a closed socket)
                    future.set_result(wait)

    async def enforce(self, *limits: Limit, message: str) -> None:
        """Count the request, or refuse it with 429 and how long to wait.

        ``message`` is for people; "{seconds}" in it becomes the wait.
        """
        wait = await self.hit(*limits)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyRequests(message, values={"seconds": seconds}, retry_after=seconds)


MINUTE = 60.0
HOUR = 3600.0


class PublicLimits:
    """The limits on what the public can do, read from ``settings.rate_limits`` at each
    call (an operator's change applies at once). Each method counts one action or
    raises TooManyRequests; the English message is for API users, the widget shows its
    own Korean or English text for the ``rate_limited`` code."""

    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self.limiter = limiter
        self.settings = settings

    def address(self, connection: HTTPConnection) -> str:
        return client_address(connection, self.settings.server.trusted_proxies)

    async def _enforce(self, message: str, *limits: tuple[str, object, int, float]) -> None:
        if not self.settings.rate_limits.enabled:
            return
        await self.limiter.enforce(
            *(
                Limit(name, str(subject), count, seconds)
                for name, subject, count, seconds in limits
            ),
            message=message,
        )

    async def account_action(self, address: str) -> None:
        """Setup, accepting an invitation, asking for or using a password-reset link."""
        rates = self.settings.rate_limits
        await self._enforce(
            "Too many attempts from your network. Try again in {seconds} seconds.",
            ("accounts:address", address, rates.account_actions_per_address_per_hour, HOUR),
        )

    async def reset_email(self, email: str) -> bool:
        """Whether another "forgot password" email may go to ``email`` now. Says no
        instead of raising: the form answers the same either way."""
        rates = self.settings.rate_limits
        try:
            await self._enforce(
                "",
                (
                    "resets:email",
                    email.strip().lower(),
                    rates.reset_emails_per_recipient_per_hour,
                    HOUR,
                ),
            )
        except TooManyRequests:
            return False
        return True

    async def new_visitor(self, address: str, workspace_id: int) -> None:
        rates = self.settings.rate_limits
        await self._enforce(
            "Too many new chat sessions from your network. Try again in {seconds} seconds.",
            ("visitors:address", address, rates.visitors_per_address_per_hour, HOUR),
            ("visitors:workspace", workspace_id, rates.visitors_per_workspace_per_minute, MINUTE),
        )

    async def message(
        self, *, contact_id: int, address: str, workspace_id: int, starts_conversation: bool
    ) -> None:
        """A customer's message; one that starts a conversation counts as both."""
        rates = self.settings.rate_limits
        limits: list[tuple[str, object, int, float]] = [
            ("messages:visitor", contact_id, rates.messages_per_visitor_per_minute, MINUTE),
            ("messages:address", address, rates.messages_per_address_per_minute, MINUTE),
            ("messages:workspace", workspace_id, rates.messages_per_workspace_per_minute, MINUTE),
        ]
        if starts_conversation:
            limits += [
                (
                    "conversations:visitor",
                    contact_id,
                    rates.conversations_per_visitor_per_hour,
                    HOUR,
                ),
                ("conversations:address", address, rates.conversations_per_address_per_hour, HOUR),
                (
                    "conversations:workspace",
                    workspace_id,
                    rates.conversations_per_workspace_per_minute,
                    MINUTE,
                ),
            ]
        await self._enforce(
            "Too many messages in a short time. Wait {seconds} seconds and send again.", *limits
        )

    async def identify(self, contact_id: int, address: str) -> None:
        rates = self.settings.rate_limits
        await self._enforce(
            "Too many identity checks. Try again in {seconds} seconds.",
            ("identify:visitor", contact_id, rates.identify_per_visitor_per_minute, MINUTE),
            ("identify:address", address, rates.identify_per_address_per_minute, MINUTE),
        )

    async def track(self, address: str) -> None:
        await self._enforce(
            "Too many tracked events from your network. Try again in {seconds} seconds.",
            (
                "events:address",
                address,
                self.settings.rate_limits.events_per_address_per_minute,
                MINUTE,
            ),
        )

    async def search(self, address: str) -> None:
        await self._enforce(
            "Too many searches in a short time. Try again in {seconds} seconds.",
            (
                "search:address",
                address,
                self.settings.rate_limits.searches_per_address_per_minute,
                MINUTE,
            ),
        )

    async def webhook(self, address: str, webhook_key: str) -> None:
        """A messenger's webhook delivery, counted before its signature is checked."""
        rates = self.settings.rate_limits
        await self._enforce(
            "Too many webhook deliveries in a short time. Try again in {seconds} seconds.",
            ("webhooks:channel", webhook_key, rates.webhooks_per_channel_per_minute, MINUTE),
            ("webhooks:address", address, rates.webhooks_per_address_per_minute, MINUTE),
        )

    async def email(self, sender: str, workspace_id: int) -> None:
        rates = self.settings.rate_limits
        await self._enforce(
            "Too many emails in a short time; try again in {seconds} seconds.",
            ("emails:sender", sender.lower(), rates.emails_per_sender_per_hour, HOUR),
            ("emails:workspace", workspace_id, rates.emails_per_workspace_per_minute, MINUTE),
        )
