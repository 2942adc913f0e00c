"""In real Chromium: "/환불" sends a canned reply with its variables filled; tags and the filter;
markup in a canned reply stays text in the inbox and the widget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import update

from sangdam.contacts.models import Contact
from tests.fixtures.factories import PASSWORD, World

pytestmark = pytest.mark.browser

XSS = '<script>window.__canned=1</script><img src=x onerror="window.__canned=2">'


async def test_canned_reply_tags_and_filter(browser: Any, world: World, artifacts: Path) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    base = world.server.base_url
    owner = await world.login()
    for body in (
        {"name": "불만", "color": "#dc2626"},
        {"name": "개선 아이디어", "color": "#16a34a"},
    ):
        response = await owner.client.post(f"{world.base}/tags", json=body, headers=owner.headers())
        assert response.status_code == 201
    for canned in (
        {
            "scope": "workspace",
            "shortcut": "환불",
            "title": "환불 안내",
            "body": "{{contact.name | 고객}}님, 환불은 마이페이지 > 주문내역에서 신청하실 수 있어요.",
        },
        {"scope": "workspace", "shortcut": "refund", "title": "Refund policy", "body": "Hi!"},
        {"scope": "workspace", "shortcut": "xss", "title": "markup", "body": XSS},
        {
            "scope": "workspace",
            "shortcut": "주문",
            "title": "주문 번호",
            "body": "주문 {{order.id}} 확인",
        },
    ):
        response = await owner.client.post(
            f"{world.base}/canned-responses", json=canned, headers=owner.headers()
        )
        assert response.status_code == 201, response.text
    # Another conversation, untagged, for the filter to hide.
    await (await world.visitor()).start("배송 문의는 어디서 하나요")

    visitor_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    agent_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    visitor = await visitor_context.new_page()
    agent = await agent_context.new_page()
    errors: list[str] = []
    for page in (visitor, agent):
        page.on("pageerror", lambda exc: errors.append(str(exc)))

    await visitor.goto(f"{base}/demo?key={world.inbox.public_key}")
    await visitor.locator("[data-sangdam] button.launcher").click()
    frame = visitor.frame_locator("[data-sangdam] iframe")
    await frame.get_by_role("button", name="문의하기").click()
    await frame.locator("#input").fill("주문한 상품 환불하고 싶어요")
    await frame.locator("#input").press("Enter")
    await expect(frame.locator(".message.mine:not(.pending)")).to_have_count(1)
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Contact)
            .where(Contact.workspace_id == world.workspace.id, Contact.name.is_(None))
            .where(Contact.user_agent.is_not(None), Contact.user_agent.contains("Chrome"))
            .values(name="김민지")
        )

    await agent.goto(f"{base}/login")
    await agent.fill("input[name=email]", world.emails[world.agent.id])
    await agent.fill("input[name=password]", PASSWORD)
    await agent.click("button[type=submit]")
    await agent.wait_for_url(f"{base}/inbox/{world.workspace.id}")
    item = agent.locator("#conversation-list li", has_text="환불하고 싶어요")
    await item.click()
    await expect(agent.locator("#messages .message.theirs .bubble")).to_have_text(
        "주문한 상품 환불하고 싶어요"
    )

    # "/환불" opens the picker filtered to it; Enter sends it, variables filled, in one step.
    composer = agent.locator("#composer-input")
    await composer.press_sequentially("/환불")
    picker = agent.locator("#canned-picker")
    await expect(picker).to_be_visible()
    await expect(picker.locator(".canned-item")).to_have_count(1)
    await expect(picker.locator(".canned-item")).to_contain_text("/환불")
    await agent.screenshot(path=str(artifacts / "inbox-canned-picker-ko.png"))
    await composer.press("Enter")
    sent = "김민지님, 환불은 마이페이지 > 주문내역에서 신청하실 수 있어요."
    await expect(agent.locator("#messages .message.mine:not(.pending) .bubble")).to_have_text(sent)
    await expect(composer).to_have_value("")
    await expect(frame.locator(".message.theirs .bubble")).to_have_text(sent)

    # English shortcuts filter too; Escape closes.
    await composer.press_sequentially("/REF")
    await expect(picker.locator(".canned-item")).to_have_count(1)
    await composer.press("Escape")
    await expect(picker).to_be_hidden()
    await composer.fill("")
    # Arrow keys move the choice; Tab puts the text in the box to edit instead of sending.
    await composer.press_sequentially("/")
    await expect(picker.locator(".canned-item")).to_have_count(4)
    await expect(picker.locator(".canned-item").first).to_have_class("canned-item active")
    await composer.press("ArrowDown")
    await expect(picker.locator(".canned-item").nth(1)).to_have_class("canned-item active")
    chosen = await picker.locator(".canned-item.active strong").text_content()
    await composer.press("Tab")
    expected = {"/refund": "Hi!", "/xss": XSS, "/주문": "주문 {{order.id}} 확인"}
    await expect(composer).to_have_value(expected.get(chosen or "", sent))
    await composer.fill("")
    # An unknown variable is never sent as is: it stays in the box, and the agent is told.
    await composer.press_sequentially("/주문")
    await composer.press("Enter")
    await expect(composer).to_have_value("주문 {{order.id}} 확인")
    await expect(agent.locator("#composer-error")).to_contain_text("{{order.id}}")
    await composer.fill("")
    await expect(agent.locator("#messages .message.mine .bubble")).to_have_count(1)

    # Markup in a canned reply is text on both sides: nothing runs, no image appears.
    await composer.press_sequentially("/xs")
    await expect(picker.locator(".canned-item")).to_have_count(1)
    await picker.locator(".canned-item").click()
    await expect(agent.locator("#messages .message.mine:not(.pending) .bubble").last).to_have_text(
        XSS
    )
    await expect(frame.locator(".message.theirs .bubble").last).to_have_text(XSS)
    assert await agent.evaluate("window.__canned") is None
    assert await agent.locator("#messages img").count() == 0
    widget = next(f for f in visitor.frames if "/widget/frame" in f.url)
    assert await widget.evaluate("window.__canned") is None
    assert await frame.locator("#messages img").count() == 0

    # Tag the conversation "불만" from its header; the list shows the chip live.
    await agent.locator("#thread-tags select").select_option(label="불만")
    await expect(agent.locator("#thread-tags .tag-chip")).to_have_text("불만×")
    await expect(agent.locator("#conversation-list li.active .tag-chip")).to_have_text("불만")
    # The filter shows only conversations with the tag.
    all_items = agent.locator("#conversation-list li")
    await expect(all_items).to_have_count(2)
    await agent.locator("#tag-filter").select_option(label="불만")
    await expect(all_items).to_have_count(1)
    await expect(all_items.first).to_contain_text("김민지")
    await agent.locator("#tag-filter").select_option(label="개선 아이디어")
    await expect(all_items).to_have_count(0)
    await agent.locator("#tag-filter").select_option(label="모든 태그")
    await expect(all_items).to_have_count(2)

    # Customer tags in the panel.
    await agent.locator("#contact-tags select").select_option(label="개선 아이디어")
    await expect(agent.locator("#contact-tags .tag-chip")).to_have_text("개선 아이디어×")
    await agent.screenshot(path=str(artifacts / "inbox-tags-ko.png"))
    assert errors == []
    await visitor_context.close()
    await agent_context.close()
