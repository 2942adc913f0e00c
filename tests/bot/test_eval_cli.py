"""`sangdam bot eval` prints exactly the agreed JSON, and refuses bad files by line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures.factories import DEMO_FAQ

QUERIES = [
    {"text": "환불 받을 수 있을까요?", "expected": "price-refund"},
    {"text": "카톡 채널이랑 연결 돼요?", "expected": "int-kakao"},
    {"text": "오늘 점심 메뉴 추천해 주세요", "expected": None},
    {"text": "상담원 연결해주세요", "expected": "@human"},
]


def _eval(tmp_path: Path, faq: Path) -> subprocess.CompletedProcess[str]:
    queries = tmp_path / "queries.jsonl"
    queries.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUERIES))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sangdam.cli",
            "bot",
            "eval",
            "--faq",
            str(faq),
            "--queries",
            str(queries),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_eval_prints_the_metrics(tmp_path: Path) -> None:
    result = _eval(tmp_path, DEMO_FAQ)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert list(metrics) == [
        "in_scope_top1",
        "oos_precision",
        "oos_recall",
        "human_recall",
        "latency_ms_p50",
        "latency_ms_p95",
        "queries",
        "answered_correct",
        "wrong_answer_rate",
        "suggested",
    ]
    assert metrics["queries"] == 4
    assert metrics["human_recall"] == 1.0
    assert 0.0 <= metrics["in_scope_top1"] <= 1.0 and metrics["latency_ms_p95"] > 0


def test_eval_names_the_bad_line(tmp_path: Path) -> None:
    faq = tmp_path / "faq.jsonl"
    faq.write_text(DEMO_FAQ.read_text().splitlines()[0] + "\n{not json\n")
    result = _eval(tmp_path, faq)
    assert result.returncode != 0
    assert "Line 2 is not valid JSON" in result.stderr
