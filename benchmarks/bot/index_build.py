"""How long building a FAQ index takes: cold, rebuilt in the same process, and in a
new process that has the FAQ texts' vectors from the database (what Sangdam does
since the vectors are stored with the FAQ).

    python benchmarks/bot/index_build.py FAQ.jsonl [--query TEXT]

Prints one JSON object. Every phase runs in its own Python process, so model
loading is counted where a real process would pay it: ``cold`` loads the models
and encodes every text; ``stored`` takes the vectors written by the cold phase and
encodes nothing while building (the first message still loads the models, shown
as ``stored_first_match``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _phase(phase: str, faq: Path, vectors: Path, query: str) -> None:
    from sangdam.bot.matching import FaqIndex, load_faq_jsonl, remember_embeddings

    entries = load_faq_jsonl(faq)
    out: dict[str, float] = {}
    if phase == "stored":
        saved = np.load(vectors)
        texts = json.loads(str(saved["texts"]))
        for name in json.loads(str(saved["encoders"])):
            remember_embeddings(name, dict(zip(texts, saved[name], strict=True)))
    began = time.perf_counter()
    index = FaqIndex(entries)
    out[f"{phase}_build"] = time.perf_counter() - began
    if phase == "cold":
        began = time.perf_counter()
        FaqIndex(entries)
        out["rebuilt_same_process"] = time.perf_counter() - began
        embeddings = index.embeddings()
        texts = list(next(iter(embeddings.values())))
        np.savez(
            vectors,
            texts=json.dumps(texts),
            encoders=json.dumps(list(embeddings)),
            **{name: np.stack([by_text[t] for t in texts]) for name, by_text in embeddings.items()},
        )
    began = time.perf_counter()
    index.match(query)
    out[f"{phase}_first_match"] = time.perf_counter() - began
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("faq", type=Path)
    parser.add_argument("--query", default="I still have not received my new card")
    parser.add_argument("--phase", choices=("cold", "stored"))
    parser.add_argument("--vectors", type=Path)
    args = parser.parse_args()
    if args.phase:
        _phase(args.phase, args.faq, args.vectors, args.query)
        return
    result: dict[str, float | int | str] = {"faq": args.faq.name}
    with tempfile.TemporaryDirectory() as folder:
        vectors = Path(folder) / "vectors.npz"
        for phase in ("cold", "stored"):
            command = [sys.executable, __file__, str(args.faq), "--phase", phase]
            line = subprocess.run(
                [*command, "--vectors", str(vectors), "--query", args.query],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.splitlines()[-1]
            result.update({k: round(v, 2) for k, v in json.loads(line).items()})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
