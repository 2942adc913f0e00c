"""A node's probes and metrics (/healthz, /readyz, /metrics, the Grafana dashboard's
queries) and `sangdam check`'s sentences about the settings."""

from __future__ import annotations

import json
import os
import re
import subprocess

import httpx
import pytest

from sangdam.config import Settings
from sangdam.ops.service import check_settings
from tests.fixtures.operations import DEPLOY, VENV_BIN
from tests.fixtures.server import RunningServer

DASHBOARD = DEPLOY / "grafana-dashboard.json"


async def test_healthz_and_readyz_say_alive_and_ready_with_each_check(
    server: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        alive = await client.get("/healthz")
        assert alive.status_code == 200 and alive.json() == {"status": "alive"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        checks = {check["name"]: check for check in ready.json()["checks"]}
        assert set(checks) == {"database", "migrations", "redis"}
        assert all(check["ok"] for check in checks.values())
        assert checks["migrations"]["detail"].startswith("The database is current")
        assert ready.headers["cache-control"] == "no-store"

        # From SIGTERM on, the node says it is not ready (the proxy's and systemd's cue),
        # while it still answers that it is alive.
        server.sangdam.draining = True
        try:
            stopping = await client.get("/readyz")
            assert (await client.get("/healthz")).status_code == 200
        finally:
            server.sangdam.draining = False
        assert stopping.status_code == 503
        assert stopping.json()["status"] == "not_ready"
        assert {"name": "shutdown", "ok": False} in [
            {"name": check["name"], "ok": check["ok"]} for check in stopping.json()["checks"]
        ]


def _exported(text: str) -> set[str]:
    """Every series name the text format offers (a histogram's _bucket/_sum/_count too)."""
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        # A counter's TYPE line already says ..._total.
        suffixes = {"histogram": ["_bucket", "_sum", "_count"]}.get(kind, [""])
        names.update(name + suffix for suffix in suffixes)
    return names


async def test_metrics_answer_the_local_scraper_with_everything_the_dashboard_asks_for(
    server: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        scraped = await client.get("/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        # Through a proxy (it adds X-Forwarded-For) the same address is refused.
        proxied = await client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
        assert proxied.status_code == 403
        assert proxied.json()["code"] == "metrics_forbidden"
    exported = _exported(scraped.text)

    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    asked = {name for query in queries for name in re.findall(r"\bsangdam_[a-z_]+", query)}
    assert len(asked) >= 12
    assert asked <= exported, asked - exported
    # The list, by name: sockets by kind, messages, ack latency, queues and the
    # oldest wait, job backlog and failures, outbound failures, the bot's answer rate.
    for name in (
        "sangdam_open_sockets",
        "sangdam_messages_total",
        "sangdam_ack_seconds_bucket",
        "sangdam_queue_waiting",
        "sangdam_queue_oldest_wait_seconds",
        "sangdam_jobs",
        "sangdam_job_attempts_total",
        "sangdam_outbound_failures_total",
        "sangdam_bot_answer_rate",
    ):
        assert name in asked, name


# ---- sangdam check --------------------------------------------------------------------------


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("SANGDAM_")}
    return subprocess.run(
        [str(VENV_BIN / "sangdam"), "check"],
        env={**clean, "SANGDAM_DATABASE_URL": "sqlite:////var/lib/sangdam/s.sqlite3", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sangdam_check_passes_good_settings_and_names_what_is_wrong() -> None:
    fine = _check(
        {
            "SANGDAM_SERVER__PUBLIC_URL": "https://support.example.com",
            "SANGDAM_SERVER__SECURE_COOKIES": "true",
            "SANGDAM_SERVER__TRUSTED_PROXIES": '["127.0.0.1"]',
        }
    )
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert fine.stdout.strip() == "The settings are fine."

    wrong = _check(
        {
            "SANGDAM_SERVER__PUBLIC_URL": "http://support.example.com",
            "SANGDAM_SERVER__SECURE_COOKIES": "true",
        }
    )
    assert wrong.returncode == 1
    lines = wrong.stdout.splitlines()
    assert lines[0].startswith(
        "error: SANGDAM_SERVER__SECURE_COOKIES: Cookies are marked Secure but the public URL "
        "is plain http"
    )
    assert lines[-1] == "1 error(s), 0 warning(s)."

    unreadable = _check({"SANGDAM_LOG_LEVEL": "loud"})
    assert unreadable.returncode == 1
    assert "The settings can't be read" in unreadable.stderr
    assert "SANGDAM_LOG_LEVEL" in unreadable.stderr


@pytest.mark.parametrize(
    ("settings", "setting", "words"),
    [
        (
            {"database_url": "mysql://db/sangdam"},
            "SANGDAM_DATABASE_URL",
            "must start with sqlite://",
        ),
        ({"database_url": "sqlite:///:memory:"}, "SANGDAM_DATABASE_URL", "must be a file"),
        (
            {"server": {"public_url": "https://support.example.com/chat"}},
            "SANGDAM_SERVER__PUBLIC_URL",
            "without a path",
        ),
        (
            {"server": {"trusted_proxies": ["nginx"]}},
            "SANGDAM_SERVER__TRUSTED_PROXIES",
            "'nginx' is not an IP address",
        ),
        (
            {"server": {"metrics_token": "short"}},
            "SANGDAM_SERVER__METRICS_TOKEN",
            "at least 16",
        ),
        ({"email": {"host": "smtp.example.com"}}, "SANGDAM_EMAIL__FROM_ADDRESS", "half set up"),
        (
            {
                "email": {
                    "host": "smtp.example.com",
                    "from_address": "support@example.com",
                    "username": "support",
                    "password": "hunter2hunter2",
                    "starttls": False,
                }
            },
            "SANGDAM_EMAIL__STARTTLS",
            "unencrypted",
        ),
        (
            {"database_url": "postgresql://db/sangdam"},
            "SANGDAM_REDIS_URL",
            "one node only",
        ),
    ],
)
def test_each_problem_is_one_sentence_naming_its_variable(
    settings: dict[str, object], setting: str, words: str
) -> None:
    base: dict[str, object] = {"database_url": "sqlite:////var/lib/sangdam/s.sqlite3"}
    problems = check_settings(Settings(**{**base, **settings}))  # type: ignore[arg-type]
    named = [problem for problem in problems if problem.setting == setting]
    assert named, problems
    assert words in named[0].sentence
    assert named[0].sentence.endswith((".", ")"))
    # The password never appears in what check says.
    assert all("hunter2" not in problem.line() for problem in problems)
