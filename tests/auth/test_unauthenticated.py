"""No credentials, no access: every API route but the few meant for the public says 401.

Read from the application's routes, like the CSRF check: an endpoint added without
an authentication dependency (an upload, a delete) fails here on the day it is added.
"""

from __future__ import annotations

import re

import httpx
from fastapi.routing import iter_route_contexts

from tests.fixtures.factories import World

# What anyone may call: signing in, a password-reset or invitation link (the secret in
# the path is the credential), the first account of a new installation, the widget's
# first call (it takes the inbox's public key), the API description and its docs page, the
# help center, a survey link (its token is the credential: tests/csat) and a messenger's
# webhook (each request signed with the channel's own secret: tests/channels).
PUBLIC = re.compile(
    r"^/api/openapi\.json$|^/api/docs(/assets/\{name\})?$"
    r"|^/api/v1/login$|^/api/v1/password-reset(/\{secret\})?$"
    r"|^/api/v1/invitations/\{secret\}(/accept)?$|^/api/v1/setup$"
    r"|^/api/widget/v1/visitors$|^/help/"
    r"|^/api/v1/surveys/\{token\}(/response)?$|^/api/channels/v1/\{kind\}/\{webhook_key\}$"
)
ABSENT_ID = "987654321"


def _url(world: World, path: str) -> str:
    path = path.replace("{workspace_id}", str(world.workspace.id))
    return re.sub(r"\{[^}]+\}", ABSENT_ID, path)


async def test_every_api_route_refuses_a_caller_without_credentials(world: World) -> None:
    app = world.server.server.config.app
    checked = []
    async with httpx.AsyncClient(base_url=world.server.base_url) as anonymous:
        for route in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
            if not route.path.startswith("/api/") or PUBLIC.match(route.path):
                continue
            for method in sorted((route.methods or set()) - {"HEAD"}):
                url = _url(world, route.path)
                body = None if method == "GET" else {}
                response = await anonymous.request(method, url, json=body)
                assert response.status_code == 401, (method, route.path, response.text)
                checked.append((method, route.path))
                # A wrong bearer token is no better than none, for agents and visitors.
                for token in ("sda_forged", "sdv_forged"):
                    forged = await anonymous.request(
                        method, url, json=body, headers={"Authorization": f"Bearer {token}"}
                    )
                    assert forged.status_code == 401, (method, route.path, token, forged.text)
    assert ("GET", "/api/v1/workspaces/{workspace_id}/conversations") in checked
    assert ("POST", "/api/widget/v1/conversations") in checked
    assert len(checked) > 50


async def test_headers_a_single_sign_on_proxy_would_set_are_not_trusted(world: World) -> None:
    """No header names a user: anyone can send one (cf. Zammad CVE-2020-26030)."""
    email = world.emails[world.owner.id]
    claimed = {
        name: email
        for name in (
            "Remote-User",
            "X-Remote-User",
            "X-Forwarded-User",
            "X-Forwarded-Email",
            "X-Auth-Request-Email",
            "X-Auth-Request-User",
            "X-Email",
            "X-User",
        )
    }
    async with httpx.AsyncClient(base_url=world.server.base_url, headers=claimed) as stranger:
        assert (await stranger.get("/api/v1/me")).status_code == 401
        assert (await stranger.get(f"{world.base}/conversations")).status_code == 401
        page = await stranger.get(f"/inbox/{world.workspace.id}")
        assert page.status_code == 303 and page.headers["location"] == "/login"


async def test_the_inbox_pages_send_a_stranger_to_the_sign_in_page(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as anonymous:
        for path in (
            "/inbox",
            f"/inbox/{world.workspace.id}",
            f"/inbox/{world.workspace.id}/customers",
        ):
            response = await anonymous.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/login", path
