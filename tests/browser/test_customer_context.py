"""A verified member chats from the company's own site; the agent sees who they are,
where they have been and their recent orders, with nothing injected ever running."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from sangdam.contacts.service import member_hash
from sangdam.integrations import service as integrations
from sangdam.workspaces.models import Workspace
from tests.fixtures.browser import sign_in
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.http_stub import HttpStub, Received, Reply

pytestmark = pytest.mark.browser
XSS = '<img src=x onerror="window.__xss=1">'


def _site(world: World, identity: dict[str, Any]) -> Any:
    """The company's website (with the widget) and its order endpoint, on one local server."""
    widget = f"{world.server.base_url}/widget.js"
    key = world.inbox.public_key

    def handle(request: Received) -> Reply:
        if request.method == "POST" and request.path == "/sangdam/card":
            assert request.json()["member_id"] == identity["memberId"]
            return Reply(
                body={
                    "title": "최근 주문",
                    "fields": [{"label": "등급", "value": "VIP"}, {"label": "메모", "value": XSS}],
                    "orders": [
                        {
                            "title": "콜드브루 원두 1kg",
                            "status": "배송중",
                            "amount": "₩32,000",
                            "url": "https://shop.example/orders/1001",
                        },
                        {"title": XSS, "status": "취소", "url": "javascript:window.__xss=2"},
                    ],
                }
            )
        title = "요금제 - 클라우드커피" if request.path == "/pricing" else "클라우드커피"
        # Early calls queue in window.Sangdam.q before the async loader arrives.
        page = f"""<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{title}</title>
<script>window.Sangdam = {{q: [["boot", {json.dumps(identity, ensure_ascii=False)}],
  ["track", "viewed_plan", {{"plan": "pro"}}]]}};</script></head>
<body><h1>{title}</h1><a id="pricing" href="/pricing">요금제</a>
<script src="{widget}" data-key="{key}" data-lang="ko" async></script></body></html>"""
        return Reply(body=page, content_type="text/html; charset=utf-8")

    return HttpStub(handle)


