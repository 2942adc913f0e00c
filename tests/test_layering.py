"""The layering contracts (pyproject.toml [tool.importlinter]) hold, and would catch a new cycle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(source_root: Path) -> subprocess.CompletedProcess[str]:
    """Check the contracts against the package found under ``source_root``."""
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=source_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _cycles(package: str) -> list[set[str]]:
    """Every group of modules that import each other in a circle (function-local imports
    count; imports under ``if TYPE_CHECKING:`` don't)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    found: list[set[str]] = []
    seen: set[str] = set()
    for module in sorted(graph.modules):
        if module in seen:
            continue
        downstream = graph.find_downstream_modules(module)
        upstream = graph.find_upstream_modules(module)
        group = (downstream & upstream) | {module}
        seen |= group
        if len(group) > 1:
            found.append(group)
    return found


@pytest.fixture(scope="module")
def copy_of_sangdam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layering")
    shutil.copytree(
        ROOT / "src" / "sangdam",
        root / "sangdam",
        ignore=shutil.ignore_patterns("__pycache__", "*.jsonl", "data", "static", "templates"),
    )
    return root


def test_the_contracts_hold() -> None:
    result = _lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles("sangdam") == []


def test_a_service_calling_up_into_automation_breaks_the_contracts(copy_of_sangdam: Path) -> None:
    """The kind of shortcut the reactions replaced: messages calling automation directly,
    even from inside a function."""
    service = copy_of_sangdam / "sangdam" / "messages" / "service.py"
    original = service.read_text()
    service.write_text(
        original
        + "\n\nasync def _shortcut() -> None:\n"
        + "    from sangdam.automation import service as automation  # noqa: F401\n"
    )
    try:
        result = _lint_imports(copy_of_sangdam)
        assert result.returncode != 0
        assert "sangdam.messages.service is not allowed to import sangdam.automation.service" in (
            result.stdout
        )
    finally:
        service.write_text(original)


def test_kit_importing_the_app_breaks_the_contracts(copy_of_sangdam: Path) -> None:
    kit = copy_of_sangdam / "sangdam" / "kit" / "markdown.py"
    original = kit.read_text()
    kit.write_text(original + "\nfrom sangdam.config import Settings  # noqa: E402,F401\n")
    try:
        result = _lint_imports(copy_of_sangdam)
        assert result.returncode != 0
        assert "sangdam.kit is not allowed to import sangdam.config" in result.stdout
    finally:
        kit.write_text(original)
