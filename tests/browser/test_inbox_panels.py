"""Inbox defects found walking the seeds, in real Chromium at 1440×900: the "/" picker
without a match, FAQ answers as plain text, the GitHub panel, past conversations and the
tab bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.browser import sign_in
from tests.fixtures.factories import AgentLogin, World, import_demo_faq

pytestmark = pytest.mark.browser


async def _english(login: AgentLogin) -> None:
    response = await login.client.put(
        "/api/v1/me/locale", json={"locale": "en"}, headers=login.headers()
    )
    assert response.status_code == 200


async def _inbox(browser: Any, world: World, agent_id: int) -> tuple[Any, Any, list[str]]:
    context, page, errors = await sign_in(browser, world, agent_id)
    await page.set_viewport_size({"width": 1440, "height": 900})
    return context, page, errors


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_reply_box_picker_without_a_match_and_faq_as_text(
    browser: Any, world: World, artifacts: Path, lang: str
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    login = await import_demo_faq(world)
    canned = await login.client.post(
        f"{world.base}/canned-responses",
        json={"scope": "workspace", "shortcut": "환불", "title": "환불 안내", "body": "환불 안내"},
        headers=login.headers(),
    )
    assert canned.status_code == 201, canned.text
    if lang == "en":
        await _english(login)
    # Asks for a person at once, so the bot hands it over to the open list.
    await (await world.visitor()).start("상담원 연결해 주세요")
    context, page, errors = await _inbox(browser, world, world.owner.id)
    await page.locator("#conversation-list li").first.click()
    composer = page.locator("#composer-input")

    # "/세금" matches nothing: Enter keeps it in the box and sends nothing.
    await composer.fill("/세금")
    picker = page.locator("#canned-picker")
    await expect(picker).to_contain_text(
        "맞는 자주쓰는문구가 없어요." if lang == "ko" else "No canned response matches."
    )
    await composer.press("Enter")
    await expect(composer).to_have_value("/세금")
    await expect(picker).to_be_visible()
    await composer.fill("확인해 볼게요")
    await composer.press("Enter")
    sent = page.locator("#messages .message.agent .bubble")
    await expect(sent).to_have_text(["확인해 볼게요"])

    # The FAQ search shows the answer as text, and inserts it without Markdown marks.
    await page.locator("#knowledge-toggle").click()
    await page.locator("#knowledge-query").fill("환불 받을 수 있나요")
    hit = page.locator("#knowledge-results .hit", has_text="7일 이내").first
    await expect(hit).to_be_visible()
    await expect(hit).not_to_contain_text("**")
    await page.screenshot(path=str(artifacts / f"inbox-faq-search-{lang}.png"))
    await hit.click()
    value = await composer.input_value()
    assert "7일 이내" in value and "**" not in value
    assert errors == []
    await context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_github_panel_past_conversations_and_tabs(
    browser: Any, world: World, artifacts: Path, lang: str
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    login = await world.login()
    if lang == "en":
        await _english(login)
    # Enough chats that the tabs have two-digit counts.
    for n in range(11):
        await (await world.visitor()).start(f"고객 {n}의 문의")
    customer = await world.visitor()
    earlier = (await customer.start("지난달 문의: 영수증"))["conversation"]["id"]
    resolved = await login.client.post(
        f"{world.base}/conversations/{earlier}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert resolved.status_code == 200
    current = (await customer.start("이번 달 결제가 두 번 됐어요"))["conversation"]["id"]

    context, page, errors = await _inbox(browser, world, world.owner.id)
    await expect(page.locator("[data-count=open]")).to_have_text("12")
    await page.locator("[data-tab=unassigned]").click()
    await expect(page.locator("[data-count=unassigned]")).to_have_text("12")
    # Every tab, "해결됨" / "Resolved" last, is whole inside the list pane.
    pane = await page.locator(".list-pane").bounding_box()
    rows = set()
    for tab in await page.locator("[data-tab]").all():
        box = await tab.bounding_box()
        assert box["x"] >= pane["x"] and box["x"] + box["width"] <= pane["x"] + pane["width"], (
            await tab.inner_text()
        )
        rows.add(round(box["y"]))
    assert len(rows) == 1, "at 1440 px the tabs fit on one row"
    tabs = page.locator(".tabs")
    assert await tabs.evaluate("(node) => node.scrollWidth <= node.clientWidth")

    # Not set up: no GitHub panel. The customer's other conversation is listed, not this one.
    await page.locator("#conversation-list li", has_text="두 번").click()
    past = page.locator("#past-conversations li")
    await expect(past).to_have_count(1)
    await expect(past).to_contain_text(f"#{earlier}")
    await expect(page.locator("#past-conversations")).not_to_contain_text(f"#{current}")
    await expect(page.locator("#github-issues")).to_be_hidden()
    await page.screenshot(path=str(artifacts / f"inbox-tabs-past-{lang}.png"))

    # A first-time customer has no past conversations to list.
    await page.locator("#conversation-list li", has_text="고객 0의 문의").click()
    await expect(page.locator("#past-conversations li")).to_have_count(0)
    await expect(page.locator("#past-empty")).to_be_visible()

    # With a repository but no token: the prefilled link, and no "create" button.
    saved = await login.client.put(
        f"{world.base}/integrations/github",
        json={"api_url": "https://api.github.com", "repo": "cloudgate/app"},
        headers=login.headers(),
    )
    assert saved.status_code == 200
    await page.locator("#conversation-list li", has_text="두 번").click()
    github = page.locator("#github-issues")
    await expect(github).to_be_visible()
    await expect(github.locator("a")).to_have_count(1)
    assert "github.com/cloudgate/app/issues/new" in str(
        await github.locator("a").get_attribute("href")
    )
    await expect(github.locator("button")).to_have_count(0)
    assert errors == []
    await context.close()
