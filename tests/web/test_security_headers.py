"""What the browser is told about every page: no inline or foreign script, no framing
but the widget's, no sniffing, and no cross-origin reads of the API.

Pages are read from the application's routes, so a page added tomorrow is checked too.
"""

from __future__ import annotations

import re

import httpx
from fastapi.routing import iter_route_contexts

from tests.fixtures.factories import World

EMBEDDABLE = re.compile(r"^/widget/")


def _directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


async def _page_urls(world: World, login_cookie: str) -> list[tuple[str, str]]:
    """(route, URL) for every page: each path parameter filled with something that exists."""
    slug = await world.slug()
    visitor = await world.visitor()
    filled = {
        "workspace_id": str(world.workspace.id),
        "contact_id": str(visitor.contact_id),
        "lang": "ko",
        "article_slug": "refund-policy",
    }
    app = world.server.server.config.app
    urls = []
    for route in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        path = route.path
        if "GET" not in (route.methods or set()) or path.startswith(("/api/", "/static")):
            continue
        url = path.replace("{slug}", slug if path.startswith("/help/") else "general")
        for name, value in filled.items():
            url = url.replace("{" + name + "}", value)
        if url.startswith(("/widget/", "/demo")):
            url += f"?key={world.inbox.public_key}"
        urls.append((path, url))
    return urls


async def test_every_page_forbids_inline_script_and_framing_except_the_widget(
    world: World,
) -> None:
    login = await world.login()
    published = await login.client.post(
        f"{world.base}/articles",
        json={
            "slug": "refund-policy",
            "title": "환불 정책",
            "category": "이용가격",
            "body": "7일 이내",
            "description": "",
        },
        headers=login.headers(),
    )
    assert published.status_code == 201, published.text
    pages = 0
    for route, url in await _page_urls(world, login.cookie):
        response = await login.client.get(url)
        assert response.status_code < 500, (url, response.text)
        assert response.headers.get("x-content-type-options") == "nosniff", url
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        pages += 1
        csp = response.headers.get("content-security-policy")
        assert csp, f"{url} has no Content-Security-Policy"
        directives = _directives(csp)
        scripts = directives.get("script-src", directives.get("default-src"))
        assert scripts == ["'self'"], (url, csp)
        if EMBEDDABLE.match(route):
            assert "x-frame-options" not in response.headers and "frame-ancestors" not in csp
        else:
            assert response.headers.get("x-frame-options") == "DENY", url
            assert directives.get("frame-ancestors", ["'none'"]) == ["'none'"], (url, csp)
    # The login page, the inbox, its settings and customers, the help center, the widget.
    assert pages >= 8, pages


async def test_the_api_is_not_readable_from_another_origin(world: World) -> None:
    login = await world.login()
    evil = {"Origin": "https://evil.example"}
    read = await login.client.get(f"{world.base}/conversations", headers=evil)
    me = await login.client.get("/api/v1/me", headers=evil)
    preflight = await login.client.options(
        "/api/v1/me/password",
        headers={
            **evil,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-csrf-token, content-type",
        },
    )
    for response in (read, me, preflight):
        assert not any(h.lower().startswith("access-control-") for h in response.headers), (
            response.request.url,
            response.headers,
        )
    # The widget's API is called from customers' sites, with a bearer token, never cookies.
    visitor = await world.visitor()
    widget = await visitor.client.post("/api/widget/v1/session", json={}, headers=evil)
    assert widget.headers.get("access-control-allow-credentials") != "true"
    async with httpx.AsyncClient(base_url=world.server.base_url) as anonymous:
        static = await anonymous.get("/static/widget/frame.js")
        assert static.headers.get("x-content-type-options") == "nosniff"
