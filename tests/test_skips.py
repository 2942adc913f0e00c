"""Rules for the suite itself: no test skips silently where CI must run it.

A skip because the machine lacks something (a binary, a package, a browser) goes
through ``tests.fixtures.services.unavailable`` so that ``SANGDAM_TEST_REQUIRE_SERVICES=1``
turns it into a failure. Only skips by design may call pytest directly.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.fixtures.services import require_import, unavailable

TESTS = Path(__file__).resolve().parent
# Skips that are decisions, not missing software: they happen in CI too. A browser test
# runs on one of the two backends ("the inbox is the same on every backend; one run is
# enough"); the server fixture runs each test on SQLite and on PostgreSQL + Redis, and
# CI's SANGDAM_TEST_REQUIRE_SERVICES=1 already fails the run when the second is missing.
BY_DESIGN = re.compile(
    r"^the [\w ]+ is the same on every backend; one run is enough$"
    r"|^scale-out needs PostgreSQL and Redis$"
)
DIRECT = {"skip", "skipif", "importorskip", "xfail"}


def _direct_skips(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, call, reason) of each pytest.skip/skipif/importorskip/xfail in ``path``."""
    found = []
    called = set()
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in DIRECT
        ):
            called.add(node.func)
            first = node.args[0] if node.args else None
            reason = first.value if isinstance(first, ast.Constant) else None
            found.append((node.lineno, node.func.attr, reason))
    # Also a bare reference, such as the decorator ``@pytest.mark.skip``.
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in DIRECT and node not in called:
            found.append((node.lineno, node.attr, None))
    return found


def test_every_direct_skip_in_the_suite_is_by_design() -> None:
    offenders = []
    seen = 0
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__).resolve() or path.name == "services.py":
            continue
        for line, call, reason in _direct_skips(path):
            seen += 1
            if call != "skip" or reason is None or not BY_DESIGN.match(reason):
                offenders.append(f"{path.relative_to(TESTS)}:{line} pytest.{call}({reason!r})")
    assert seen, "the scan found no skips at all: it is not reading the suite"
    assert offenders == [], (
        "skip through tests.fixtures.services.unavailable/require_import instead, "
        "so CI fails where the environment lacks something: " + "; ".join(offenders)
    )


def test_a_missing_requirement_skips_locally_and_fails_when_required() -> None:
    with pytest.raises(pytest.skip.Exception, match="no such tool"):
        unavailable("no such tool", required=False)
    with pytest.raises(pytest.fail.Exception, match="no such tool"):
        unavailable("no such tool", required=True)
    assert require_import("json", "the standard library").dumps([]) == "[]"
    with pytest.raises((pytest.skip.Exception, pytest.fail.Exception)):
        require_import("sangdam_no_such_module", "a package that does not exist")
