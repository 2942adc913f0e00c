"""In real Chromium: an inbox whose sign-in ends elsewhere goes to the sign-in page at once,
instead of staying live (or reconnecting forever) on a session that no longer exists."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def test_signing_out_in_another_tab_sends_the_open_inbox_to_sign_in(
    browser: Any, world: World
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the inbox is the same on every backend; one run is enough")
    base = world.server.base_url
    context, page, errors = await sign_in(browser, world, world.agent.id)
    await page.wait_for_selector("#conn-state[data-state=open]")

    # The same browser session signs out from another tab.
    cookies = {c["name"]: c["value"] for c in await context.cookies(base)}
    async with httpx.AsyncClient(base_url=base, cookies=cookies) as tab:
        me = await tab.get("/api/v1/me")
        assert me.status_code == 200
        response = await tab.post(
            "/api/v1/logout", headers={"X-CSRF-Token": me.json()["csrf_token"]}
        )
        assert response.status_code == 204

    await page.wait_for_url(f"{base}/login", timeout=15000)
    assert errors == []
    await context.close()
