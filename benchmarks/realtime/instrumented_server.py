"""Run `sangdam run|serve` with timers around the database and the event loop.

Used by ``load.py --instrument`` to see where the time goes without editing
``src/``: it wraps a few objects at import time, then calls the normal CLI.
At exit it writes a JSON file (path in ``SANGDAM_BENCH_STATS``) with:

* ``lock_wait`` / ``lock_hold``: the SQLite write lock (``Database._write_lock``),
  time waiting for it and time holding it (= one whole write transaction);
* ``transaction``: ``Database.transaction`` from entry to exit (lock + work +
  commit + publishing the events);
* ``commit``: ``AsyncSession.commit`` (for SQLite: the WAL write + fsync);
* ``publish``: ``Realtime.publish_committed`` (broker publish after commit);
* ``sql``: statements executed, by verb; ``sql_time``: time per statement as
  the event loop sees it (driver round trip including thread hops);
* ``loop_lag``: how late a 10 ms ``asyncio.sleep`` wakes up, sampled all the
  time: a busy event loop shows up here;
* ``aiosqlite_op``: every call aiosqlite hands to its connection thread (one
  thread round trip each: cursor, execute, fetch, close, commit, rollback...);
  ``aiosqlite_ops`` counts them;
* ``thread_hop``: round trip of a no-op through a worker thread, sampled every
  10 ms: the price of one hop (thread wake-up + GIL hand-over + loop wake-up).

``load.py`` sends SIGUSR1 when its measurement starts (the counters are
reset) and SIGUSR2 when it ends (the file is written), so the numbers cover
the measured window only. With ``SANGDAM_BENCH_PROFILE=path`` cProfile runs
between the two signals and its stats are written to that path (cProfile
slows the server down: use it to see where the time goes, not for numbers).
With ``SANGDAM_BENCH_SAMPLE=1`` the Python stack is sampled after every 1 ms of
process CPU time between the two signals (SIGPROF; a poor man's py-spy):
``stack_samples`` gives the share of CPU by package and by function.
With ``SANGDAM_BENCH_TRACEMALLOC=1`` the Python allocations (zlib's included:
CPython allocates its streams with PyMem_RawMalloc) that grew between the two
signals are written too, by source line (diagnostics only: tracing costs RSS).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import sys
import time
from collections import defaultdict
from typing import Any

perf = time.perf_counter
samples: dict[str, list[float]] = defaultdict(list)
counts: dict[str, int] = defaultdict(int)


def _summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    n = len(ordered)

    def pct(p: float) -> float:
        return round(ordered[min(n - 1, int(p / 100 * n))] * 1000, 3)

    return {
        "count": n,
        "mean_ms": round(sum(ordered) / n * 1000, 3),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(ordered[-1] * 1000, 3),
        "total_s": round(sum(ordered), 3),
    }


def _tracemalloc_growth() -> dict[str, Any]:
    """Allocations made since tracing started (at SIGUSR1) and still alive."""
    import tracemalloc

    if not tracemalloc.is_tracing():
        return {}
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    out: dict[str, Any] = {}
    for key in ("lineno", "traceback"):
        stats = snapshot.statistics(key)
        total = sum(stat.size for stat in stats)
        top = []
        for stat in stats[: 25 if key == "lineno" else 10]:
            frames = [
                f"{f.filename.split('site-packages/')[-1]}:{f.lineno}" for f in stat.traceback
            ]
            top.append(
                {
                    "kib": round(stat.size / 1024, 1),
                    "count": stat.count,
                    "where": frames[0] if key == "lineno" else frames,
                }
            )
        out[key] = {"total_kib": round(total / 1024, 1), "top": top}
    return out


class Sampler:
    """CPU-time stack sampling of the event-loop thread (SIGPROF, like vmprof).

    ``setitimer(ITIMER_PROF)`` fires after every ``interval`` of CPU time used by
    the process; Python runs the handler in the main thread at the next bytecode
    and passes the frame it was executing, so samples fall where the CPU goes.
    (Work in C called from Python is charged to the calling Python frame; work
    in other threads is charged to whatever the loop runs next.)
    """

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.total = 0
        self.leaf: dict[str, int] = defaultdict(int)
        self.inclusive: dict[str, int] = defaultdict(int)
        self.package: dict[str, int] = defaultdict(int)

    @staticmethod
    def _where(code: Any) -> str:
        name = code.co_filename
        for marker in ("site-packages/", "/src/", "python3.11/"):
            if marker in name:
                name = name.split(marker, 1)[1]
                break
        if "sangdam-src" in name:  # a --source snapshot
            name = name.split("/", 3)[-1]
        return f"{name}:{code.co_name}"

    @staticmethod
    def _package(where: str) -> str:
        head = where.split("/", 1)[0].split(":", 1)[0]
        return head.removesuffix(".py")

    def _handler(self, signum: int, frame: Any) -> None:
        stack = []
        while frame is not None:
            stack.append(self._where(frame.f_code))
            frame = frame.f_back
        if not stack:
            return
        self.total += 1
        self.leaf[stack[0]] += 1
        self.package[self._package(stack[0])] += 1
        for where in set(stack):
            self.inclusive[where] += 1

    def start(self) -> None:
        signal.signal(signal.SIGPROF, self._handler)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def stop(self) -> dict[str, Any]:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        total = max(1, self.total)

        def top(table: dict[str, int], n: int) -> list[list[Any]]:
            ranked = sorted(table.items(), key=lambda kv: -kv[1])[:n]
            return [[where, round(count / total * 100, 1)] for where, count in ranked]

        return {
            "samples": self.total,
            "interval_ms": self.interval * 1000,
            "pct_by_package_of_leaf": top(self.package, 25),
            "pct_self_by_function": top(self.leaf, 40),
            "pct_inclusive_by_function": top(self.inclusive, 80),
        }


_sampler: list[Sampler] = []


def _dump() -> None:
    path = os.environ.get("SANGDAM_BENCH_STATS")
    if not path:
        return
    data: dict[str, Any] = {name: _summary(values) for name, values in samples.items()}
    data["sql_counts"] = dict(counts)
    if _sampler:
        data["stack_samples"] = _sampler.pop().stop()
    growth = _tracemalloc_growth()
    if growth:
        data["tracemalloc_growth"] = growth
    with open(path, "w") as out:
        json.dump(data, out, indent=2)


class TimedLock:
    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock
        self._acquired = 0.0

    async def __aenter__(self) -> None:
        start = perf()
        await self._lock.acquire()
        self._acquired = perf()
        samples["lock_wait"].append(self._acquired - start)

    async def __aexit__(self, *exc: object) -> None:
        samples["lock_hold"].append(perf() - self._acquired)
        self._lock.release()


def install() -> None:
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import AsyncSession

    from sangdam import db as dbmod
    from sangdam.realtime import service as realtime_service

    original_init = dbmod.Database.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self._write_lock is not None:
            self._write_lock = TimedLock(self._write_lock)
        sync_engine = self.engine.sync_engine

        @event.listens_for(sync_engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            conn.info["bench_t"] = perf()
            counts[statement.lstrip().split(None, 1)[0].upper()] += 1

        @event.listens_for(sync_engine, "after_cursor_execute")
        def after(conn: Any, *rest: Any) -> None:
            started = conn.info.pop("bench_t", None)
            if started is not None:
                samples["sql_time"].append(perf() - started)

    dbmod.Database.__init__ = init  # type: ignore[method-assign]

    original_transaction = dbmod.Database.transaction

    @contextlib.asynccontextmanager
    async def transaction(self: Any) -> Any:
        start = perf()
        async with original_transaction(self) as session:
            yield session
        samples["transaction"].append(perf() - start)

    dbmod.Database.transaction = transaction  # type: ignore[method-assign]

    original_commit = AsyncSession.commit

    async def commit(self: Any) -> None:
        start = perf()
        await original_commit(self)
        samples["commit"].append(perf() - start)

    AsyncSession.commit = commit  # type: ignore[method-assign]

    original_publish = realtime_service.Realtime.publish_committed

    async def publish_committed(self: Any, events: list[Any]) -> None:
        start = perf()
        await original_publish(self, events)
        samples["publish"].append(perf() - start)

    realtime_service.Realtime.publish_committed = publish_committed  # type: ignore[method-assign]

    try:
        import aiosqlite.core as aiosqlite_core
    except ImportError:  # PostgreSQL-only install
        aiosqlite_core = None
    if aiosqlite_core is not None:
        original_execute = aiosqlite_core.Connection._execute

        async def _execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            start = perf()
            try:
                return await original_execute(self, fn, *args, **kwargs)
            finally:
                counts["aiosqlite_ops"] += 1
                samples["aiosqlite_op"].append(perf() - start)

        aiosqlite_core.Connection._execute = _execute  # type: ignore[method-assign]

    original_start = realtime_service.Realtime.start

    async def start(self: Any) -> None:
        await original_start(self)

        async def lag() -> None:
            while True:
                before = perf()
                await asyncio.sleep(0.01)
                samples["loop_lag"].append(perf() - before - 0.01)

        async def hop() -> None:
            loop = asyncio.get_running_loop()
            while True:
                await asyncio.sleep(0.01)
                before = perf()
                await loop.run_in_executor(None, int)
                samples["thread_hop"].append(perf() - before)

        self._bench_lag = asyncio.create_task(lag())
        self._bench_hop = asyncio.create_task(hop())

    realtime_service.Realtime.start = start  # type: ignore[method-assign]


def main() -> None:
    install()
    from sangdam.cli import main as cli_main

    profile_path = os.environ.get("SANGDAM_BENCH_PROFILE")
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
    dumped = False

    def reset(*_: object) -> None:
        samples.clear()
        counts.clear()
        if os.environ.get("SANGDAM_BENCH_SAMPLE"):
            if _sampler:
                _sampler.pop().stop()
            _sampler.append(Sampler())
            _sampler[0].start()
        if os.environ.get("SANGDAM_BENCH_TRACEMALLOC"):
            import tracemalloc

            tracemalloc.stop()
            tracemalloc.start(8)
        if profiler is not None:
            profiler.enable()

    def dump(*_: object) -> None:
        nonlocal dumped
        dumped = True
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_path)
        import gc

        gc.collect()
        _dump()

    signal.signal(signal.SIGUSR1, reset)
    signal.signal(signal.SIGUSR2, dump)
    atexit.register(lambda: None if dumped else _dump())
    cli_main(sys.argv[1:])


if __name__ == "__main__":
    main()
