#!/usr/bin/env python
"""How long does one small SQLite write transaction take on this disk?

Mimics a message send at the storage level only (one INSERT + one UPDATE, then
COMMIT) with the pragmas Sangdam uses (WAL, synchronous FULL or NORMAL), using
the stdlib driver in one thread: no ORM, no event loop, no thread hops. The
result is the floor under the per-message write-lock hold time of the server.

    .venv/bin/python benchmarks/realtime/sqlite_commit_probe.py [--n 2000] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path


def probe(directory: Path, synchronous: str, n: int) -> dict[str, float]:
    path = directory / f"probe-{synchronous}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("CREATE TABLE conv (id INTEGER PRIMARY KEY, last_seq INTEGER, preview TEXT)")
    db.execute(
        "CREATE TABLE msg (id INTEGER PRIMARY KEY, conv INTEGER, seq INTEGER, body TEXT, "
        "client_id TEXT, UNIQUE (conv, seq))"
    )
    db.execute("INSERT INTO conv (id, last_seq) VALUES (1, 0)")
    times = []
    for i in range(n):
        start = time.perf_counter()
        db.execute("BEGIN")
        db.execute("UPDATE conv SET last_seq = ?, preview = ? WHERE id = 1", (i + 1, "x" * 60))
        db.execute(
            "INSERT INTO msg (conv, seq, body, client_id) VALUES (1, ?, ?, ?)",
            (i + 1, "bench message body " * 3, f"c{i}"),
        )
        db.execute("COMMIT")
        times.append(time.perf_counter() - start)
    db.close()
    times.sort()
    return {
        "synchronous": synchronous,
        "transactions": n,
        "mean_ms": round(sum(times) / n * 1000, 3),
        "p50_ms": round(times[n // 2] * 1000, 3),
        "p99_ms": round(times[int(n * 0.99)] * 1000, 3),
        "max_txn_per_s": round(n / sum(times)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="transactions per setting (2000)")
    parser.add_argument(
        "--dir", default=tempfile.gettempdir(), help="directory (same disk as the server's DB)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        results = [probe(Path(tmp), mode, args.n) for mode in ("FULL", "NORMAL")]
    print(
        json.dumps(
            {"sqlite": sqlite3.sqlite_version, "dir": args.dir, "results": results}, indent=2
        )
    )


if __name__ == "__main__":
    main()
