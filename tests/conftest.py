from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sangdam import domains
from sangdam.config import Settings
from tests.fixtures.factories import World, make_world
from tests.fixtures.server import RunningServer, start_server
from tests.fixtures.services import (
    POSTGRES_URL,
    REDIS_URL,
    backends,
    flush_redis,
    fresh_postgres_database,
    roomy_address_limits,
)

# Tests that call services directly need the same reactions as a running server.
domains.install()


def settings_for(backend: str, directory: Path) -> Settings:
    if backend == "postgres":
        assert POSTGRES_URL and REDIS_URL
        return Settings(database_url=POSTGRES_URL, redis_url=REDIS_URL)
    return Settings(database_url=f"sqlite:///{directory / 'sangdam.sqlite3'}", redis_url=None)


@pytest.fixture(scope="session")
def tmp_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="sangdam-tests-"))


@pytest.fixture(scope="session", params=backends())
async def server(request: pytest.FixtureRequest, tmp_root: Path) -> AsyncIterator[RunningServer]:
    """One real server per backend for the whole session; tests isolate by workspace."""
    backend = request.param
    if backend == "postgres":
        assert POSTGRES_URL and REDIS_URL
        await fresh_postgres_database(POSTGRES_URL)
        await flush_redis(REDIS_URL)
    directory = tmp_root / backend
    directory.mkdir(exist_ok=True)
    settings = settings_for(backend, directory)
    # Every test's client is 127.0.0.1, so per-address limits would add up over the whole
    # suite; the limits' own tests send from addresses of their own (tests/widget).
    for name, value in roomy_address_limits().items():
        setattr(settings.rate_limits, name, value)
    # The same for failed sign-ins from 127.0.0.1 (tests/accounts/test_login_limits.py sets
    # the real limit for itself).
    settings.security.login_max_failures_per_address *= 100
    running = await start_server(settings)
    running.backend = backend  # type: ignore[attr-defined]
    yield running
    await running.stop()


@pytest.fixture
async def world(server: RunningServer) -> World:
    return await make_world(server)


@pytest.fixture
async def other_world(server: RunningServer) -> World:
    return await make_world(server, name="Other company")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if (
        os.environ.get("SANGDAM_TEST_REQUIRE_BROWSER") == "1"
        and not Path("/usr/bin/chromium").exists()
    ):
        raise pytest.UsageError("CI requires /usr/bin/chromium for the browser tests")
