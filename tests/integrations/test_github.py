"""GitHub issues from a conversation: the prefilled link, and the REST API against a local
server that speaks it (headers, JSON body, 201 and the documented error answers)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from sangdam.integrations.models import Integration
from tests.fixtures.factories import AgentLogin, World
from tests.fixtures.http_stub import HttpStub, Received, Reply

TOKEN = "github_pat_11ABCDEFG0123456789_secretpart9z"


def github(request: Received) -> Reply:
    """POST /repos/{owner}/{repo}/issues as docs.github.com describes it."""
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return Reply(
            401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
        )
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    owner_repo = request.path.removeprefix("/api/v3/repos/").removesuffix("/issues")
    if request.method != "POST" or owner_repo not in ("cloudgate/app", "cloudgate/private"):
        return Reply(404, {"message": "Not Found"})
    body = request.json()
    if not body.get("title", "").strip() or body["title"] == "invalid":
        return Reply(
            422,
            {
                "message": "Validation Failed",
                "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}],
            },
        )
    return Reply(
        201,
        {
            "id": 1,
            "number": 1347,
            "title": body["title"],
            "body": body.get("body"),
            "html_url": f"https://ghe.example.com/{owner_repo}/issues/1347",
            "state": "open",
        },
    )


async def _setup(login: AgentLogin, world: World, api_url: str, token: str | None) -> Any:
    body: dict[str, Any] = {"api_url": api_url, "repo": "cloudgate/app"}
    if token is not None:
        body["token"] = token
    return await login.client.put(
        f"{world.base}/integrations/github", json=body, headers=login.headers()
    )


async def test_prefilled_link_without_a_token(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    started = await visitor.start("앱에서 결제 버튼이 안 눌려요 & 오류가 나요")
    conversation_id = started["conversation"]["id"]
    none = (
        await login.client.get(f"{world.base}/conversations/{conversation_id}/github-issues")
    ).json()
    assert none["url"] is None and none["issues"] == []
    assert (await _setup(login, world, "https://api.github.com", None)).status_code == 200
    link = (
        await login.client.get(f"{world.base}/conversations/{conversation_id}/github-issues")
    ).json()
    parts = urlsplit(link["url"])
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == "https://github.com/cloudgate/app/issues/new"
    )
    query = parse_qs(parts.query)
    assert query["title"] == ["앱에서 결제 버튼이 안 눌려요 & 오류가 나요"]
    assert f"/inbox/{world.workspace.id}?c={conversation_id}" in query["body"][0]
    # Creating through the API needs a token.
    response = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/github-issues",
        json={"title": "x"},
        headers=login.headers(),
    )
    assert response.status_code == 400 and response.json()["code"] == "github_no_token"


async def test_create_issue_through_the_api(world: World) -> None:
    outbound = world.server.settings.outbound
    login = await world.login()
    agent = await world.login(world.agent)
    visitor = await world.visitor()
    conversation_id = (await visitor.start("버그 제보합니다"))["conversation"]["id"]
    create = f"{world.base}/conversations/{conversation_id}/github-issues"
    async with HttpStub(github) as stub:
        # The stub is on 127.0.0.1 over http: refused until the on-premises switch is on.
        assert (await _setup(login, world, f"{stub.url}/api/v3", TOKEN)).status_code == 400
        outbound.allow_private = True
        try:
            saved = await _setup(login, world, f"{stub.url}/api/v3", TOKEN)
            assert saved.status_code == 200, saved.text
            shown = saved.json()
            # The token is never shown back, only its last four characters.
            assert TOKEN not in saved.text
            assert shown["has_token"] and shown["token_hint"] == f"…{TOKEN[-4:]}"
            assert TOKEN not in (await login.client.get(f"{world.base}/integrations/github")).text
            assert (await agent.client.get(f"{world.base}/integrations/github")).status_code == 403

            response = await agent.client.post(
                create,
                json={"title": "결제 버튼 오류", "body": "재현: iPhone 15, 앱 3.2.1"},
                headers=agent.headers(),
            )
            assert response.status_code == 201, response.text
            issue = response.json()
            assert issue["number"] == 1347
            assert issue["html_url"] == "https://ghe.example.com/cloudgate/app/issues/1347"
            sent = stub.received[-1]
            assert sent.path == "/api/v3/repos/cloudgate/app/issues"
            assert sent.json() == {"title": "결제 버튼 오류", "body": "재현: iPhone 15, 앱 3.2.1"}

            # Kept on the conversation, and an internal note says so.
            listed = (await agent.client.get(create)).json()
            assert [i["number"] for i in listed["issues"]] == [1347]
            messages = (
                await agent.client.get(f"{world.base}/conversations/{conversation_id}/messages")
            ).json()["messages"]
            note = messages[-1]
            assert note["kind"] == "note" and "cloudgate/app#1347" in note["body"]
            history = (
                await visitor.client.get(f"/api/widget/v1/conversations/{conversation_id}/messages")
            ).json()["messages"]
            assert all("1347" not in m["body"] for m in history)  # notes never reach the customer

            # GitHub's errors become clear 4xx answers.
            invalid = await agent.client.post(
                create, json={"title": "invalid"}, headers=agent.headers()
            )
            assert invalid.status_code == 422 and "Validation Failed" in invalid.json()["message"]
            missing = await agent.client.post(
                create, json={"title": "t", "repo": "cloudgate/nope"}, headers=agent.headers()
            )
            assert missing.status_code == 400 and missing.json()["code"] == "github_not_found"
            revoked = await _setup(login, world, f"{stub.url}/api/v3", "ghp_revoked")
            assert revoked.status_code == 200, revoked.text
            refused = await agent.client.post(create, json={"title": "t"}, headers=agent.headers())
            assert refused.status_code == 400 and refused.json()["code"] == "github_unauthorized"
            assert "401" in refused.json()["message"]
        finally:
            outbound.allow_private = False
    # GitHub down: a 502 with a message, not a 500.
    outbound.allow_private = True
    try:
        await _setup(login, world, f"{stub.url}/api/v3", TOKEN)
        down = await agent.client.post(create, json={"title": "t"}, headers=agent.headers())
        assert down.status_code == 502 and "could not be reached" in down.json()["message"]
    finally:
        outbound.allow_private = False
    async with world.server.db.read() as session:
        stored = (
            await session.execute(
                select(Integration).where(Integration.workspace_id == world.workspace.id)
            )
        ).scalar_one()
        assert stored.config == {"api_url": f"{stub.url}/api/v3", "repo": "cloudgate/app"}


async def test_other_workspace_cannot_file_issues_on_our_conversations(
    world: World, other_world: World
) -> None:
    visitor = await world.visitor()
    conversation_id = (await visitor.start("우리 대화"))["conversation"]["id"]
    intruder = await other_world.login()
    for base in (world.base, other_world.base):
        path = f"{base}/conversations/{conversation_id}/github-issues"
        assert (await intruder.client.get(path)).status_code == 404
        response = await intruder.client.post(path, json={"title": "x"}, headers=intruder.headers())
        assert response.status_code == 404


async def test_a_new_api_address_needs_the_token_again(world: World) -> None:
    """The saved token was given for one host; moving the address must not send it elsewhere."""
    login = await world.login()
    first, moved_to = "http://127.0.0.1:9/api/v3", "http://127.0.0.2:9/api/v3"
    outbound = world.server.settings.outbound
    outbound.allow_private = True  # plain-http local addresses, as on-premises
    try:
        saved = await _setup(login, world, first, TOKEN)
        assert saved.status_code == 200, saved.text
        moved = await _setup(login, world, moved_to, None)
        assert moved.status_code == 400, moved.text
        assert moved.json()["code"] == "github_token_required"
        assert "enter the token again" in moved.json()["message"]
        kept = (await login.client.get(f"{world.base}/integrations/github")).json()
        assert kept["api_url"] == first and kept["token_hint"] == f"…{TOKEN[-4:]}"
        # The same address without the token keeps it (changing only the repository).
        assert (await _setup(login, world, first + "/", None)).status_code == 200
        # Moving with a token, or with an empty one (dropping it), is fine.
        assert (await _setup(login, world, moved_to, "")).status_code == 200
    finally:
        outbound.allow_private = False
    shown = (await login.client.get(f"{world.base}/integrations/github")).json()
    assert shown["api_url"] == moved_to and not shown["has_token"]
