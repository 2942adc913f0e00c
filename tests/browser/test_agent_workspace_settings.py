"""In real Chromium: admins manage tags and rules in Settings; every agent keeps canned responses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def test_settings_for_tags_rules_and_canned_responses(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    context, page, errors = await sign_in(browser, world, world.owner.id)
    settings = f"{world.server.base_url}/inbox/{world.workspace.id}/settings"
    await page.goto(f"{settings}/tags")

    await page.locator("#tag-form input[name=name]").fill("앱 업데이트 필요")
    await page.locator("#tag-form button[type=submit]").click()
    await expect(page.locator("#tag-rows tr")).to_have_count(1)

    await page.goto(f"{settings}/automation")
    form = page.locator("#rule-form")
    await form.locator("#rule-example").click()
    await expect(form.locator("input[name=trigger_attribute]")).to_have_value("app_version")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#rule-rows tr")).to_have_count(1)
    await expect(page.locator("#rule-rows tr")).to_contain_text("구버전 앱 안내")
    await expect(page.locator("#rule-rows tr")).to_contain_text(
        "app_version < 3.2.0 → 태그 달기 앱 업데이트 필요, 내부 메모 남기기"
    )

    # A mistake is explained, not swallowed: the server's refusal, and JSON that isn't.
    await form.locator("input[name=name]").fill("잘못된 규칙")
    action = form.locator("#action-rows li").first
    await action.locator("select.rule-kind").select_option("call_webhook")
    await action.locator("input[type=url]").fill("https://169.254.169.254/latest")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#notice")).to_contain_text("actions[0].url")
    await form.locator("#rule-json-panel summary").click()
    await form.locator("#rule-json").fill("[oops")
    await form.locator("#rule-json-load").click()
    await expect(page.locator("#notice")).to_contain_text("JSON")
    await expect(page.locator("#rule-rows tr")).to_have_count(1)
    await page.screenshot(path=str(artifacts / "settings-rules-ko.png"), full_page=True)
    rules = (await (await world.login()).client.get(f"{world.base}/automation/rules")).json()
    assert [r["trigger"] for r in rules] == [
        {"event": "attribute_changed", "attribute": "app_version"}
    ]
    await context.close()

    # An agent keeps personal canned responses; team and workspace scopes are for admins.
    context, page, agent_errors = await sign_in(browser, world, world.agent.id)
    await page.locator("#canned-link").click()
    await page.wait_for_url(f"**/inbox/{world.workspace.id}/settings/canned")
    scope = page.locator("#canned-form select[name=scope]")
    await expect(scope.locator("option[value=workspace]")).to_be_hidden()
    await page.locator("#canned-form input[name=shortcut]").fill("인사")
    await page.locator("#canned-form input[name=title]").fill("첫 인사")
    await page.locator("#canned-form textarea[name=body]").fill(
        "안녕하세요 {{contact.name | 고객}}님!"
    )
    await page.locator("#canned-form button[type=submit]").click()
    await expect(page.locator("#canned-rows tr")).to_have_count(1)
    await expect(page.locator("#canned-rows tr")).to_contain_text("/인사")
    await expect(page.locator("#canned-rows tr")).to_contain_text("개인")
    await page.screenshot(path=str(artifacts / "settings-canned-ko.png"), full_page=True)
    assert errors == [] and agent_errors == []
    await context.close()
