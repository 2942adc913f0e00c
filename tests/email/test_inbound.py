"""Sangdam's SMTP listener: what it refuses, tenant isolation, and new conversations by email."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import func, select

from sangdam.config import EmailSettings, Settings
from sangdam.email.models import EmailMessage as StoredEmail
from sangdam.email.models import EmailThread
from sangdam.email.service import parse_inbound, strip_quoted
from sangdam.messages.models import Message
from tests.email.conftest import INBOUND_DOMAIN, MAX_INBOUND, Mail
from tests.email.test_threading import LUNCH_BREAK, offline_conversation
from tests.fixtures.factories import World
from tests.fixtures.server import free_port, start_server


async def _counts(world: World) -> tuple[int, int]:
    """(messages, stored emails) in the world's workspace."""
    async with world.server.db.read() as session:
        messages = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.workspace_id == world.workspace.id)
        )
        emails = await session.scalar(
            select(func.count())
            .select_from(StoredEmail)
            .where(StoredEmail.workspace_id == world.workspace.id)
        )
    return int(messages or 0), int(emails or 0)


async def _thread(world: World, conversation_id: int) -> EmailThread:
    async with world.server.db.read() as session:
        thread = await session.scalar(
            select(EmailThread).where(EmailThread.conversation_id == conversation_id)
        )
    assert thread is not None
    return thread


async def _mailed_conversation(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch, email: str
) -> tuple[int, EmailThread, EmailMessage]:
    """An offline conversation that got an emailed reply; returns its thread and that email."""
    login, _visitor, started = await offline_conversation(
        world, monkeypatch, LUNCH_BREAK, "문의 남깁니다", email
    )
    conversation_id = started["conversation"]["id"]
    sent = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "답장드립니다."},
        headers=login.headers(),
    )
    assert sent.status_code == 201
    await mail.run_jobs()
    reply = next(m for m in mail.sink.mails if str(m["To"]) == email)
    return conversation_id, await _thread(world, conversation_id), reply


