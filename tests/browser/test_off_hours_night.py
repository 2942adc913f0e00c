"""Seed 000's night, end to end: a customer writes at 22:00 KST on a Sunday, the bot cannot
answer, the team is emailed, the customer is told "내일 오전 9시부터" and that the answer
comes by email; on Monday the agent's reply arrives by email with the history below it,
the customer answers from their mail client, and an out-of-office changes nothing."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib
import pytest
from playwright.async_api import expect

from sangdam.routing import service as routing_service
from tests.email.test_threading import HOURS, stored_messages
from tests.fixtures.factories import PASSWORD, World, import_demo_faq
from tests.fixtures.smtp import INBOUND_DOMAIN, Mail, mail

__all__ = ["mail"]

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
SUNDAY_NIGHT = dt.datetime(2026, 12, 6, 22, 0, tzinfo=SEOUL)
MONDAY_MORNING = dt.datetime(2026, 12, 7, 9, 40, tzinfo=SEOUL)
QUESTION = "결제 관련해서 궁금한 게 있어요"  # the bot is not sure (it offers suggestions)


def _at(monkeypatch: pytest.MonkeyPatch, when: dt.datetime) -> None:
    """The server's clock for business hours (routing decides open or closed)."""
    monkeypatch.setattr(routing_service, "utcnow", lambda: when.astimezone(dt.UTC))


async def _widget(browser: Any, world: World, timezone: str) -> tuple[Any, Any, Any]:
    context = await browser.new_context(
        locale="ko-KR", timezone_id=timezone, viewport={"width": 1280, "height": 900}
    )
    await context.clock.set_fixed_time(SUNDAY_NIGHT)
    page = await context.new_page()
    await page.goto(f"{world.server.base_url}/demo?key={world.inbox.public_key}")
    await page.locator("[data-sangdam] button.launcher").click()
    return context, page, page.frame_locator("[data-sangdam] iframe")


