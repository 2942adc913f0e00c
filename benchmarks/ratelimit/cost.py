"""What the widget's rate limiter costs per customer message (kit/ratelimit.py).

Runs the exact call the widget socket and HTTP endpoints make for each message
(``PublicLimits.message``: per visitor, per address, per workspace, one check) many
times, against a baseline in the same run: the same call with the limits turned off
(``rate_limits.enabled = false``, which returns before touching any bucket). Backends:
in memory (one process, SQLite setups) and Redis (scale-out). Limits are set so high
that nothing is refused: the cost of counting, not of refusing.

Reported per message: wall time, this process's CPU, and for Redis also the Redis
server's CPU (INFO cpu before and after). Compare with the server CPU per message in
docs/benchmarks.md (Realtime).

    .venv/bin/python benchmarks/ratelimit/cost.py [--messages 20000] [--redis-url redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time
from typing import Any

import redis.asyncio as redis

from sangdam.config import RateLimitSettings, Settings
from sangdam.kit.ratelimit import PublicLimits, RateLimiter

HIGH = 10**9


def settings(enabled: bool) -> Settings:
    limits = RateLimitSettings(
        enabled=enabled,
        messages_per_visitor_per_minute=HIGH,
        messages_per_address_per_minute=HIGH,
        messages_per_workspace_per_minute=HIGH,
    )
    return Settings(rate_limits=limits)


async def redis_cpu(url: str) -> float:
    client = redis.Redis.from_url(url)
    try:
        info = await client.info("cpu")
        return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])
    finally:
        await client.aclose()


async def measure(
    name: str, limits: PublicLimits, messages: int, redis_url: str | None, concurrency: int
) -> dict[str, Any]:
    visitors = 500  # messages spread over visitors and addresses, as in a real load
    for n in range(200):  # warm up (connection, script load)
        await limits.message(
            contact_id=n, address=f"10.0.{n % 250}.1", workspace_id=1, starts_conversation=False
        )
    server_before = await redis_cpu(redis_url) if redis_url else 0.0

    async def sender(first: int) -> None:
        # One socket's customers: each waits for its check before sending the next.
        for n in range(first, messages, concurrency):
            await limits.message(
                contact_id=n % visitors,
                address=f"10.1.{n % visitors % 250}.{n % visitors // 250 + 1}",
                workspace_id=1,
                starts_conversation=False,
            )

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(sender(first) for first in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server = (await redis_cpu(redis_url) - server_before) if redis_url else 0.0
    return {
        "case": name,
        "concurrency": concurrency,
        "messages": messages,
        "wall_us_per_message": round(wall / messages * 1e6, 2),
        "cpu_us_per_message": round(cpu / messages * 1e6, 2),
        "redis_server_cpu_us_per_message": round(server / messages * 1e6, 2) if redis_url else None,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20000)
    # Keys expire by themselves (at most a minute here); nothing is flushed.
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--rounds", type=int, default=3, help="each case this often, best kept")
    parser.add_argument(
        "--concurrency",
        default="1,64",
        help="checks in flight at once: 1 is a quiet server, 64 a busy one (comma list)",
    )
    args = parser.parse_args()
    cases = [
        ("baseline: limits off", None, False),
        ("memory", None, True),
        ("redis", args.redis_url, True),
    ]
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for _ in range(args.rounds):
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            for name, url, enabled in cases:
                limiter = RateLimiter(url)
                try:
                    limits = PublicLimits(limiter, settings(enabled))
                    found = await measure(name, limits, args.messages, url, concurrency)
                finally:
                    await limiter.close()
                best = results.get((name, concurrency))
                if best is None or found["cpu_us_per_message"] < best["cpu_us_per_message"]:
                    results[(name, concurrency)] = found
    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "machine": platform.machine(),
                "results": list(results.values()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
