#!/usr/bin/env python3
"""Set up and run Sangdam, or its tests, with nothing but Python 3.11+.

    python3 dev.py run    # install into .venv, migrate, seed the demo, serve
    python3 dev.py serve  # the same without the demo: your company's own, set up at /setup
    python3 dev.py test   # install test tools, find PostgreSQL/Redis, run the suite

Everything lands in ./.venv; re-running skips what is already installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def _say(text: str) -> None:
    print(f"[sangdam] {text}", flush=True)


def ensure_venv(extras: str = "") -> None:
    if sys.version_info < (3, 11):
        sys.exit("Sangdam needs Python 3.11 or newer.")
    if not PYTHON.exists():
        _say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed{extras or '-base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    _say("installing Sangdam" + (f" with {extras}" if extras else "") + " (first run takes a minute)")
    target = f".{'[' + extras + ']' if extras else ''}"
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target],
        cwd=ROOT,
        check=True,
    )
    stamp.write_text(digest)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def ensure_browser() -> None:
    """Browser tests drive Debian's Chromium; install it when we can (as root with apt)."""
    if Path("/usr/bin/chromium").exists() and Path("/usr/share/fonts/opentype/noto").exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        _say("installing chromium and fonts-noto-cjk from apt")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"], check=False, env=env
        )
    if not Path("/usr/bin/chromium").exists():
        _say("no /usr/bin/chromium: browser tests will be skipped")


# What the operations tests (tests/ops) run, as docs/operations.md has an operator
# install it: nginx in front, the PostgreSQL client tools, curl and jq.
OPS_PACKAGES = ["nginx", "postgresql-client", "curl", "jq"]
OPS_TOOLS = ["/usr/sbin/nginx", "/usr/bin/pg_dump", "/usr/bin/pg_restore", "/usr/bin/curl", "/usr/bin/jq"]


def ensure_ops_tools() -> None:
    """The reference deployment's tests drive Debian's nginx; install it as Chromium is."""
    if all(Path(tool).exists() for tool in OPS_TOOLS):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        _say("installing " + ", ".join(OPS_PACKAGES) + " from apt")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *OPS_PACKAGES], check=False, env=env)
    missing = [tool for tool in OPS_TOOLS if not Path(tool).exists()]
    if missing:
        _say(f"missing {', '.join(missing)}: the deployment tests will be skipped")


def test(args: list[str]) -> int:
    ensure_venv("dev")
    ensure_browser()
    ensure_ops_tools()
    env = dict(os.environ)
    if "SANGDAM_TEST_POSTGRES_URL" not in env and _reachable("127.0.0.1", 5432):
        env["SANGDAM_TEST_POSTGRES_URL"] = "postgresql://postgres@127.0.0.1:5432/sangdam_test"
    if "SANGDAM_TEST_REDIS_URL" not in env and _reachable("127.0.0.1", 6379):
        env["SANGDAM_TEST_REDIS_URL"] = "redis://127.0.0.1:6379/15"
    for name in ("SANGDAM_TEST_POSTGRES_URL", "SANGDAM_TEST_REDIS_URL"):
        _say(f"{name}={env.get(name, '(not set: those tests are skipped)')}")
    return subprocess.call([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    rest = sys.argv[2:]
    if command in ("run", "serve"):
        # run: the demo workspace on first start; serve: your own, set up at /setup.
        ensure_venv()
        if command == "serve":
            # Your company's data in a file of its own: never mixed with the demo's.
            os.environ.setdefault("SANGDAM_DATABASE_URL", "sqlite:///./var/company.sqlite3")
        os.execv(str(BIN / "sangdam"), [str(BIN / "sangdam"), command, *rest])
    elif command == "test":
        sys.exit(test(rest))
    elif command == "lint":
        ensure_venv("dev")
        code = subprocess.call([str(BIN / "ruff"), "check", "src", "tests", "benchmarks"], cwd=ROOT)
        code = code or subprocess.call([str(BIN / "mypy")], cwd=ROOT)
        # The layering contracts in pyproject.toml (the suite checks them too).
        sys.exit(code or subprocess.call([str(BIN / "lint-imports"), "--no-logo"], cwd=ROOT))
    else:
        sys.exit(f"unknown command {command!r}: use run, serve, test or lint")


if __name__ == "__main__":
    main()
