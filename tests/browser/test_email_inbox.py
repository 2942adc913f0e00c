"""The agent's inbox shows where replies go, and a customer's email arrives live, as text."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from playwright.async_api import expect

from tests.fixtures.factories import PASSWORD, World, new_client_id
from tests.fixtures.smtp import INBOUND_DOMAIN, Mail, mail

pytestmark = pytest.mark.browser
__all__ = ["mail"]
NEVER_OPEN = {"timezone": "Asia/Seoul", "weekly": {}, "holidays": "KR", "closed_dates": []}


async def test_offline_conversation_by_email_in_the_inbox(
    browser: Any, world: World, mail: Mail, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    login = await world.login()
    general = next(
        t for t in (await login.client.get(f"{world.base}/teams")).json() if t["everyone"]
    )
    await login.client.put(
        f"{world.base}/teams/{general['id']}/hours", json=NEVER_OPEN, headers=login.headers()
    )
    visitor = await world.visitor()
    started = await visitor.client.post(
        "/api/widget/v1/conversations",
        json={
            "body": "주말에 남기는 문의",
            "client_id": new_client_id(),
            "email": "buyer@example.com",
        },
    )
    assert started.status_code == 201
    conversation_id = started.json()["conversation"]["id"]

    context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = world.server.base_url
    await page.goto(f"{base}/login")
    await page.fill("input[name=email]", world.emails[world.owner.id])
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/inbox/{world.workspace.id}")
    await page.locator("#conversation-list li", has_text="주말에 남기는 문의").click()
    await expect(page.locator("#thread-channel")).to_have_text(
        "오프라인 메시지 · 답장이 이메일로도 갑니다: buyer@example.com"
    )
    await page.locator("#composer-input").fill("월요일에 연락드릴게요.")
    await page.locator("#composer-input").press("Enter")
    await expect(page.locator("#messages .message.mine:not(.pending) .bubble")).to_have_text(
        "월요일에 연락드릴게요."
    )
    await mail.run_jobs()
    reply = next(m for m in mail.sink.mails if str(m["To"]) == "buyer@example.com")

    # The customer answers; markup in their email is shown as text, never run.
    answer = EmailMessage()
    answer["From"] = "Buyer <buyer@example.com>"
    answer["To"] = reply["Reply-To"]
    answer["Subject"] = '<img src=x onerror="window.__xss=1">'
    answer["Message-ID"] = f"<browser-{conversation_id}@example.com>"
    answer["In-Reply-To"] = reply["Message-ID"]
    answer.set_content('네, 기다릴게요 <img src=x onerror="window.__xss=1">', charset="utf-8")
    await aiosmtplib.send(answer, hostname="127.0.0.1", port=mail.listener_port)
    last = page.locator("#messages .message.theirs").last
    await expect(last.locator(".bubble")).to_have_text(
        '네, 기다릴게요 <img src=x onerror="window.__xss=1">'
    )
    await expect(last.locator(".meta")).to_contain_text("이메일")
    assert await page.evaluate("window.__xss") is None
    assert str(reply["Reply-To"]).endswith(f"@{INBOUND_DOMAIN}>")
    await page.screenshot(path=str(artifacts / "inbox-email-ko.png"))
    assert errors == []
    await context.close()
