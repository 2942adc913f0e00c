"""The API docs come from Sangdam itself: Swagger UI from a pinned wheel, under the app's
strict CSP, linked from Settings, and the browser asks nothing of any other host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def test_api_docs_load_from_this_server_only(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the page is the same on every backend; one run is enough")
    base = world.server.base_url
    context, page, errors = await sign_in(browser, world, world.owner.id)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    await page.goto(f"{base}/inbox/{world.workspace.id}/settings/api-tokens")
    await page.get_by_role("navigation", name="설정").get_by_role("link", name="API 문서").click()
    await page.wait_for_url(f"{base}/api/docs")
    tokens = page.locator(
        ".opblock-summary-path", has_text="/api/v1/workspaces/{workspace_id}/api-tokens"
    )
    await expect(tokens.first).to_be_visible(timeout=15_000)
    assert await page.locator(".opblock").count() > 50
    await expect(page.locator(".api-docs-intro")).to_contain_text("API 토큰")
    # Authorize offers the workspace API token.
    await page.get_by_role("button", name="Authorize").first.click()
    await expect(page.locator(".auth-container", has_text="ApiToken")).to_be_visible()
    await page.screenshot(path=str(artifacts / "api-docs-ko.png"))
    outside = [url for url in requests if not url.startswith((base, "data:"))]
    assert outside == []
    assert any(url.endswith("/api/docs/assets/swagger-ui-bundle.js") for url in requests)
    assert errors == []  # a CSP violation would be reported here
    await context.close()
