#!/usr/bin/env python
"""Realtime load benchmark for Sangdam: latency, throughput and idle-socket memory.

The script starts the server(s) itself as subprocesses on 127.0.0.1, drives them
over the public protocol (HTTP + WebSocket, the same frames the widget and the
agent inbox send) and stops them again. Every scenario gets freshly started
servers on a fresh database.

Modes
  sqlite    one `sangdam run` process on a new SQLite file (in-memory fan-out).
  postgres  two processes on PostgreSQL + Redis: node A is `sangdam run` (it
            migrates and seeds the demo), node B is `sangdam serve`. The database
            (default `sangdam_bench`) is dropped and re-created and the Redis
            database is FLUSHDB'd before each scenario.

Scenarios
  latency   N visitors each open a conversation, then send messages at a fixed
            total rate R (open loop: message i is due at t0 + i/R, whatever the
            server does) for D seconds while K agents are connected. Latency is
            the time from the visitor sending `message.send` to an agent socket
            receiving the matching `message.created` (one clock: this process).
            In postgres mode visitors alternate between the nodes and agent k
            sits on node (k+1) % 2, so with K=2 every message reaches one agent
            on the other node (cross-node, via Redis) and one on the same node;
            both are reported.
  max       The same setup, but each visitor keeps a window of 1-4 sends in
            flight (next send as soon as an ack frees a slot) for D seconds.
            Reports acknowledged (= committed) messages per second and checks
            the count against the rows in the database.
  idle      C visitors are created over HTTP, then C widget sockets are opened
            against ONE server process (node A), each authenticated with hello
            and left idle (they answer the server's heartbeat pings). Reports
            (RSS after - RSS before) / C of that server process.

While a scenario measures, CPU time is sampled per process (server nodes,
PostgreSQL backends, Redis, this client) and for the whole machine, so the
report shows where the CPU went and whether anything else was running.

Example
  .venv/bin/python benchmarks/realtime/load.py --mode sqlite --scenarios latency,max,idle
  .venv/bin/python benchmarks/realtime/load.py --mode postgres --scenarios latency \\
      --rate 100 --duration 30 --json-out /tmp/pg-latency.json
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import gc
import json
import os
import platform
import resource
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# Demo sign-ins seeded by `sangdam run` (src/sangdam/demo/service.py).
DEMO_LOGINS = (
    ("admin@sangdam.local", "sangdam-admin"),
    ("mina@sangdam.local", "sangdam-agent"),
    ("alex@sangdam.local", "sangdam-agent"),
)
PONG = orjson.dumps({"type": "pong"})
TARGETS = {"latency_p99_ms": 100.0, "max_msgs_per_s": 1000.0, "idle_kb_per_conn": 50.0}

now = time.perf_counter


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentiles(values: list[float]) -> dict[str, Any]:
    """Nearest-rank percentiles of latencies given in seconds, reported in ms."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    n = len(ordered)

    def rank(p: float) -> float:
        index = max(0, min(n - 1, int(-(-p * n // 100)) - 1))
        return round(ordered[index] * 1000, 2)

    return {
        "count": n,
        "p50": rank(50),
        "p90": rank(90),
        "p99": rank(99),
        "max": round(ordered[-1] * 1000, 2),
        "mean": round(sum(ordered) / n * 1000, 2),
    }


def raise_nofile() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# --------------------------------------------------------------------------- servers


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def ps(self) -> psutil.Process:
        if not hasattr(self, "_ps"):
            self._ps = psutil.Process(self.process.pid)
        return self._ps


# Every server started, so an interrupted run still stops them.
SPAWNED: list[subprocess.Popen[bytes]] = []


@atexit.register
def _kill_leftovers() -> None:
    for process in SPAWNED:
        if process.poll() is None:
            process.kill()


class Cluster:
    """The server processes of one scenario, on fresh storage."""

    def __init__(self, args: argparse.Namespace, run_dir: Path, label: str) -> None:
        self.args = args
        self.mode = args.mode
        self.dir = run_dir / label
        self.dir.mkdir(parents=True, exist_ok=True)
        self.nodes: list[Node] = []
        self.workspace_id = 0
        self.inbox_key = ""
        if self.mode == "sqlite":
            self.sqlite_path = self.dir / "sangdam.sqlite3"
            self.database_url = f"sqlite:///{self.sqlite_path}"
            self.redis_url = ""
        else:
            self.database_url = f"{args.pg_dsn.rstrip('/')}/{args.pg_database}"
            self.redis_url = args.redis_url

    async def _reset_storage(self) -> None:
        if self.mode == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                await asyncio.to_thread(Path(f"{self.sqlite_path}{suffix}").unlink, missing_ok=True)
            return
        import asyncpg
        import redis.asyncio as redis

        admin = await asyncpg.connect(f"{self.args.pg_dsn.rstrip('/')}/postgres")
        try:
            name = self.args.pg_database
            if not name.replace("_", "").isalnum():
                raise SystemExit(f"refusing odd database name {name!r}")
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        client = redis.Redis.from_url(self.redis_url)
        try:
            await client.flushdb()
        finally:
            await client.aclose()

    def _spawn(self, name: str, verb: str) -> Node:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANGDAM_")}
        env.update(
            SANGDAM_DATABASE_URL=self.database_url,
            SANGDAM_REDIS_URL=self.redis_url,
            SANGDAM_DEMO__SEED="true",
            SANGDAM_LOG_LEVEL=self.args.server_log_level,
        )
        # The load comes from one address, many times faster than people write: the widget's
        # rate limits stay on (their cost is in the figures) with room for all of it.
        for limit in (
            "VISITORS_PER_ADDRESS_PER_HOUR",
            "VISITORS_PER_WORKSPACE_PER_MINUTE",
            "CONVERSATIONS_PER_VISITOR_PER_HOUR",
            "CONVERSATIONS_PER_ADDRESS_PER_HOUR",
            "CONVERSATIONS_PER_WORKSPACE_PER_MINUTE",
            "MESSAGES_PER_VISITOR_PER_MINUTE",
            "MESSAGES_PER_ADDRESS_PER_MINUTE",
            "MESSAGES_PER_WORKSPACE_PER_MINUTE",
        ):
            env[f"SANGDAM_RATE_LIMITS__{limit}"] = str(10**9)
        if self.args.no_rate_limits:  # the baseline for the limits' cost
            env["SANGDAM_RATE_LIMITS__ENABLED"] = "false"
        # The server imports `sangdam` from --source (ahead of the editable install).
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.args.source), env.get("PYTHONPATH", "")) if p
        )
        if self.args.sqlite_synchronous:
            env["SANGDAM_SQLITE_SYNCHRONOUS"] = self.args.sqlite_synchronous
        if self.instrumented:
            env["SANGDAM_BENCH_STATS"] = str(self.dir / f"stats-{name}.json")
            if self.args.tracemalloc:
                env["SANGDAM_BENCH_TRACEMALLOC"] = "1"
            if self.args.sample:
                env["SANGDAM_BENCH_SAMPLE"] = "1"
            if self.args.profile:
                env["SANGDAM_BENCH_PROFILE"] = str(self.dir / f"profile-{name}.prof")
            cmd = [sys.executable, str(HERE / "instrumented_server.py"), verb]
        else:
            cmd = [sys.executable, "-m", "sangdam.cli", verb]
        cmd += ["--host", "127.0.0.1", "--port", str(port)]
        log_path = self.dir / f"server-{name}.log"
        with open(log_path, "wb") as out:
            process = subprocess.Popen(
                cmd,
                env=env,
                cwd=self.dir,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        SPAWNED.append(process)
        return Node(name, port, process, log_path)

    async def _wait_ready(self, node: Node, limit: float = 90.0) -> None:
        deadline = now() + limit
        async with httpx.AsyncClient(timeout=5) as client:
            while now() < deadline:
                if node.process.poll() is not None:
                    raise RuntimeError(
                        f"server {node.name} exited ({node.process.returncode}); "
                        f"see {node.log_path}:\n{node.log_path.read_text()[-2000:]}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{node.base_url}/api/openapi.json")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"server {node.name} did not answer within {limit}s")

    async def start(self) -> None:
        await self._reset_storage()
        first = self._spawn("A", "run")
        self.nodes.append(first)
        await self._wait_ready(first)
        if self.mode == "postgres":
            second = self._spawn("B", "serve")
            self.nodes.append(second)
            await self._wait_ready(second)
        self.workspace_id = int(await self.scalar("SELECT min(id) FROM workspaces"))
        self.inbox_key = str(
            await self.scalar(
                "SELECT public_key FROM inboxes WHERE workspace_id = $1 ORDER BY id LIMIT 1",
                self.workspace_id,
            )
        )

    async def scalar(self, sql: str, *params: Any) -> Any:
        if self.mode == "sqlite":

            def run() -> Any:
                with contextlib.closing(
                    sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
                ) as db:
                    # asyncpg-style $1 placeholders -> sqlite ?NNN
                    return db.execute(sql.replace("$", "?"), params).fetchone()[0]

            return await asyncio.to_thread(run)
        import asyncpg

        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetchval(sql, *params)
        finally:
            await conn.close()

    async def stop(self) -> None:
        for node in self.nodes:
            if node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            try:
                await asyncio.to_thread(node.process.wait, 20)
            except subprocess.TimeoutExpired:
                log(f"server {node.name} ignored SIGTERM; killing it")
                node.process.kill()
                await asyncio.to_thread(node.process.wait, 10)
        self.nodes_stopped = True

    @property
    def instrumented(self) -> bool:
        return bool(
            self.args.instrument or self.args.profile or self.args.tracemalloc or self.args.sample
        )

    def mark_start(self) -> None:
        """Instrumented servers: reset their counters (and start cProfile)."""
        if self.instrumented:
            for node in self.nodes:
                node.process.send_signal(signal.SIGUSR1)

    async def mark_stop(self) -> dict[str, Any]:
        """Instrumented servers: write and return their counters for the window."""
        if not self.instrumented:
            return {}
        stats: dict[str, Any] = {}
        for node in self.nodes:
            path = self.dir / f"stats-{node.name}.json"
            path.unlink(missing_ok=True)
            node.process.send_signal(signal.SIGUSR2)
            for _ in range(600):
                await asyncio.sleep(0.1)
                if path.exists():
                    await asyncio.sleep(0.3)
                    with contextlib.suppress(ValueError):
                        stats[node.name] = json.loads(path.read_text())
                        break
        return stats


# --------------------------------------------------------------------------- CPU accounting


class CpuWatch:
    """CPU seconds per process group between start() and stop(), as % of one core."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.nodes = cluster.nodes
        self.me = psutil.Process()
        self.samples: list[dict[str, float]] = []
        self._task: asyncio.Task[None] | None = None

    def _snapshot(self) -> dict[str, Any]:
        snap: dict[str, Any] = {"wall": now()}
        for node in self.nodes:
            with contextlib.suppress(psutil.Error):
                t = node.ps.cpu_times()
                snap[f"server_{node.name}"] = t.user + t.system
        groups: dict[str, dict[int, float]] = {"postgres": {}, "redis": {}}
        for proc in psutil.process_iter(["name"]):
            name = proc.info["name"] or ""
            group = (
                "postgres"
                if name.startswith("postgres")
                else ("redis" if name.startswith("redis-server") else None)
            )
            if group:
                with contextlib.suppress(psutil.Error):
                    t = proc.cpu_times()
                    groups[group][proc.pid] = t.user + t.system
        snap["_groups"] = groups
        t = self.me.cpu_times()
        snap["client"] = t.user + t.system
        total = psutil.cpu_times()
        snap["machine_busy"] = (
            total.user + total.system + total.nice + total.irq + total.softirq + total.steal
        )
        snap["machine_iowait"] = getattr(total, "iowait", 0.0)
        return snap

    @staticmethod
    def _diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
        wall = b["wall"] - a["wall"]
        out: dict[str, float] = {}
        for key in b:
            if key in ("wall", "_groups") or key not in a:
                continue
            out[key] = (b[key] - a[key]) / wall * 100
        for group, pids in b["_groups"].items():
            before = a["_groups"][group]
            out[group] = sum(v - before.get(pid, 0.0) for pid, v in pids.items()) / wall * 100
        known = sum(v for k, v in out.items() if k not in ("machine_busy", "machine_iowait"))
        out["other"] = out["machine_busy"] - known
        return {k: round(v, 1) for k, v in out.items()}

    async def _sample(self) -> None:
        previous = self._snapshot()
        while True:
            await asyncio.sleep(1.0)
            current = await asyncio.to_thread(self._snapshot)
            self.samples.append(self._diff(previous, current))
            previous = current

    def start(self) -> None:
        self.cluster.mark_start()
        self._first = self._snapshot()
        self._task = asyncio.create_task(self._sample())

    async def stop(self) -> dict[str, Any]:
        last = self._snapshot()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        result: dict[str, Any] = {"avg_pct_of_one_core": self._diff(self._first, last)}
        peaks: dict[str, float] = {}
        for sample in self.samples:
            for key, value in sample.items():
                peaks[key] = max(peaks.get(key, 0.0), value)
        result["peak_1s_pct_of_one_core"] = peaks
        result["cores"] = psutil.cpu_count()
        self.server_stats = await self.cluster.mark_stop()
        return result


# --------------------------------------------------------------------------- clients


@dataclass
class Run:
    """Shared bookkeeping of one scenario."""

    tag: str
    # client_id -> (send time, visitor node index)
    sent: dict[str, tuple[float, int]] = field(default_factory=dict)
    ack_at: dict[str, float] = field(default_factory=dict)
    ack_latency: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[Any] = field(default_factory=list)
    measuring: bool = False

    def error(self, kind: str, sample: Any = None) -> None:
        self.errors[kind] += 1
        if sample is not None and len(self.error_samples) < 10:
            self.error_samples.append(sample)


async def open_socket(url: str, args: argparse.Namespace, **kwargs: Any) -> ClientConnection:
    return await connect(
        url,
        max_size=None,
        compression=None if args.no_compression else "deflate",
        open_timeout=60,
        ping_interval=None,  # Sangdam pings at the application level
        close_timeout=2,
        **kwargs,
    )


async def recv_until(ws: ClientConnection, wanted: str, limit: float = 30.0) -> dict[str, Any]:
    deadline = now() + limit
    while True:
        raw = await asyncio.wait_for(ws.recv(), max(0.01, deadline - now()))
        frame = orjson.loads(raw)
        if frame["type"] == wanted:
            return frame
        if frame["type"] == "ping":
            await ws.send(PONG)
        elif frame["type"] == "error":
            raise RuntimeError(f"error frame while waiting for {wanted}: {frame}")


class Agent:
    def __init__(self, index: int, node_index: int, node: Node, run: Run) -> None:
        self.index = index
        self.node_index = node_index
        self.node = node
        self.run = run
        self.ws: ClientConnection | None = None
        self.latency: list[tuple[float, bool]] = []  # (seconds, cross-node)
        self.seen: set[str] = set()
        self.duplicates = 0
        self.frames = 0
        # Per conversation, the highest seq seen: a lower one later is out of order.
        self.last_seq: dict[int, int] = {}
        self.out_of_order = 0
        self._task: asyncio.Task[None] | None = None

    async def connect(self, args: argparse.Namespace, workspace_id: int) -> None:
        email, password = DEMO_LOGINS[self.index % len(DEMO_LOGINS)]
        async with httpx.AsyncClient(base_url=self.node.base_url, timeout=30) as client:
            response = await client.post(
                "/api/v1/login", json={"email": email, "password": password}
            )
            if response.status_code != 200:
                raise RuntimeError(f"login failed: {response.status_code} {response.text}")
            cookie = response.cookies["sangdam_session"]
        self.ws = await open_socket(
            f"{self.node.ws_url}/ws/agent?workspace_id={workspace_id}",
            args,
            additional_headers={"Cookie": f"sangdam_session={cookie}"},
            origin=self.node.base_url,  # type: ignore[arg-type]
        )
        await recv_until(self.ws, "ready")
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        run = self.run
        try:
            async for raw in self.ws:
                t = now()
                self.frames += 1
                if isinstance(raw, str):
                    raw = raw.encode()
                if raw.startswith(b'{"type":"message.created"'):
                    message = orjson.loads(raw)["data"]["message"]
                    conversation_id, seq = message["conversation_id"], message["seq"]
                    if seq < self.last_seq.get(conversation_id, 0):
                        self.out_of_order += 1
                    else:
                        self.last_seq[conversation_id] = seq
                    client_id = message.get("client_id")
                    entry = run.sent.get(client_id) if client_id else None
                    if entry is None:
                        continue
                    if client_id in self.seen:
                        self.duplicates += 1
                        continue
                    self.seen.add(client_id)
                    if run.measuring:
                        self.latency.append((t - entry[0], entry[1] != self.node_index))
                elif raw.startswith(b'{"type":"ping"'):
                    await self.ws.send(PONG)
                elif raw.startswith(b'{"type":"error"'):
                    run.error("agent_error_frame", orjson.loads(raw))
                elif raw.startswith(b'{"type":"resume_required') or raw.startswith(
                    b'{"type":"resync_required'
                ):
                    run.error("agent_" + orjson.loads(raw)["type"])
        except ConnectionClosed as exc:
            run.error("agent_disconnected", repr(exc))

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 3)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


class Visitor:
    def __init__(self, index: int, node_index: int, node: Node, run: Run | None) -> None:
        self.index = index
        self.node_index = node_index
        self.node = node
        self.run = run
        self.token = ""
        self.ws: ClientConnection | None = None
        self.conversation_id: int | None = None
        self.window: asyncio.Semaphore | None = None
        self.first_ack: asyncio.Future[dict[str, Any]] | None = None
        self.pings = 0
        self._task: asyncio.Task[None] | None = None
        self._counter = 0

    async def create(self, client: httpx.AsyncClient, inbox_key: str) -> None:
        for attempt in range(3):
            try:
                response = await client.post(
                    f"{self.node.base_url}/api/widget/v1/visitors", json={"inbox_key": inbox_key}
                )
                break
            except httpx.TransportError:
                # A pooled keep-alive connection the server closed just then: retry.
                if attempt == 2:
                    raise
        if response.status_code != 201:
            raise RuntimeError(f"visitor creation failed: {response.status_code} {response.text}")
        self.token = response.json()["token"]

    async def connect(self, args: argparse.Namespace) -> None:
        self.ws = await open_socket(f"{self.node.ws_url}/ws/widget", args)
        await self.ws.send(
            orjson.dumps({"type": "hello", "token": self.token, "conversations": {}})
        )
        await recv_until(self.ws, "ready")
        self._task = asyncio.create_task(self._read())

    def next_client_id(self) -> str:
        assert self.run is not None
        self._counter += 1
        return f"{self.run.tag}-{self.index}-{self._counter}"

    async def send(self, client_id: str) -> None:
        assert self.ws is not None and self.run is not None
        frame = orjson.dumps(
            {
                "type": "message.send",
                "ref": client_id,
                "conversation_id": self.conversation_id,
                "client_id": client_id,
                "body": f"bench {client_id} 안녕하세요, 배송 문의드립니다.",
            }
        )
        self.run.sent[client_id] = (now(), self.node_index)
        await self.ws.send(frame)

    async def _read(self) -> None:
        assert self.ws is not None
        run = self.run
        try:
            async for raw in self.ws:
                if isinstance(raw, str):
                    raw = raw.encode()
                if raw.startswith(b'{"type":"ping"'):
                    self.pings += 1
                    await self.ws.send(PONG)
                    continue
                if run is None:
                    continue
                if raw.startswith(b'{"type":"ack"'):
                    t = now()
                    frame = orjson.loads(raw)
                    ref = frame["ref"]
                    entry = run.sent.get(ref)
                    if entry is not None and ref not in run.ack_at:
                        run.ack_at[ref] = t
                        if run.measuring:
                            run.ack_latency.append(t - entry[0])
                    if self.first_ack is not None and not self.first_ack.done():
                        self.first_ack.set_result(frame)
                    if self.window is not None:
                        self.window.release()
                elif raw.startswith(b'{"type":"error"'):
                    frame = orjson.loads(raw)
                    run.error("visitor_error_frame:" + str(frame.get("code")), frame)
                    if self.first_ack is not None and not self.first_ack.done():
                        self.first_ack.set_exception(RuntimeError(str(frame)))
                    if self.window is not None:
                        self.window.release()
        except ConnectionClosed as exc:
            if run is not None and not getattr(self, "closing", False):
                run.error("visitor_disconnected", repr(exc))

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 3)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


async def bounded(items: list[Any], concurrency: int, fn: Any) -> list[BaseException | None]:
    """Run fn(item) for every item, at most `concurrency` at once; returns the exceptions."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(item: Any) -> BaseException | None:
        async with semaphore:
            try:
                await fn(item)
                return None
            except Exception as exc:  # reported by the caller
                return exc

    return await asyncio.gather(*(one(item) for item in items))


async def create_visitors(visitors: list[Visitor], cluster: Cluster, concurrency: int) -> float:
    started = now()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        failures = [
            e
            for e in await bounded(
                visitors, concurrency, lambda v: v.create(client, cluster.inbox_key)
            )
            if e
        ]
    if failures:
        raise RuntimeError(f"{len(failures)} visitors could not be created: {failures[0]!r}")
    return now() - started


# --------------------------------------------------------------------------- scenario A


@contextlib.asynccontextmanager
async def demo_admin(base_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """An HTTP client signed in as the demo's admin, and the CSRF header its writes need."""
    email, password = DEMO_LOGINS[0]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        login = await client.post("/api/v1/login", json={"email": email, "password": password})
        login.raise_for_status()
        yield client, {"X-CSRF-Token": login.json()["csrf_token"]}


async def bot_off(base_url: str, workspace_id: int) -> None:
    """The demo workspace has a support bot; this benchmark measures person-to-person chat.

    Revisions without the bot (no /bot/flow endpoint) are left as they are.
    """
    async with demo_admin(base_url) as (client, headers):
        path = f"/api/v1/workspaces/{workspace_id}/bot/flow"
        found = await client.get(path)
        if found.status_code == 404:
            return
        found.raise_for_status()
        flow = found.json()
        response = await client.put(
            path, json={"enabled": False, "definition": flow["definition"]}, headers=headers
        )
        response.raise_for_status()


async def rules_off(base_url: str, workspace_id: int) -> None:
    """The demo's automation rules (e.g. tag messages that sound angry) are off too, unless
    --keep-rules: a rule on incoming messages sends every message down the full path.

    Revisions without automation (no /automation/rules endpoint) are left as they are.
    """
    async with demo_admin(base_url) as (client, headers):
        path = f"/api/v1/workspaces/{workspace_id}/automation/rules"
        found = await client.get(path)
        if found.status_code == 404:
            return
        found.raise_for_status()
        for rule in found.json():
            fields = ("name", "position", "trigger", "conditions", "actions")
            body = {key: rule[key] for key in fields} | {"enabled": False}
            response = await client.put(f"{path}/{rule['id']}", json=body, headers=headers)
            response.raise_for_status()


async def setup_chat(
    args: argparse.Namespace, cluster: Cluster, run: Run
) -> tuple[list[Agent], list[Visitor]]:
    nodes = cluster.nodes
    n_nodes = len(nodes)
    agents = [
        Agent(k, (k + 1) % n_nodes, nodes[(k + 1) % n_nodes], run) for k in range(args.agents)
    ]
    visitors = [Visitor(i, i % n_nodes, nodes[i % n_nodes], run) for i in range(args.visitors)]
    await bot_off(nodes[0].base_url, cluster.workspace_id)
    if not args.keep_rules:
        await rules_off(nodes[0].base_url, cluster.workspace_id)
    elapsed = await create_visitors(visitors, cluster, args.create_concurrency)
    log(f"created {len(visitors)} visitors in {elapsed:.1f}s")
    for agent in agents:
        await agent.connect(args, cluster.workspace_id)
    failures = [e for e in await bounded(visitors, 50, lambda v: v.connect(args)) if e]
    if failures:
        raise RuntimeError(f"{len(failures)} widget sockets failed: {failures[0]!r}")

    # Warm-up: every visitor opens its conversation (first message, conversation_id null).
    async def open_conversation(visitor: Visitor) -> None:
        visitor.first_ack = asyncio.get_running_loop().create_future()
        await visitor.send(visitor.next_client_id())
        ack = await asyncio.wait_for(visitor.first_ack, 60)
        visitor.conversation_id = ack["conversation"]["id"]
        visitor.first_ack = None

    failures = [e for e in await bounded(visitors, 20, open_conversation) if e]
    if failures:
        raise RuntimeError(f"{len(failures)} conversations failed to start: {failures[0]!r}")
    # Let the warm-up deliveries reach the agents, then forget them.
    expected = len(visitors)
    deadline = now() + 20
    while now() < deadline and min(len(a.seen) for a in agents) < expected:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    await asyncio.sleep(args.settle)
    log(f"{len(agents)} agents and {len(visitors)} visitors connected, conversations open")
    return agents, visitors


async def drain(run: Run, agents: list[Agent], ids: list[str], limit: float) -> None:
    deadline = now() + limit
    while now() < deadline:
        if all(i in run.ack_at for i in ids) and all(all(i in a.seen for i in ids) for a in agents):
            return
        await asyncio.sleep(0.2)


def delivery_report(
    run: Run, agents: list[Agent], ids: list[str], postgres: bool
) -> dict[str, Any]:
    lat = [x for a in agents for x in a.latency]
    idset = set(ids)
    report: dict[str, Any] = {
        "delivery_ms": percentiles([x for x, _ in lat]),
        "ack_ms": percentiles(run.ack_latency),
        "missing_deliveries": sum(len(idset - a.seen) for a in agents),
        "duplicate_deliveries": sum(a.duplicates for a in agents),
        "out_of_order_deliveries": sum(a.out_of_order for a in agents),
    }
    if postgres:
        report["delivery_cross_node_ms"] = percentiles([x for x, cross in lat if cross])
        report["delivery_same_node_ms"] = percentiles([x for x, cross in lat if not cross])
    return report


async def scenario_latency(args: argparse.Namespace, cluster: Cluster) -> dict[str, Any]:
    run = Run(tag="L" + secrets.token_hex(3))
    agents, visitors = await setup_chat(args, cluster, run)
    total = int(args.rate * args.duration)
    ids: list[str] = []
    lags: list[float] = []
    watch = CpuWatch(cluster)
    run.measuring = True
    watch.start()
    log(f"sending {total} messages at {args.rate}/s for {args.duration}s")
    t0 = now() + 0.2
    for i in range(total):
        due = t0 + i / args.rate
        delay = due - now()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, now() - due))
        visitor = visitors[i % len(visitors)]
        client_id = visitor.next_client_id()
        ids.append(client_id)
        try:
            await visitor.send(client_id)
        except ConnectionClosed as exc:
            run.error("send_failed", repr(exc))
    send_seconds = now() - t0
    await drain(run, agents, ids, args.drain)
    cpu = await watch.stop()
    run.measuring = False
    persisted = await cluster.scalar(
        "SELECT count(*) FROM messages WHERE client_id LIKE $1", run.tag + "-%"
    )
    result = {
        "sent": len(ids),
        "achieved_send_rate": round(len(ids) / send_seconds, 1),
        "send_lag_ms": percentiles(lags),
        "acked": sum(1 for i in ids if i in run.ack_at),
        "persisted_rows_incl_warmup": int(persisted),
        "warmup_conversations": len(visitors),
        **delivery_report(run, agents, ids, cluster.mode == "postgres"),
        "errors": dict(run.errors),
        "error_samples": run.error_samples,
        "cpu": cpu,
        "server_stats": watch.server_stats,
    }
    result["target_p99_ms"] = TARGETS["latency_p99_ms"]
    result["target_met"] = bool(
        result["delivery_ms"].get("p99", 1e9) <= TARGETS["latency_p99_ms"]
        and result["missing_deliveries"] == 0
        and not run.errors
    )
    await close_all(agents, visitors)
    return result


