"""A Telegram customer in the agent's inbox: their message arrives through the webhook and
shows in the inbox, the agent answers in the composer, and Telegram's API receives the
reply once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from sangdam.jobs.service import run_one
from tests.channels.conftest import (
    Messengers,
    deliver_telegram,
    messengers,
    run_jobs,
    telegram_channel,
    telegram_update,
)
from tests.fixtures.factories import PASSWORD, World

pytestmark = pytest.mark.browser
__all__ = ["messengers"]


async def test_a_telegram_chat_answered_from_the_inbox(
    browser: Any, world: World, messengers: Messengers, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the inbox is the same on every backend; one run is enough")
    login = await world.login()
    channel = await telegram_channel(login, world)
    update = telegram_update("텔레그램으로 문의드려요", name="지현")
    assert (await deliver_telegram(world, channel, update)).status_code == 200
    await run_jobs(world)

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
    await page.locator("#conversation-list li", has_text="텔레그램으로 문의드려요").click()
    await expect(page.locator("#thread-title")).to_have_text("지현")
    # The header says where the chat lives and where the reply goes.
    await expect(page.locator("#thread-channel")).to_have_text("Telegram · 답장은 해당 앱으로 전달돼요")

    # The customer's next message arrives live while the agent has the chat open.
    follow_up = telegram_update("주문번호는 1234예요", name="지현")
    assert (await deliver_telegram(world, channel, follow_up)).status_code == 200
    await run_jobs(world)
    await expect(page.locator("#messages .message.theirs .bubble").last).to_have_text(
        "주문번호는 1234예요"
    )

    await page.locator("#composer-input").fill("확인했어요. 내일 발송됩니다.")
    await page.locator("#composer-input").press("Enter")
    await expect(page.locator("#messages .message.mine:not(.pending) .bubble")).to_have_text(
        "확인했어요. 내일 발송됩니다."
    )
    await run_jobs(world)
    assert not await run_one(world.server.db)
    assert [(m["chat_id"], m["text"]) for m in messengers.telegram] == [
        ("777", "확인했어요. 내일 발송됩니다.")
    ]
    await page.screenshot(path=str(artifacts / "inbox-telegram-ko.png"))
    assert errors == []
    await context.close()