def _email(
    to: str, body: str = "답장입니다", *, message_id: str = "<c1@customer.test>"
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "고객 <customer@customer.test>"
    mail["To"] = to
    mail["Subject"] = "Re: 문의"
    mail["Message-ID"] = message_id
    mail.set_content(body, charset="utf-8")
    return mail


async def _send(mail: Mail, message: EmailMessage | bytes, recipients: list[str]) -> None:
    await aiosmtplib.send(
        message,
        sender="customer@customer.test",
        recipients=recipients,
        hostname="127.0.0.1",
        port=mail.listener_port,
    )


async def test_oversized_and_malformed_mail_is_refused_and_nothing_written(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    _conversation, thread, _reply = await _mailed_conversation(
        world, mail, monkeypatch, "big@example.com"
    )
    address = f"reply+{thread.reply_token}@{INBOUND_DOMAIN}"
    before = await _counts(world)

    oversized = _email(address, "가" * (MAX_INBOUND // 2), message_id="<big@customer.test>")
    # Refused at MAIL (the client declares SIZE) or at DATA: 552 either way.
    with pytest.raises(aiosmtplib.SMTPResponseException) as too_big:
        await _send(mail, oversized, [address])
    assert too_big.value.code == 552
    # A client that never announces a size (plain HELO) is cut off during DATA.
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=mail.listener_port, timeout=10)
    await smtp.connect()
    await smtp.helo()
    await smtp.mail("customer@customer.test", options=[])
    await smtp.rcpt(address, options=[])
    with pytest.raises(aiosmtplib.SMTPDataError) as cut_off:
        await smtp.data(oversized.as_bytes())
    assert cut_off.value.code == 552
    await smtp.quit()

    no_sender = (
        f"To: {address}\r\nSubject: hi\r\nMessage-ID: <x1@customer.test>\r\n\r\nhello\r\n"
    ).encode()
    with pytest.raises(aiosmtplib.SMTPDataError) as malformed:
        await _send(mail, no_sender, [address])
    assert malformed.value.code == 550

    only_quoted = _email(
        address, "> 예전 내용만 있어요\n> 새 내용 없음", message_id="<x2@customer.test>"
    )
    with pytest.raises(aiosmtplib.SMTPDataError) as empty:
        await _send(mail, only_quoted, [address])
    assert empty.value.code == 550

    binary = _email(address, message_id="<x3@customer.test>")
    binary.clear_content()
    binary.set_content(b"\x89PNG\r\n", maintype="image", subtype="png")
    with pytest.raises(aiosmtplib.SMTPDataError) as no_text:
        await _send(mail, binary, [address])
    assert no_text.value.code == 550

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await _send(mail, _email("someone@elsewhere.example"), ["someone@elsewhere.example"])
    assert await _counts(world) == before


async def test_forged_reply_token_reaches_no_other_workspace(
    world: World, other_world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, my_thread, _ = await _mailed_conversation(world, mail, monkeypatch, "a@example.com")
    theirs, their_thread, their_reply = await _mailed_conversation(
        other_world, mail, monkeypatch, "b@example.com"
    )
    before = await _counts(other_world)

    # A guessed token: refused at RCPT, nothing is guessed on its behalf.
    forged = f"reply+{'0' * 32}@{INBOUND_DOMAIN}"
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await _send(mail, _email(forged), [forged])
    assert all(r.code == 550 for r in refused.value.recipients)
    # Near miss of the other workspace's real token: no prefix matching either.
    near = f"reply+{their_thread.reply_token[:-1]}x@{INBOUND_DOMAIN}"
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await _send(mail, _email(near), [near])

    # My own token with headers claiming their thread: lands in mine, never theirs.
    mail_to_mine = _email(f"reply+{my_thread.reply_token}@{INBOUND_DOMAIN}", "제 스레드입니다")
    mail_to_mine["In-Reply-To"] = their_reply["Message-ID"]
    mail_to_mine["References"] = their_reply["Message-ID"]
    await _send(mail, mail_to_mine, [f"reply+{my_thread.reply_token}@{INBOUND_DOMAIN}"])
    async with world.server.db.read() as session:
        last = await session.scalar(
            select(Message).where(Message.conversation_id == mine).order_by(Message.seq.desc())
        )
    assert last is not None and last.body == "제 스레드입니다"

    # A Message-ID shaped like Sangdam's, pointing at their conversation with a made-up MAC,
    # sent to a bare address at the inbound domain: no stored email matches, so it's refused.
    fake_id = f"<sangdam.{theirs}.1.{'f' * 24}@{INBOUND_DOMAIN}>"
    bare = f"support@{INBOUND_DOMAIN}"
    forged_thread = _email(bare, "끼어들기", message_id="<x9@customer.test>")
    forged_thread["In-Reply-To"] = fake_id
    with pytest.raises(aiosmtplib.SMTPDataError) as no_match:
        await _send(mail, forged_thread, [bare])
    assert no_match.value.code == 550
    assert await _counts(other_world) == before


async def test_mail_to_the_email_inbox_opens_a_conversation_once(
    world: World, other_world: World, mail: Mail
) -> None:
    login = await world.login()
    address = f"help-{world.workspace.id}@{INBOUND_DOMAIN}"
    saved = await login.client.put(
        f"{world.base}/email-inbox", json={"address": address}, headers=login.headers()
    )
    assert saved.status_code == 200, saved.text
    # Another workspace can't take the same address (it would read these customers' mail).
    other = await other_world.login()
    taken = await other.client.put(
        f"{other_world.base}/email-inbox",
        json={"address": address.upper()},
        headers=other.headers(),
    )
    assert taken.status_code == 409
    agent = await world.login(world.agent)
    assert (
        await agent.client.put(
            f"{world.base}/email-inbox",
            json={"address": "x@" + INBOUND_DOMAIN},
            headers=agent.headers(),
        )
    ).status_code == 403

    first = _email(
        address, "새 문의입니다.\n\n-- \n김고객 드림", message_id="<new-1@customer.test>"
    )
    await _send(mail, first, [address])
    await _send(mail, first, [address])  # delivered twice
    listing = (await login.client.get(f"{world.base}/conversations?status=open")).json()
    by_email = [c for c in listing["conversations"] if c["origin"].get("channel") == "email"]
    assert len(by_email) == 1
    conversation = by_email[0]
    assert conversation["origin"]["email"] == "customer@customer.test"
    messages = (
        await login.client.get(f"{world.base}/conversations/{conversation['id']}/messages")
    ).json()["messages"]
    assert [m["body"] for m in messages] == ["새 문의입니다."]

    # The agent's reply goes back by email, answering the customer's first email.
    sent = await login.client.post(
        f"{world.base}/conversations/{conversation['id']}/messages",
        json={"body": "문의 감사합니다."},
        headers=login.headers(),
    )
    assert sent.status_code == 201
    await mail.run_jobs()
    reply = mail.sink.mails[-1]
    assert str(reply["To"]) == "customer@customer.test"
    assert str(reply["In-Reply-To"]) == "<new-1@customer.test>"
    assert str(reply["Subject"]) == "Re: 문의"

    # Answering to the inbox address (not the reply+ one) still threads by In-Reply-To.
    follow = _email(address, "추가 질문이요", message_id="<new-2@customer.test>")
    follow["In-Reply-To"] = reply["Message-ID"]
    await _send(mail, follow, [address])
    messages = (
        await login.client.get(f"{world.base}/conversations/{conversation['id']}/messages")
    ).json()["messages"]
    assert messages[-1]["body"] == "추가 질문이요"


def test_quoted_text_is_stripped() -> None:
    assert (
        strip_quoted("Thanks!\n\nOn Tue, Dec 1, 2026 at 3:00 PM Support <s@x.test> wrote:\n> old")
        == "Thanks!"
    )
    assert (
        strip_quoted("Thanks!\nOn Tue, Dec 1, 2026 at 3:00 PM Support\n<s@x.test> wrote:\n> old")
        == "Thanks!"
    )
    assert (
        strip_quoted(
            "감사합니다\n\n2026년 12월 1일 (화) 오후 3:00, 상담사 <s@x.test>님이 작성:\n> 이전"
        )
        == "감사합니다"
    )
    assert strip_quoted("네\n\n----- 원본 메시지 -----\n보낸 사람: 상담") == "네"
    assert strip_quoted("ok\n\nFrom: Support <s@x.test>\nSent: Tuesday\nSubject: Re") == "ok"
    assert strip_quoted("첫 줄\n> 인용\n둘째 줄") == "첫 줄\n둘째 줄"
    assert strip_quoted("본문\n-- \n서명") == "본문"
    # A body that merely mentions "wrote" or "From:" keeps it.
    assert strip_quoted("I wrote: the order is late.\nFrom: my phone") == (
        "I wrote: the order is late.\nFrom: my phone"
    )


async def test_app_starts_the_listener_only_when_configured(tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'mail.sqlite3'}", redis_url=None)
    settings.email = EmailSettings(listen=True, listen_port=port, inbound_domain=INBOUND_DOMAIN)
    settings.demo.seed = False
    running = await start_server(settings)
    try:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=5)
        await smtp.connect()
        assert INBOUND_DOMAIN in (await smtp.ehlo()).message
        await smtp.quit()
    finally:
        await running.stop()
    assert Settings().email.listen is False  # off by default


def test_html_only_mail_keeps_the_new_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>네, 좋아요!</p>"
        "<div>내일 뵐게요</div><blockquote>지난 메일 내용</blockquote></body></html>"
    )
    raw = (
        "From: =?utf-8?b?6rOg6rCd?= <c@customer.test>\r\nTo: x@y.test\r\nSubject: hi\r\n"
        "Message-ID: <h1@customer.test>\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + html
    ).encode()
    parsed = parse_inbound(raw)
    assert parsed.text == "네, 좋아요!\n\n내일 뵐게요"
    assert parsed.sender == "c@customer.test" and parsed.sender_name == "고객"
    assert parsed.rfc_message_id == "h1@customer.test"


async def test_mail_from_one_sender_is_rate_limited_with_a_temporary_refusal(
    world: World, mail: Mail
) -> None:
    """A loop between two autoresponders: past the sender's limit the listener answers 451,
    so the sending server keeps the email and tries later; nothing is stored meanwhile."""
    login = await world.login()
    address = f"limits-{world.workspace.id}@{INBOUND_DOMAIN}"
    saved = await login.client.put(
        f"{world.base}/email-inbox", json={"address": address}, headers=login.headers()
    )
    assert saved.status_code == 200, saved.text
    limits = world.server.settings.rate_limits
    previous = limits.emails_per_sender_per_hour
    limits.emails_per_sender_per_hour = 2
    sender = f"autoreply-{world.workspace.id}@customer.test"
    try:
        for n in range(3):
            message = _email(address, f"자동 응답 {n}", message_id=f"<loop-{n}-{address}>")
            message.replace_header("From", sender)
            if n < 2:
                await aiosmtplib.send(
                    message,
                    sender=sender,
                    recipients=[address],
                    hostname="127.0.0.1",
                    port=mail.listener_port,
                )
            else:
                with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
                    await aiosmtplib.send(
                        message,
                        sender=sender,
                        recipients=[address],
                        hostname="127.0.0.1",
                        port=mail.listener_port,
                    )
                assert refused.value.code == 451
                assert "Too many emails" in refused.value.message
    finally:
        limits.emails_per_sender_per_hour = previous
    listing = (await login.client.get(f"{world.base}/conversations?status=open")).json()
    bodies = [c["last_message_preview"] for c in listing["conversations"]]
    assert "자동 응답 2" not in bodies