async def scenario_max(args: argparse.Namespace, cluster: Cluster) -> dict[str, Any]:
    run = Run(tag="M" + secrets.token_hex(3))
    agents, visitors = await setup_chat(args, cluster, run)
    low, _, high = args.inflight.partition("-")
    low_n, high_n = int(low), int(high or low)
    for visitor in visitors:
        visitor.window = asyncio.Semaphore(low_n + visitor.index % (high_n - low_n + 1))
    ids: list[str] = []
    watch = CpuWatch(cluster)
    run.measuring = True
    watch.start()
    t0 = now()
    stop_at = t0 + args.duration
    log(f"max throughput for {args.duration}s, {args.inflight} sends in flight per visitor")

    async def pump(visitor: Visitor) -> None:
        assert visitor.window is not None
        while True:
            await visitor.window.acquire()
            if now() >= stop_at:
                visitor.window.release()
                return
            client_id = visitor.next_client_id()
            ids.append(client_id)
            try:
                await visitor.send(client_id)
            except ConnectionClosed as exc:
                run.error("send_failed", repr(exc))
                return

    await asyncio.gather(*(pump(v) for v in visitors))
    in_window = sum(1 for i in ids if run.ack_at.get(i, 1e18) <= stop_at)
    await drain(run, agents, ids, args.drain)
    cpu = await watch.stop()
    run.measuring = False
    acked = [run.ack_at[i] for i in ids if i in run.ack_at]
    persisted = int(
        await cluster.scalar(
            "SELECT count(*) FROM messages WHERE client_id LIKE $1", run.tag + "-%"
        )
    ) - len(visitors)
    last_ack = max(acked) if acked else now()
    result = {
        "sent": len(ids),
        "acked": len(acked),
        "acked_within_window": in_window,
        "acked_msgs_per_s": round(in_window / args.duration, 1),
        "persisted_rows": persisted,
        "persisted_msgs_per_s": round(persisted / (last_ack - t0), 1),
        "inflight": args.inflight,
        **delivery_report(run, agents, ids, cluster.mode == "postgres"),
        "errors": dict(run.errors),
        "error_samples": run.error_samples,
        "cpu": cpu,
        "server_stats": watch.server_stats,
    }
    result["target_msgs_per_s"] = TARGETS["max_msgs_per_s"]
    result["target_met"] = bool(result["persisted_msgs_per_s"] >= TARGETS["max_msgs_per_s"])
    await close_all(agents, visitors)
    return result


