"""A company starts on Monday, from an empty database: setup → invite → the invitee joins →
the widget goes on the company's own site → a chat flows → the owner deactivates the
invitee, whose open inbox is closed at once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from sangdam.config import Settings
from tests.fixtures.server import RunningServer, free_port, start_server

pytestmark = pytest.mark.browser

OWNER_PASSWORD = "blue hippo coffee lamp"
AGENT_PASSWORD = "violet harbour tram seventeen"


@pytest.fixture
async def empty(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'company.sqlite3'}", redis_url=None)
    running = await start_server(settings)
    yield running
    await running.stop()


@contextlib.contextmanager
def company_site(directory: Path, snippet: str) -> Iterator[str]:
    """The company's own website on another origin, with the widget's line pasted in."""
    (directory / "index.html").write_text(
        "<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>클라우드커피</title>"
        f"</head><body><h1>클라우드커피 원두 정기구독</h1>{snippet}</body></html>",
        encoding="utf-8",
    )
    port = free_port()
    handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/index.html"
    finally:
        httpd.shutdown()
        httpd.server_close()


async def test_a_company_sets_up_invites_chats_and_deactivates(
    browser: Any, empty: RunningServer, tmp_path: Path, artifacts: Path
) -> None:
    base = empty.base_url
    errors: list[str] = []

    async def page_in(context: Any) -> Any:
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    owner_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    owner = await page_in(owner_context)

    # 1. The first visitor is led to the setup page and creates the company.
    await owner.goto(f"{base}/")
    await owner.wait_for_url(f"{base}/setup")
    await owner.fill("input[name=name]", "클라우드커피")
    await owner.fill("input[name=website]", "www.cloudcoffee.kr")
    await owner.fill("input[name=owner_name]", "김민준")
    await owner.fill("input[name=email]", "minjun@cloudcoffee.kr")
    await owner.fill("input[name=password]", OWNER_PASSWORD)
    await owner.screenshot(path=str(artifacts / "setup-ko.png"), full_page=True)
    await owner.click("button[type=submit]")
    await owner.wait_for_url("**/welcome")
    workspace_id = int(owner.url.split("/inbox/")[1].split("/")[0])
    snippet = owner.locator("#snippet")
    await expect(snippet).to_contain_text("data-key=")
    snippet_text = await snippet.text_content()
    assert snippet_text is not None
    await owner.screenshot(path=str(artifacts / "welcome-ko.png"), full_page=True)

    # 2. The owner invites a teammate (no mail server: the page shows the link to pass on).
    await owner.goto(f"{base}/inbox/{workspace_id}/settings/members")
    await owner.fill("#invite-form input[name=email]", "seoyeon@cloudcoffee.kr")
    await owner.click("#invite-form button[type=submit]")
    link_box = owner.locator("#invite-link")
    await expect(owner.locator("#invite-result")).to_be_visible()
    link = await link_box.input_value()
    assert link.startswith(f"{base}/invite/sdi_")
    await expect(owner.locator("#invitation-rows tr")).to_have_count(1)
    await owner.screenshot(path=str(artifacts / "members-ko.png"), full_page=True)

    # 3. The invitee opens the link, sets a name and password, and lands in the inbox.
    agent_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    agent = await page_in(agent_context)
    await agent.goto(link)
    await expect(agent.locator("#invitation-summary")).to_contain_text("클라우드커피")
    await agent.fill("input[name=name]", "박서연")
    await agent.fill("input[name=password]", AGENT_PASSWORD)
    await agent.click("button[type=submit]")
    await agent.wait_for_url(f"{base}/inbox/{workspace_id}")
    await expect(agent.locator("#conn-state")).to_have_text("실시간")

    # 4. The widget goes on the company's own site; a customer writes.
    with company_site(tmp_path, snippet_text) as site:
        customer_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
        customer = await page_in(customer_context)
        await customer.goto(site)
        await customer.locator("[data-sangdam] button.launcher").click()
        frame = customer.frame_locator("[data-sangdam] iframe")
        await frame.get_by_role("button", name="문의하기").click()
        question = "원두 배송일을 바꾸고 싶어요"
        await frame.locator("#input").fill(question)
        await frame.locator("#input").press("Enter")
        await expect(frame.locator(".message.mine:not(.pending) .bubble")).to_have_text(question)

        # 5. The invitee answers from the inbox; the customer sees it live.
        item = agent.locator("#conversation-list li", has_text="원두 배송일")
        await expect(item).to_be_visible()
        await item.click()
        reply = "네, 마이페이지에서 바꾸실 수 있어요."
        await agent.locator("#composer-input").fill(reply)
        await agent.locator("#composer-input").press("Enter")
        await expect(frame.locator(".message.theirs .bubble").last).to_have_text(reply)
        await customer_context.close()

    # The checklist ticks off the widget and the teammate.
    await owner.goto(f"{base}/inbox/{workspace_id}/welcome")
    await expect(owner.locator("[data-step=widget_installed]")).to_have_class("card done")
    await expect(owner.locator("[data-step=teammates_invited]")).to_have_class("card done")

    # 6. The owner deactivates the invitee: their open inbox is closed at once and sent to
    #    the sign-in page, and signing in again leads nowhere.
    await owner.goto(f"{base}/inbox/{workspace_id}/settings/members")
    row = owner.locator("#member-rows tr", has_text="박서연")
    owner.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await row.get_by_role("button", name="비활성화 박서연").click()
    await expect(row).to_have_class("member-row inactive")
    await agent.wait_for_url(f"{base}/login", timeout=10_000)
    await agent.fill("input[name=email]", "seoyeon@cloudcoffee.kr")
    await agent.fill("input[name=password]", AGENT_PASSWORD)
    await agent.click("button[type=submit]")
    await expect(agent.locator("#no-workspace")).to_be_visible()
    await owner.screenshot(path=str(artifacts / "members-deactivated-ko.png"), full_page=True)
    assert errors == []
    await owner_context.close()
    await agent_context.close()
