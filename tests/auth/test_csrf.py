"""CSRF, as a kind: every unsafe route a browser session can call needs the CSRF header.

The routes are read from the application itself, so a route added tomorrow is checked
without anyone remembering to list it here.
"""

from __future__ import annotations

import re

import httpx
from fastapi.routing import iter_route_contexts

from tests.fixtures.factories import PASSWORD, World

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Not authenticated by the session cookie: signing in (guarded by its Origin check,
# below), a password-reset link (its secret is the credential), the first account of
# a new installation, the widget's API, which takes the visitor's bearer token only, a
# survey answer (its link's token is the credential) and messengers' webhooks (signed).
# (Accepting an invitation is checked: a signed-in browser joins as its user.)
NOT_COOKIE_AUTHENTICATED = re.compile(
    r"^/api/v1/login$|^/api/v1/password-reset(/\{secret\})?$|^/api/v1/setup$|^/api/widget/"
    r"|^/api/v1/surveys/\{token\}/response$|^/api/channels/v1/"
)
# An id that exists nowhere: with the right header a request gets as far as
# "not found" or "not valid", and changes nothing.
ABSENT_ID = "987654321"


def _unsafe_routes(world: World) -> list[tuple[str, str]]:
    app = world.server.server.config.app
    routes = set()
    for route in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        for method in (route.methods or set()) & UNSAFE:
            routes.add((method, route.path))
    # Signing out ends the session the other requests use: last.
    return sorted(routes, key=lambda r: (r[1] == "/api/v1/logout", r[1], r[0]))


def _url(world: World, path: str) -> str:
    path = path.replace("{workspace_id}", str(world.workspace.id))
    return re.sub(r"\{[^}]+\}", ABSENT_ID, path)


def _refused_for_csrf(response: httpx.Response) -> bool:
    return response.status_code == 403 and response.json().get("code") == "csrf_failed"


async def test_every_unsafe_cookie_route_refuses_a_request_without_the_csrf_header(
    world: World,
) -> None:
    login = await world.login()
    routes = _unsafe_routes(world)
    checked = [(m, p) for m, p in routes if not NOT_COOKIE_AUTHENTICATED.match(p)]
    # The ones an outside probe found unchecked, so the enumeration can't come back empty.
    for known in (
        ("POST", "/api/v1/logout"),
        ("PUT", "/api/v1/me/locale"),
        ("POST", "/api/v1/me/password"),
        ("POST", "/api/v1/workspaces/{workspace_id}/conversations/{conversation_id}/messages"),
        ("PUT", "/api/v1/workspaces/{workspace_id}/integrations/github"),
    ):
        assert known in checked, known
    for method, path in checked:
        url = _url(world, path)
        missing = await login.client.request(method, url, json={})
        assert _refused_for_csrf(missing), (method, path, missing.status_code, missing.text)
        wrong = await login.client.request(
            method, url, json={}, headers={"X-CSRF-Token": login.csrf[:-2] + "xx"}
        )
        assert _refused_for_csrf(wrong), (method, path, wrong.status_code, wrong.text)
        right = await login.client.request(method, url, json={}, headers=login.headers())
        assert not _refused_for_csrf(right), (method, path, right.text)
        assert right.status_code != 401, (method, path, right.text)
    # The last one signed out, with the header.
    assert (await login.client.get("/api/v1/me")).status_code == 401


async def test_a_refused_request_changed_nothing(world: World) -> None:
    """The refusal comes before the change: a forged locale or password change does nothing."""
    login = await world.login()
    before = (await login.client.get("/api/v1/me")).json()
    other_locale = "en" if before["locale"] != "en" else "ko"
    locale = await login.client.put("/api/v1/me/locale", json={"locale": other_locale})
    assert _refused_for_csrf(locale)
    password = await login.client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "forged-password-1"},
    )
    assert _refused_for_csrf(password)
    logout = await login.client.post("/api/v1/logout")
    assert _refused_for_csrf(logout)
    after = await login.client.get("/api/v1/me")
    assert after.status_code == 200 and after.json()["locale"] == before["locale"]
    async with httpx.AsyncClient(base_url=world.server.base_url) as fresh:
        signed_in = await fresh.post(
            "/api/v1/login",
            json={"email": login.email, "password": PASSWORD},
        )
        assert signed_in.status_code == 200


async def test_signing_in_from_another_site_is_refused(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        forged = await client.post(
            "/api/v1/login",
            json={"email": world.emails[world.owner.id], "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
        assert forged.status_code == 403 and forged.json()["code"] == "bad_origin"
        assert "sangdam_session" not in forged.cookies
        own = await client.post(
            "/api/v1/login",
            json={"email": world.emails[world.owner.id], "password": PASSWORD},
            headers={"Origin": world.server.base_url},
        )
        assert own.status_code == 200
