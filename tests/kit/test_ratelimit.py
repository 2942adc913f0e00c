"""The rate limiter itself (kit/ratelimit.py), on both backends: in memory and in Redis."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from sangdam.kit.errors import TooManyRequests
from sangdam.kit.ratelimit import Limit, RateLimiter
from tests.fixtures.services import REDIS_URL, unavailable


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "redis" and not REDIS_URL:
        unavailable("needs SANGDAM_TEST_REDIS_URL")
    made = RateLimiter(REDIS_URL if request.param == "redis" else None)
    yield made
    await made.close()


def _limit(count: int, seconds: float = 60.0, name: str = "test") -> Limit:
    return Limit(name, secrets.token_hex(6), count, seconds)


async def test_a_burst_up_to_the_limit_then_a_wait(limiter: RateLimiter) -> None:
    limit = _limit(3, 60)
    assert [await limiter.hit(limit) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = await limiter.hit(limit)
    # One more is allowed every 20 s: the wait is about that, never more than the window.
    assert 0 < wait <= 60
    with pytest.raises(TooManyRequests) as refused:
        await limiter.enforce(limit, message="Wait {seconds} seconds.")
    seconds = refused.value.details["retry_after"]
    assert refused.value.message == f"Wait {seconds} seconds."
    assert refused.value.headers == {"Retry-After": str(seconds)}


async def test_a_refused_request_uses_up_none_of_its_limits(limiter: RateLimiter) -> None:
    mine, shared = _limit(2), _limit(1)
    assert await limiter.hit(mine, shared) == 0.0
    assert await limiter.hit(mine, shared) > 0  # the shared one is full
    # ...so "mine" was not counted the second time: it still has room for one.
    assert await limiter.hit(mine) == 0.0
    assert await limiter.hit(mine) > 0


async def test_subjects_are_counted_apart(limiter: RateLimiter) -> None:
    first, second = _limit(1), _limit(1)
    assert await limiter.hit(first) == 0.0
    assert await limiter.hit(second) == 0.0
    assert await limiter.hit(first) > 0


async def test_zero_turns_a_limit_off(limiter: RateLimiter) -> None:
    off = _limit(0)
    assert all([await limiter.hit(off) == 0.0 for _ in range(20)])


async def test_redis_is_shared_by_every_limiter_on_it() -> None:
    """Two processes are two limiters on one Redis: one count (tests/scaleout runs two
    real server processes for the same)."""
    if not REDIS_URL:
        unavailable("needs SANGDAM_TEST_REDIS_URL")
    first, second = RateLimiter(REDIS_URL), RateLimiter(REDIS_URL)
    try:
        limit = _limit(2)
        assert await first.hit(limit) == 0.0
        assert await second.hit(limit) == 0.0
        assert await first.hit(limit) > 0
        assert await second.hit(limit) > 0
    finally:
        await first.close()
        await second.close()


async def test_without_redis_the_process_still_limits() -> None:
    """Redis unreachable: the limits hold in this process instead of failing open."""
    limiter = RateLimiter("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        limit = _limit(2)
        assert await limiter.hit(limit) == 0.0
        assert await limiter.hit(limit) == 0.0
        assert await limiter.hit(limit) > 0
    finally:
        await limiter.close()