async def test_the_night_message_reaches_the_team_and_the_answer_comes_by_email(
    browser: Any, world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the widget is the same on every backend; one run is enough")
    login = await import_demo_faq(world)
    teams = (await login.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    saved = await login.client.put(
        f"{world.base}/teams/{general['id']}/hours", json=HOURS, headers=login.headers()
    )
    assert saved.status_code == 200, saved.text
    _at(monkeypatch, SUNDAY_NIGHT)

    # A customer abroad (UTC) sees when the team is back in Seoul's time and in their own.
    abroad, _page, abroad_frame = await _widget(browser, world, "UTC")
    subtitle = abroad_frame.locator("#subtitle")
    await expect(subtitle).to_contain_text("내일 오전 9시")
    await expect(subtitle).to_contain_text("고객님 시간으로 내일 오전 12시")
    await abroad.close()

    context, page, frame = await _widget(browser, world, "Asia/Seoul")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await expect(frame.locator("#subtitle")).to_contain_text("내일 오전 9시")
    await expect(frame.locator("#subtitle")).not_to_contain_text("고객님 시간")
    await frame.get_by_role("button", name="문의하기").click()
    await frame.locator("#email").fill("night-owl@example.com")
    await frame.locator("#input").fill(QUESTION)
    await frame.locator("#input").press("Enter")
    said = frame.locator(".message.bot .bubble").last
    await expect(said).to_contain_text("내일 오전 9시부터")
    await expect(said).to_contain_text("이메일로")
    await expect(frame.locator(".panel")).not_to_contain_text("몇 분")
    await page.screenshot(path=str(artifacts / "off-hours-night-widget.png"))
    assert errors == []
    await context.close()

    # The team is emailed about it that night.
    await mail.run_jobs()
    (notice,) = [m for m in mail.sink.mails if "오프라인" in str(m["Subject"])]
    assert QUESTION in notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    listed = (await login.client.get(f"{world.base}/conversations?status=open")).json()
    (conversation,) = listed["conversations"]
    conversation_id = conversation["id"]
    assert conversation["origin"]["email"] == "night-owl@example.com"
    mail.sink.received.clear()

    # Monday: the agent answers; the email carries the conversation below the answer.
    _at(monkeypatch, MONDAY_MORNING)
    answer = "안녕하세요, 결제는 카드와 계좌이체 모두 가능합니다."
    sent = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": answer},
        headers=login.headers(),
    )
    assert sent.status_code == 201, sent.text
    await mail.run_jobs()
    (envelope, reply), *rest = mail.sink.received
    assert not rest and envelope.rcpt_tos == ["night-owl@example.com"]
    text = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith(answer)
    history = text.split("이전 대화:", 1)[1]
    assert f"> {QUESTION}" in history and "> 지금은 상담 시간이 아니에요" in history

    # The customer answers from their mail client: it threads into the conversation.
    reply_to = reply["Reply-To"].addresses[0].addr_spec
    assert reply_to.endswith("@" + INBOUND_DOMAIN)
    back = EmailMessage()
    back["From"] = "밤손님 <night-owl@example.com>"
    back["To"] = reply_to
    back["Subject"] = "Re: " + str(reply["Subject"]).removeprefix("Re: ")
    back["Message-ID"] = "<night-owl-1@example.com>"
    back["In-Reply-To"] = reply["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in text.splitlines())
    back.set_content(
        f"감사합니다. 카드로 할게요.\n\n2026년 12월 7일 (월) 오전 9:41, 상담 <{reply_to}>님이 작성:\n"
        f"{quoted}\n",
        charset="utf-8",
    )
    await aiosmtplib.send(back, hostname="127.0.0.1", port=mail.listener_port)
    stored = await stored_messages(world, conversation_id)
    assert stored[-1].body == "감사합니다. 카드로 할게요." and stored[-1].sender_type == "contact"

    # The agent resolves it; their own mailbox's out-of-office reaches the thread: nothing
    # reopens, nobody is notified, the customer's words are unchanged.
    resolved = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert resolved.status_code == 200, resolved.text
    await mail.run_jobs()
    mail.sink.received.clear()
    out_of_office = EmailMessage()
    out_of_office["From"] = f"상담원 <{world.emails[world.owner.id]}>"
    out_of_office["To"] = reply_to
    out_of_office["Subject"] = "자동 회신: " + str(reply["Subject"])
    out_of_office["Message-ID"] = "<ooo-1@company.example>"
    out_of_office["In-Reply-To"] = reply["Message-ID"]
    out_of_office["Auto-Submitted"] = "auto-replied"
    out_of_office["X-Autoreply"] = "yes"
    out_of_office.set_content("12월 11일까지 휴가입니다.", charset="utf-8")
    await aiosmtplib.send(out_of_office, hostname="127.0.0.1", port=mail.listener_port)
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["status"] == "resolved"
    after = await stored_messages(world, conversation_id)
    assert [m.body for m in after if m.sender_type == "contact"] == [
        m.body for m in stored if m.sender_type == "contact"
    ]
    assert after[-1].kind == "note" and after[-1].sender_type == "system"
    await mail.run_jobs()
    assert mail.sink.received == []

    # In the inbox the automatic reply is folded away under its label, and the bot path
    # says why the chat came to the team.
    context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    page = await context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = world.server.base_url
    await page.goto(f"{base}/login")
    await page.fill("input[name=email]", world.emails[world.owner.id])
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/inbox/{world.workspace.id}")
    await page.goto(f"{base}/inbox/{world.workspace.id}?c={conversation_id}")
    folded = page.locator("#messages .message.collapsed details")
    await expect(folded.locator("summary")).to_contain_text("자동 응답")
    await expect(folded.locator(".system-text")).to_be_hidden()
    await folded.locator("summary").click()
    await expect(folded.locator(".system-text")).to_contain_text("12월 11일까지 휴가입니다.")
    await expect(page.locator("body")).to_contain_text("운영 시간 외: 팀이 이어받음")
    await page.screenshot(path=str(artifacts / "off-hours-inbox-ko.png"))
    assert errors == []
    await context.close()
