"""CPU time and wall time of the bot's decision per message, after the index is built.

    nice -n 10 python benchmarks/bot/cpu_per_query.py FAQ.jsonl QUERIES.jsonl [--limit N]

On a shared machine wall time mostly measures the neighbours; the process's CPU time
(``time.process_time``, every thread of the process: the encoders run one thread) is
what one message costs. Prints JSON: cpu_ms_p50/p95/mean, wall_ms_p50/p95, queries,
the encoders used and the index build's wall and CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from sangdam.bot.matching import FaqIndex, iter_jsonl, load_faq_jsonl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("faq")
    parser.add_argument("queries")
    parser.add_argument("--limit", type=int, default=0, help="only the first N queries")
    args = parser.parse_args()
    entries = load_faq_jsonl(args.faq)
    queries = [q["text"] for q in iter_jsonl(args.queries)]
    if args.limit:
        queries = queries[: args.limit]
    wall, cpu = time.perf_counter(), time.process_time()
    index = FaqIndex(entries)
    build_wall, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
    index.match("warm up")
    cpu_ms, wall_ms = [], []
    for text in queries:
        wall, cpu = time.perf_counter(), time.process_time()
        index.match(text)
        cpu_ms.append((time.process_time() - cpu) * 1000)
        wall_ms.append((time.perf_counter() - wall) * 1000)
    result = {
        "queries": len(queries),
        "encoders": [e.name for e in index.encoders],
        "cpu_ms_p50": round(float(np.percentile(cpu_ms, 50)), 2),
        "cpu_ms_p95": round(float(np.percentile(cpu_ms, 95)), 2),
        "cpu_ms_mean": round(float(np.mean(cpu_ms)), 2),
        "wall_ms_p50": round(float(np.percentile(wall_ms, 50)), 2),
        "wall_ms_p95": round(float(np.percentile(wall_ms, 95)), 2),
        "build_s_wall": round(build_wall, 2),
        "build_s_cpu": round(build_cpu, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