async def test_verified_member_context_in_the_customer_panel(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    async with world.server.db.read() as session:
        workspace = await session.get(Workspace, world.workspace.id)
        assert workspace is not None
        secret = workspace.identity_secret
    identity = {
        "memberId": "cg-1001",
        "memberHash": member_hash(secret, "cg-1001"),
        "name": "김민지",
        "email": "minji@example.com",
        "profile": {"plan": "pro", "app_version": "3.2.1", "nickname": XSS},
    }
    base = world.server.base_url
    world.server.settings.outbound.allow_private = True  # the order server is on 127.0.0.1
    errors: list[str] = []
    try:
        async with _site(world, identity) as site:
            login = await world.login()
            saved = await login.client.put(
                f"{world.base}/integrations/external-data",
                json={"url": f"{site.url}/sangdam/card", "enabled": True},
                headers=login.headers(),
            )
            assert saved.status_code == 200, saved.text

            customer_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
            customer = await customer_context.new_page()
            customer.on("pageerror", lambda exc: errors.append(str(exc)))
            await customer.goto(f"{site.url}/")
            frame = customer.frame_locator("[data-sangdam] iframe")
            # The widget has its session (and the member's identity) before we move on.
            await expect(frame.locator("#title")).to_have_text(world.workspace.name)
            await customer.click("#pricing")  # a second page view
            await expect(frame.locator("#title")).to_have_text(world.workspace.name)
            await customer.locator("[data-sangdam] button.launcher").click()
            await frame.get_by_role("button", name="문의하기").click()
            await frame.locator("#input").fill("주문한 원두가 아직 안 왔어요")
            await frame.locator("#input").press("Enter")
            await expect(frame.locator(".message.mine:not(.pending)")).to_have_count(1)
            await customer.screenshot(path=str(artifacts / "customer-site-widget.png"))

            agent_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
            agent = await agent_context.new_page()
            agent.on("pageerror", lambda exc: errors.append(str(exc)))
            await agent.goto(f"{base}/login")
            await agent.fill("input[name=email]", world.emails[world.agent.id])
            await agent.fill("input[name=password]", PASSWORD)
            await agent.click("button[type=submit]")
            await agent.wait_for_url(f"{base}/inbox/{world.workspace.id}")
            await agent.locator("#conversation-list li", has_text="원두가 아직").click()

            panel = agent.locator("#customer-pane")
            await expect(panel.locator(".badge.verified")).to_contain_text("인증된 회원")
            await expect(panel.locator(".identity code")).to_have_text("cg-1001")
            await expect(panel.locator("#customer-profile")).to_contain_text("김민지")
            # memberHash proves who they are; the page's attributes stay marked as claims.
            plan = panel.locator(".attributes dd[data-key=plan]")
            await expect(plan).to_contain_text("pro")
            await expect(plan.locator(".mark.claimed")).to_have_text("미인증")
            await expect(panel.locator(".attributes dd[data-key=nickname]")).to_contain_text(XSS)
            views = panel.locator(".page-views li")
            await expect(views).to_have_count(2)
            await expect(views.first).to_contain_text("요금제 - 클라우드커피")
            await expect(panel.locator(".events li").first).to_contain_text("viewed_plan")
            card = panel.locator("#external-card")
            await expect(card).to_contain_text("최근 주문")
            await expect(card.locator(".orders li").first).to_contain_text("배송중")
            await expect(card.locator(".orders a").first).to_have_attribute(
                "href", "https://shop.example/orders/1001"
            )
            await expect(card.locator(".orders li").nth(1)).to_contain_text(XSS)
            assert await card.locator(".orders li").nth(1).locator("a").count() == 0
            # GitHub is not set up in this workspace: no panel offering it.
            await expect(panel.locator("#github-issues")).to_be_hidden()
            await agent.screenshot(path=str(artifacts / "inbox-customer-context-ko.png"))

            # Nothing injected ran and no markup came through, in the panel or the list.
            assert await agent.evaluate("window.__xss") is None
            assert await panel.locator("img").count() == 0
            await agent.goto(f"{base}/inbox/{world.workspace.id}/customers")
            await agent.fill("input[name=q]", "민지")
            await agent.locator("#customer-filters button[type=submit]").click()
            await agent.locator("#customer-rows li", has_text="김민지").click()
            await expect(agent.locator("#detail .badge.verified")).to_be_visible()
            await expect(agent.locator("#detail-conversations li")).to_have_count(1)
            await expect(agent.locator("#detail #external-card")).to_contain_text("콜드브루")
            assert await agent.evaluate("window.__xss") is None
            assert await agent.locator("#detail img").count() == 0
            await agent.screenshot(path=str(artifacts / "customers-page-ko.png"))
            # The member signs out on a shared computer: the widget forgets them.
            await expect(frame.locator("#conversations li")).to_have_count(1)
            await customer.evaluate("Sangdam.shutdown()")
            await expect(frame.locator("#conversations li")).to_have_count(0)
            await expect(frame.locator("#title")).to_have_text(world.workspace.name)
            await customer_context.close()
            await agent_context.close()
    finally:
        world.server.settings.outbound.allow_private = False
        integrations._card_cache.clear()
    assert errors == []


async def test_admin_sets_up_verification_external_data_and_github(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    base = world.server.base_url
    context, page, errors = await sign_in(browser, world, world.owner.id)
    settings = f"{base}/inbox/{world.workspace.id}/settings"
    await page.goto(f"{settings}/member-verification")

    await page.click("#identity-show")
    await expect(page.locator("#identity-secret")).to_have_text(world.workspace.identity_secret)
    page.on("dialog", lambda dialog: dialog.accept())
    await page.click("#identity-rotate")
    await expect(page.locator("#identity-secret")).not_to_have_text(world.workspace.identity_secret)

    await page.screenshot(
        path=str(artifacts / "settings-member-verification-ko.png"), full_page=True
    )

    # An internal address is refused with a message; nothing is saved.
    await page.goto(f"{settings}/external-data")
    await page.fill("#external-form input[name=url]", "https://169.254.169.254/latest")
    await page.click("#external-form button[type=submit]")
    # In the admin's language, like every server message.
    await expect(page.locator("#notice")).to_contain_text("내부 주소예요")
    # The company's own CA: something that is not a PEM certificate is refused, in Korean.
    world.server.settings.outbound.allow_private = True
    try:
        await page.fill("#external-form input[name=url]", "https://127.0.0.1/card")
        await page.fill("#external-form textarea[name=ca_bundle]", "우리 회사 인증서")
        await page.click("#external-form button[type=submit]")
        await expect(page.locator("#notice")).to_contain_text("PEM 형식의 CA 인증서")
    finally:
        world.server.settings.outbound.allow_private = False

    await page.goto(f"{settings}/github")
    await page.fill("#github-form input[name=repo]", "cloudgate/app")
    await page.fill("#github-form input[name=token]", "ghp_abcdefghijklmnop1234")
    # This sandbox has no DNS for api.github.com; skip the address check for the save.
    world.server.settings.outbound.allow_private = True
    try:
        await page.click("#github-form button[type=submit]")
        # The token is stored but only its end is shown again.
        await expect(page.locator("#github-token-hint")).to_contain_text("…1234")
    finally:
        world.server.settings.outbound.allow_private = False
    assert await page.locator("#github-form input[name=token]").input_value() == ""
    await page.screenshot(path=str(artifacts / "settings-github-ko.png"), full_page=True)
    await context.close()
    assert errors == []
