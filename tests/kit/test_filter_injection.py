"""Filters never become SQL: every query parameter of every list endpoint, fed what
an injection through a report or list filter looks like (cf. Chatwoot
GHSA-g8f9-hh83-rcq9), gets a 4xx or an answer about this workspace only.

The parameters are read from the API description, so a filter added tomorrow is
tried too.
"""

from __future__ import annotations

from typing import Any

from tests.fixtures.factories import World

MARKER = "outsider-marker-7f3a"
PAYLOADS = (
    "' OR '1'='1",
    "1 OR 1=1",
    "x') OR 1=1 --",
    "%",
    "_",
    "\\",
    "plan') OR ('1'='1:x",
    "plan:x' OR '1'='1",
    "'; DROP TABLE contacts; --",
)


async def _other_workspace_data(other: World) -> None:
    """Rows a leaking filter would show: a conversation, a tag and a canned response."""
    login = await other.login()
    visitor = await other.visitor()
    await visitor.start(f"{MARKER} conversation")
    for path, body in (
        ("/tags", {"name": MARKER}),
        ("/canned-responses", {"shortcut": MARKER, "title": MARKER, "body": MARKER}),
    ):
        response = await login.client.post(other.base + path, json=body, headers=login.headers())
        assert response.status_code == 201, response.text


def _list_endpoints(schema: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(path, query parameter names) of every GET under a workspace that takes a filter."""
    found = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None or not path.startswith("/api/v1/workspaces/{workspace_id}"):
            continue
        if "{" in path.removeprefix("/api/v1/workspaces/{workspace_id}"):
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if names:
            found.append((path, names))
    return found


async def test_no_list_filter_reaches_sql_or_another_workspace(
    world: World, other_world: World
) -> None:
    await _other_workspace_data(other_world)
    login = await world.login()
    schema = (await login.client.get("/api/openapi.json")).json()
    endpoints = _list_endpoints(schema)
    tried = set()
    for path, names in endpoints:
        url = path.replace("{workspace_id}", str(world.workspace.id))
        for name in names:
            for payload in PAYLOADS:
                response = await login.client.get(url, params={name: payload})
                assert response.status_code in (200, 400, 422), (path, name, payload, response.text)
                assert MARKER not in response.text, (path, name, payload)
                tried.add((path, name))
    # The filters of the two lists that have the most.
    for expected in (
        ("/api/v1/workspaces/{workspace_id}/contacts", "q"),
        ("/api/v1/workspaces/{workspace_id}/contacts", "attr"),
        ("/api/v1/workspaces/{workspace_id}/conversations", "before"),
        ("/api/v1/workspaces/{workspace_id}/canned-responses", "q"),
    ):
        assert expected in tried, expected
    # Nothing was dropped or changed: the lists still answer, the other workspace's rows too.
    assert (await login.client.get(f"{world.base}/contacts")).status_code == 200
    other = await other_world.login()
    tags = await other.client.get(f"{other_world.base}/tags")
    assert [t["name"] for t in tags.json()] == [MARKER]


async def test_search_text_is_matched_literally(world: World) -> None:
    login = await world.login()
    for name in ("100% 환불", "a_b", "plain"):
        visitor = await world.visitor()
        claimed = await visitor.client.post(
            "/api/widget/v1/identify", json={"memberId": f"m-{name}", "name": name}
        )
        assert claimed.status_code == 200, claimed.text
    for query, expected in (("%", {"100% 환불"}), ("_", {"a_b"}), ("' OR '1'='1", set())):
        found = await login.client.get(f"{world.base}/contacts", params={"q": query})
        assert found.status_code == 200, found.text
        names = {c["name"] for c in found.json()["contacts"]}
        assert names == expected, (query, names)