async def close_all(agents: list[Agent], visitors: list[Visitor]) -> None:
    await bounded([*agents, *visitors], 200, lambda c: c.close())


# --------------------------------------------------------------------------- scenario B


def rss(node: Node) -> dict[str, int]:
    info = node.ps.memory_full_info()
    return {"rss": info.rss, "uss": info.uss}


async def scenario_idle(args: argparse.Namespace, cluster: Cluster) -> dict[str, Any]:
    node = cluster.nodes[0]
    count = args.idle
    visitors = [Visitor(i, 0, node, None) for i in range(count)]
    elapsed = await create_visitors(visitors, cluster, args.create_concurrency)
    log(f"created {count} visitors in {elapsed:.1f}s ({count / elapsed:.0f}/s)")
    await asyncio.sleep(args.settle)
    gc.collect()
    before = rss(node)
    client_before = psutil.Process().memory_info().rss
    log(f"server {node.name} RSS before: {before['rss'] / 2**20:.1f} MiB; opening {count} sockets")
    watch = CpuWatch(cluster)
    watch.start()
    started = now()
    failures = [
        e for e in await bounded(visitors, args.idle_concurrency, lambda v: v.connect(args)) if e
    ]
    open_seconds = now() - started
    opened = [v for v in visitors if v._task is not None]
    log(f"{len(opened)} sockets open in {open_seconds:.1f}s ({len(failures)} failed)")
    await asyncio.sleep(args.settle)
    settled = rss(node)
    cpu_open = await watch.stop()
    peak = settled["rss"]
    hold_until = now() + args.idle_hold
    while now() < hold_until:
        await asyncio.sleep(1.0)
        with contextlib.suppress(psutil.Error):
            peak = max(peak, node.ps.memory_info().rss)
    final = rss(node)
    still_open = sum(1 for v in opened if v._task is not None and not v._task.done())
    pings = sum(v.pings for v in opened)
    n = max(1, len(opened))
    kb = lambda delta: round(delta / n / 1024, 1)  # noqa: E731
    result = {
        "connections_requested": count,
        "connections_opened": len(opened),
        "connections_open_at_end": still_open,
        "open_failures": len(failures),
        "failure_samples": [repr(e) for e in failures[:5]],
        "visitor_create_s": round(elapsed, 1),
        "open_seconds": round(open_seconds, 1),
        "hold_seconds": args.idle_hold,
        "heartbeat_pings_answered": pings,
        "server_rss_before_mib": round(before["rss"] / 2**20, 1),
        "server_rss_settled_mib": round(settled["rss"] / 2**20, 1),
        "server_rss_end_mib": round(final["rss"] / 2**20, 1),
        "server_rss_peak_mib": round(peak / 2**20, 1),
        "kb_per_conn_settled": kb(settled["rss"] - before["rss"]),
        "kb_per_conn_end": kb(final["rss"] - before["rss"]),
        "kb_per_conn_peak": kb(peak - before["rss"]),
        "uss_kb_per_conn_end": kb(final["uss"] - before["uss"]),
        "client_rss_mib": round(psutil.Process().memory_info().rss / 2**20, 1),
        "client_rss_growth_kb_per_conn": kb(psutil.Process().memory_info().rss - client_before),
        "cpu_open_and_settle": cpu_open,
        "server_stats": watch.server_stats,
        "compression": not args.no_compression,
    }
    result["target_kb_per_conn"] = TARGETS["idle_kb_per_conn"]
    result["target_met"] = bool(
        result["kb_per_conn_peak"] <= TARGETS["idle_kb_per_conn"] and len(opened) == count
    )
    for v in opened:
        v.closing = True  # type: ignore[attr-defined]
    await bounded(opened, 500, lambda v: v.close())
    return result


