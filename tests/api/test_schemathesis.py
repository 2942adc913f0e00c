"""The OpenAPI schema holds against the running server: schemathesis with every check.

A bounded run (a few examples per operation, a fixed seed) against the real server of
each backend, signed in the three ways the schema declares: a workspace API token for
agent routes, a browser session with its CSRF token for the user's own routes, a
visitor token for the widget. Any 5xx, undeclared status, response that breaks its
schema, schema-violating request that is accepted, or schema-valid request refused as
invalid (422) fails the test. Business rules beyond the schema answer 400 (or 409,
404…), which the positive-data check accepts; a 422 means the schema promised more than
the server takes. For a longer exploratory run, raise SANGDAM_SCHEMATHESIS_EXAMPLES.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.fixtures.factories import World, make_world
from tests.fixtures.server import RunningServer

EXAMPLES = int(os.environ.get("SANGDAM_SCHEMATHESIS_EXAMPLES", "3"))
# The coverage phase (every boundary of every field: ~5,000 cases, a minute or more) is
# for a deeper run: SANGDAM_SCHEMATHESIS_PHASES=coverage,fuzzing,stateful.
PHASES = os.environ.get("SANGDAM_SCHEMATHESIS_PHASES", "examples,fuzzing,stateful")
SEED = int(os.environ.get("SANGDAM_SCHEMATHESIS_SEED", "19"))
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


async def _credentials(world: World) -> dict[str, object]:
    owner = await world.login()
    tokens = []
    # Ids 1 and 2 are boundary values the run tries on DELETE /api-tokens/{token_id}.
    while len(tokens) < 2:
        made = await owner.client.post(
            f"{world.base}/api-tokens", json={"name": "schemathesis"}, headers=owner.headers()
        )
        assert made.status_code == 201, made.text
        if made.json()["id"] > 2:
            tokens.append(made.json())
    await owner.client.aclose()
    # The other agent's session drives /api/v1/me…; the run may sign it out.
    agent = await world.login(world.agent)
    await agent.client.aclose()
    visitor = await world.visitor()
    await visitor.start("Hello, I have a question about my order.")
    await visitor.client.aclose()
    return {
        "api_token": tokens[0]["token"],
        # DELETE /api-tokens/{token_id} revokes this one, not the token the run uses.
        "decoy_token_id": tokens[1]["id"],
        "cookie": agent.cookie,
        "csrf": agent.csrf,
        "visitor_token": visitor.token,
    }


def _config(world: World, credentials: dict[str, object]) -> str:
    return f"""
[auth.openapi.ApiToken]
bearer = "{credentials["api_token"]}"

[auth.openapi.VisitorToken]
bearer = "{credentials["visitor_token"]}"

[auth.openapi.SessionCookie]
api_key = "{credentials["cookie"]}"

[auth.openapi.CsrfToken]
api_key = "{credentials["csrf"]}"

# Dictionaries, not fixed values: negative cases still get invalid ids.
[dictionaries.workspace]
values = [{world.workspace.id}]

[dictionaries.decoy]
values = [{credentials["decoy_token_id"]}]

[parameters]
"path.workspace_id" = {{ dictionary = "workspace" }}
"path.token_id" = {{ dictionary = "decoy" }}

# A rule beyond the schema (an empty message, a seq past the end) is refused with 400;
# 422 stays a failure for schema-valid data: the schema must say what is invalid.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[phases.stateful]
max-steps = 10

# Rules and canned responses name other rows (a tag, a team, a canned response) and some
# bodies combine fields (scope "team" needs team_id, a start before its end, a transfer
# goes to an agent or a team) or the clock (a token's expiry in the past): refused with
# 422 when those rows are missing or the fields disagree, which no schema expresses.
[[operations]]
include-path-regex = "/(automation/rules|canned-responses|teams/[^/]+/hours|transfer$|api-tokens$)"

[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]
"""


@pytest.mark.timeout(300)
async def test_schemathesis_finds_no_failure(server: RunningServer, tmp_path: Path) -> None:
    world = await make_world(server)
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(world, await _credentials(world)))
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{server.base_url}/api/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--phases",
        PHASES,
        "--workers",
        "1",
        "--no-color",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    output, _ = await process.communicate()
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-20_000:]
    assert "No issues found" in report or " passed" in report, report[-5_000:]
