"""A Korean inbox shows the server's errors and the statuses in Korean, an English one in
English: nothing reaches a person from outside the catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser

TEXTS = {
    "ko": {"deactivated": "님은 이 워크스페이스에서 비활성화되었어요", "resolved": "해결됨"},
    "en": {
        "deactivated": "is deactivated in this workspace; choose someone else",
        "resolved": "Resolved",
    },
}


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_server_errors_and_statuses_in_the_agents_language(
    browser: Any, world: World, artifacts: Path, lang: str
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    texts = TEXTS[lang]
    owner = await world.login()
    if lang == "en":
        switched = await owner.client.put(
            "/api/v1/me/locale", json={"locale": "en"}, headers=owner.headers()
        )
        assert switched.status_code == 200
    visitor = await world.visitor()
    earlier = (await visitor.start("지난번 문의"))["conversation"]["id"]
    resolved = await owner.client.post(
        f"{world.base}/conversations/{earlier}/status",
        json={"status": "resolved"},
        headers=owner.headers(),
    )
    assert resolved.status_code == 200
    await visitor.start("다른 상담원에게 넘겨 주세요")

    context, page, errors = await sign_in(browser, world, world.owner.id)
    await page.set_viewport_size({"width": 1440, "height": 900})
    await page.locator("#conversation-list li", has_text="넘겨 주세요").click()
    await page.locator("#transfer").click()
    await page.locator("#transfer-target").select_option(f"agent:{world.agent.id}")
    # Meanwhile the colleague is deactivated: the server refuses, in the agent's language.
    gone = await owner.client.post(
        f"{world.base}/members/{world.agent.id}/deactivate", headers=owner.headers()
    )
    assert gone.status_code == 200, gone.text
    await page.locator("#transfer-submit").click()
    await expect(page.locator("#transfer-error")).to_contain_text(texts["deactivated"])
    await page.screenshot(path=str(artifacts / f"inbox-translated-error-{lang}.png"))

    # The customer page shows statuses through the catalogs, not "resolved".
    await page.goto(
        f"{world.server.base_url}/inbox/{world.workspace.id}/customers/{visitor.contact_id}"
    )
    conversations = page.locator("#detail-conversations")
    await expect(conversations).to_contain_text(texts["resolved"])
    await expect(conversations).not_to_contain_text("resolved")
    await page.screenshot(path=str(artifacts / f"customer-page-status-{lang}.png"))
    assert errors == []
    await context.close()