# --------------------------------------------------------------------------- main

SCENARIOS = {"latency": scenario_latency, "max": scenario_max, "idle": scenario_idle}


def markdown_rows(results: list[dict[str, Any]]) -> str:
    lines = [
        "| run | mode | scenario | result | target | met | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s, mode = r["scenario"], r["mode"]
        if "failed" in r:
            lines.append(
                f"| {r.get('label', '')} | {mode} | {s} | failed: {r['failed']} | | NO | |"
            )
            continue
        cpu = r.get("cpu", r.get("cpu_open_and_settle", {})).get("avg_pct_of_one_core", {})
        load = f"other CPU {cpu.get('other', '?')}%"
        if s == "latency":
            d = r["delivery_ms"]
            res = f"p50 {d.get('p50')} / p90 {d.get('p90')} / p99 {d.get('p99')} / max {d.get('max')} ms"
            if "delivery_cross_node_ms" in r:
                res += f" (cross-node p99 {r['delivery_cross_node_ms'].get('p99')} ms)"
            target = "p99 ≤ 100 ms"
            notes = f"{r['sent']} sent, {r['acked']} acked, missing {r['missing_deliveries']}, errors {sum(r['errors'].values())}; {load}"
        elif s == "max":
            res = f"{r['persisted_msgs_per_s']} msg/s persisted ({r['acked_msgs_per_s']} acked/s in window)"
            target = "≥ 1000 msg/s"
            notes = f"p99 delivery {r['delivery_ms'].get('p99')} ms; errors {sum(r['errors'].values())}; {load}"
        else:
            res = f"{r['kb_per_conn_peak']} KB/conn (settled {r['kb_per_conn_settled']}, end {r['kb_per_conn_end']})"
            target = "≤ 50 KB/conn"
            notes = f"{r['connections_opened']}/{r['connections_requested']} open, RSS {r['server_rss_before_mib']}→{r['server_rss_peak_mib']} MiB; {load}"
        lines.append(
            f"| {r.get('label', '')} | {mode} | {s} | {res} | {target} | {'yes' if r['target_met'] else 'NO'} | {notes} |"
        )
    return "\n".join(lines) + "\n"


def source_digest(source: Path) -> str:
    """sha256 over the server's Python sources, to tell which code was measured."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(source.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def environment() -> dict[str, Any]:
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "mem_total_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


async def wait_for_quiet(limit_s: float, threshold_pct: float) -> dict[str, Any]:
    """Wait (up to limit_s) until the machine's busy CPU over 3 s is below threshold_pct.

    Another user's job on a shared box skews every number; this does not stop
    that, but it avoids starting a measurement in the middle of one.
    """
    started = now()
    while True:
        busy = await asyncio.to_thread(psutil.cpu_percent, 3.0)  # % of all cores
        busy_one_core = busy * (psutil.cpu_count() or 1)
        if busy_one_core <= threshold_pct or now() - started >= limit_s:
            return {
                "waited_s": round(now() - started, 1),
                "busy_pct_of_one_core_before": round(busy_one_core, 1),
                "quiet": busy_one_core <= threshold_pct,
            }
        log(f"machine busy ({busy_one_core:.0f}% of one core); waiting for it to calm down")


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    run_dir = Path(args.work_dir or tempfile.mkdtemp(prefix="sangdam-bench-"))
    await asyncio.to_thread(run_dir.mkdir, parents=True, exist_ok=True)
    log(f"work dir {run_dir}")
    results: list[dict[str, Any]] = []
    for name in args.scenarios.split(","):
        for attempt in range(args.repeat):
            label = f"{args.mode}-{name}-{attempt + 1}"
            cluster = Cluster(args, run_dir, label)
            quiet = (
                await wait_for_quiet(args.wait_quiet, args.quiet_threshold)
                if args.wait_quiet > 0
                else None
            )
            started = time.time()
            loadavg = [round(x, 2) for x in os.getloadavg()]
            try:
                await cluster.start()
                log(
                    f"{label}: {len(cluster.nodes)} server(s) up: "
                    + ", ".join(f"{n.name}={n.base_url} pid {n.process.pid}" for n in cluster.nodes)
                )
                result = await SCENARIOS[name](args, cluster)
            except Exception as exc:  # keep the other scenarios' results
                import traceback

                log(f"{label}: FAILED: {exc!r}\n{traceback.format_exc()}")
                result = {"failed": repr(exc), "target_met": False}
            finally:
                await cluster.stop()
            result = {
                "label": args.label or label,
                "mode": args.mode,
                "scenario": name,
                "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
                "seconds": round(time.time() - started, 1),
                "loadavg_before": loadavg,
                "quiet_check": quiet,
                "params": {
                    k: getattr(args, k)
                    for k in (
                        "visitors",
                        "agents",
                        "rate",
                        "duration",
                        "inflight",
                        "idle",
                        "idle_hold",
                        "no_compression",
                        "sqlite_synchronous",
                        "server_log_level",
                        "instrument",
                        "profile",
                        "tracemalloc",
                        "sample",
                        "keep_rules",
                        "no_rate_limits",
                    )
                },
                "server_logs": [str(n.log_path) for n in cluster.nodes],
                **result,
            }
            results.append(result)
            if args.json_out:  # written after every scenario, so a crash loses little
                partial = {"partial": True, "results": results}
                await asyncio.to_thread(
                    Path(args.json_out).write_text,
                    json.dumps(partial, indent=2, ensure_ascii=False),
                )
            log(
                f"{label}: "
                + json.dumps(
                    {
                        k: v
                        for k, v in result.items()
                        if k
                        in (
                            "delivery_ms",
                            "persisted_msgs_per_s",
                            "kb_per_conn_peak",
                            "target_met",
                            "errors",
                        )
                    },
                    ensure_ascii=False,
                )
            )
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--mode",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="sqlite: one process; postgres: two processes on PostgreSQL + Redis",
    )
    parser.add_argument(
        "--scenarios",
        default="latency,max,idle",
        help="comma-separated, from: latency, max, idle (default: all three)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each scenario this many times, each on fresh servers",
    )
    g = parser.add_argument_group("scenario A (latency, max)")
    g.add_argument(
        "--visitors", type=int, default=100, help="visitors, one conversation each (100)"
    )
    g.add_argument("--agents", type=int, default=2, help="connected agent sockets (2)")
    g.add_argument("--rate", type=float, default=100.0, help="latency: total messages/s (100)")
    g.add_argument("--duration", type=float, default=30.0, help="seconds of sending (30)")
    g.add_argument(
        "--inflight",
        default="1-4",
        help="max: sends in flight per visitor, N or MIN-MAX spread over visitors (1-4)",
    )
    g.add_argument(
        "--drain",
        type=float,
        default=15.0,
        help="seconds to wait for outstanding acks/deliveries after sending (15)",
    )
    g = parser.add_argument_group("scenario B (idle)")
    g.add_argument("--idle", type=int, default=5000, help="idle widget sockets on node A (5000)")
    g.add_argument(
        "--idle-hold",
        type=float,
        default=35.0,
        help="seconds to keep them open after settling; > 25 s so a heartbeat round "
        "is included (35)",
    )
    g.add_argument(
        "--idle-concurrency",
        type=int,
        default=200,
        help="socket handshakes in flight while opening (200)",
    )
    g = parser.add_argument_group("servers")
    g.add_argument(
        "--pg-dsn",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server (database name is appended)",
    )
    g.add_argument(
        "--pg-database",
        default="sangdam_bench",
        help="database DROPPED and re-created for every scenario (sangdam_bench)",
    )
    g.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/14",
        help="Redis database FLUSHDB'd for every scenario",
    )
    g.add_argument(
        "--sqlite-synchronous",
        choices=("FULL", "NORMAL"),
        help="override SANGDAM_SQLITE_SYNCHRONOUS (server default: FULL)",
    )
    g.add_argument(
        "--source",
        type=Path,
        default=ROOT / "src",
        help="directory holding the `sangdam` package the servers run "
        "(PYTHONPATH); default: this checkout's src/. Point it at a frozen "
        "copy to benchmark one revision while the tree changes",
    )
    g.add_argument(
        "--server-log-level", default="warning", help="SANGDAM_LOG_LEVEL of the servers (warning)"
    )
    g.add_argument(
        "--instrument",
        action="store_true",
        help="start servers through instrumented_server.py, which times the "
        "database transactions (write-lock wait/hold, commit) without "
        "changing the code; adds server_stats to the result",
    )
    g.add_argument(
        "--profile",
        action="store_true",
        help="like --instrument, and run cProfile in the servers during the "
        "measured window (profile-NODE.prof in the work dir; slows them down)",
    )
    g.add_argument(
        "--sample",
        action="store_true",
        help="like --instrument, and sample the servers' Python stacks every 1 ms of "
        "CPU time during the measured window (SIGPROF; shows where CPU goes)",
    )
    g.add_argument(
        "--tracemalloc",
        action="store_true",
        help="like --instrument, and report which source lines allocated the "
        "memory that grew during the measured window (idle: while opening "
        "and settling); tracing inflates RSS, so don't quote KB/conn from it",
    )
    g = parser.add_argument_group("client and output")
    g.add_argument(
        "--create-concurrency",
        type=int,
        default=32,
        help="concurrent POST /api/widget/v1/visitors requests (32)",
    )
    g.add_argument("--settle", type=float, default=3.0, help="seconds to settle between phases (3)")
    g.add_argument(
        "--no-compression",
        action="store_true",
        help="don't offer permessage-deflate (browsers do offer it)",
    )
    g.add_argument("--no-uvloop", action="store_true", help="plain asyncio loop in the client")
    g.add_argument(
        "--keep-rules",
        action="store_true",
        help="leave the demo's automation rules on (a rule on incoming messages runs on "
        "every message; by default they are turned off like the bot)",
    )
    g.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="turn the widget's rate limits off (by default they stay on with room for "
        "the whole load, so their cost is in the figures)",
    )
    g.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="before each scenario wait up to this many seconds for the machine "
        "to be idle (busy CPU below --quiet-threshold); 0 = don't wait",
    )
    g.add_argument(
        "--quiet-threshold",
        type=float,
        default=20.0,
        help="idle means busy CPU below this %% of one core, over 3 s (20)",
    )
    g.add_argument(
        "--max-seconds",
        type=float,
        default=1200.0,
        help="hard bound on the whole run; servers are killed after it (1200)",
    )
    g.add_argument("--work-dir", help="where databases and server logs go (a new temp dir)")
    g.add_argument("--label", help="label for the results (default MODE-SCENARIO-N)")
    g.add_argument("--json-out", help="also write the JSON summary to this file")
    g.add_argument("--markdown", help="append a markdown table of the results to this file")
    args = parser.parse_args(argv)
    if not (args.source / "sangdam" / "cli.py").exists():
        parser.error(f"--source {args.source} has no sangdam/cli.py")
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    limits = raise_nofile()
    log(f"RLIMIT_NOFILE {limits}")
    if not args.no_uvloop:
        with contextlib.suppress(ImportError):
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    env = environment()
    digest_before = source_digest(args.source)

    async def bounded_main() -> list[dict[str, Any]]:
        return await asyncio.wait_for(main_async(args), args.max_seconds)

    results = asyncio.run(bounded_main())
    summary = {
        "environment": env,
        "command": " ".join(sys.argv),
        "source": str(args.source.resolve()),
        "source_sha256_16": digest_before,
        "source_changed_during_run": source_digest(args.source) != digest_before,
        "results": results,
    }
    text = json.dumps(summary, indent=2, ensure_ascii=False)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n")
    if args.markdown:
        with open(args.markdown, "a") as out:
            out.write(markdown_rows(results))


if __name__ == "__main__":
    main()
