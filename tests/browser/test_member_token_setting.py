"""In real Chromium: an admin turns on "Require memberToken" in Settings › Member verification."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def test_admin_requires_member_tokens_from_settings(browser: Any, world: World) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    context, page, errors = await sign_in(browser, world, world.owner.id)
    try:
        settings = f"{world.server.base_url}/inbox/{world.workspace.id}/settings"
        await page.goto(f"{settings}/member-verification")
        toggle = page.get_by_label("memberToken만 허용 (권장)")
        await expect(toggle).not_to_be_checked()
        await expect(page.locator("#identity-card")).to_contain_text("memberHash는 만료되지 않아")
        await toggle.check()
        await expect(page.get_by_text("저장했습니다")).to_be_visible()
        login = await world.login()
        shown = await login.client.get(f"{world.base}/identity-verification/settings")
        assert shown.json() == {"require_member_token": True}
        # It stays on after a reload.
        await page.reload()
        await expect(page.get_by_label("memberToken만 허용 (권장)")).to_be_checked()
        assert errors == []
    finally:
        await context.close()
