"""Email that reads like a conversation: automatic replies change nothing, replies carry the
history, every email has its own Message-ID, and agents hear of attachments."""

from __future__ import annotations

from email.message import EmailMessage
from zoneinfo import ZoneInfo

import aiosmtplib
import pytest

from sangdam.email.service import automatic_reply, parse_inbound
from tests.email.conftest import INBOUND_DOMAIN, Mail
from tests.email.test_inbound import _mailed_conversation, _thread
from tests.email.test_threading import LUNCH_BREAK, offline_conversation, stored_messages
from tests.fixtures.factories import World


def _from_customer(to: str, body: str, message_id: str, **headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "고객 <customer@customer.test>"
    mail["To"] = to
    mail["Subject"] = headers.pop("Subject", "Re: 문의")
    mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body, charset="utf-8")
    return mail


async def _send(mail: Mail, message: EmailMessage, to: str) -> None:
    await aiosmtplib.send(
        message,
        sender="customer@customer.test",
        recipients=[to],
        hostname="127.0.0.1",
        port=mail.listener_port,
    )


def _headers(**headers: str) -> str:
    mail = _from_customer("x@example.com", "본문", "<h@customer.test>", **headers)
    return automatic_reply(mail)


def test_automatic_replies_are_recognised_by_what_mail_systems_send() -> None:
    assert _headers(Auto_Submitted="auto-replied")  # RFC 3834
    assert _headers(Auto_Submitted="auto-generated; owner-email=x@example.com")
    assert _headers(X_Autoreply="yes")
    assert _headers(X_Autorespond="vacation")
    assert _headers(Precedence="auto_reply")
    assert _headers(Precedence="bulk")
    assert _headers(X_MS_Exchange_Inbox_Rules_Loop="agent@company.test")
    assert _headers(Subject="Automatic reply: 문의")
    assert _headers(Subject="Out of Office: Re: 문의")
    assert _headers(Subject="[부재중] 휴가 중입니다")
    assert _headers(Subject="자동 회신: Re: 문의")
    # A person's email, even one saying "Auto-Submitted: no" or talking about vacations.
    assert not _headers(Auto_Submitted="no")
    assert not _headers(Subject="Re: 휴가 중 환불 문의")
    assert not _headers(Subject="부재중 전화 관련 문의")
    assert not _headers(Subject="Vacation rental question")
    assert not _headers(Subject="Auto insurance quote")
    assert _headers(Subject="Undeliverable: Re: 문의")
    assert _headers(Subject="(자동응답) 문의 감사합니다")
    assert not _headers()


async def test_out_of_office_neither_reopens_nor_notifies_and_a_person_still_does(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation_id, thread, reply = await _mailed_conversation(
        world, mail, monkeypatch, "customer@customer.test"
    )
    login = await world.login()
    resolved = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert resolved.status_code == 200, resolved.text
    mail.sink.received.clear()
    before = await stored_messages(world, conversation_id)
    preview = resolved.json()["last_message_preview"]
    address = f"reply+{thread.reply_token}@{INBOUND_DOMAIN}"
    automatic = [
        {"Auto_Submitted": "auto-replied", "Subject": "Re: 문의"},
        {"X_Autoreply": "yes"},
        {"Precedence": "auto_reply"},
        {"Subject": "Automatic reply: Re: 문의"},
        {"Subject": "[부재중] 12월 31일까지 휴가입니다"},
    ]
    for index, headers in enumerate(automatic):
        message = _from_customer(
            address,
            "휴가 중입니다. 1월 2일에 답장드리겠습니다.",
            f"<ooo-{index}@customer.test>",
            In_Reply_To=str(reply["Message-ID"]),
            **headers,
        )
        await _send(mail, message, address)
    await _send(mail, message, address)  # the same one delivered twice

    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["status"] == "resolved"
    after = await stored_messages(world, conversation_id)
    added = after[len(before) :]
    # Kept as collapsed notes by Sangdam itself, one per email, never as the customer's words.
    assert len(added) == len(automatic)
    assert all(m.sender_type == "system" and m.kind == "note" for m in added)
    assert all(m.content.get("collapsed") for m in added)
    assert detail["last_message_preview"] == preview
    await mail.run_jobs()
    assert mail.sink.received == []  # no new notice to the team

    # The customer's own answer still reopens the conversation.
    person = _from_customer(
        address,
        "아직 환불이 안 됐어요",
        "<person-1@customer.test>",
        In_Reply_To=str(reply["Message-ID"]),
    )
    await _send(mail, person, address)
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["status"] == "open"


async def test_a_reply_quotes_the_conversation_so_far_newest_first(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    login, _visitor, started = await offline_conversation(
        world, monkeypatch, LUNCH_BREAK, "환불 문의드립니다.\n주문번호 1234", "history@example.com"
    )
    conversation_id = started["conversation"]["id"]
    await mail.run_jobs()
    for body in ("확인해 보겠습니다.", "내부 메모: VIP"):
        sent = await login.client.post(
            f"{world.base}/conversations/{conversation_id}/messages",
            json={"body": body, "private": body.startswith("내부")},
            headers=login.headers(),
        )
        assert sent.status_code == 201
    thread = await _thread(world, conversation_id)
    await _send(
        mail,
        _from_customer(
            f"reply+{thread.reply_token}@{INBOUND_DOMAIN}", "언제쯤 될까요?", "<q-1@customer.test>"
        ),
        f"reply+{thread.reply_token}@{INBOUND_DOMAIN}",
    )
    await mail.run_jobs()
    mail.sink.received.clear()
    sent = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "오늘 처리됩니다."},
        headers=login.headers(),
    )
    assert sent.status_code == 201
    await mail.run_jobs()
    (last,) = [m for m in mail.sink.mails if str(m["To"]) == "history@example.com"]
    text = last.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("오늘 처리됩니다.")
    history = text.split("이전 대화:", 1)[1]
    # Newest first, quoted, with who and when (Seoul time); notes never leave Sangdam.
    newest, middle, oldest = (history.index(s) for s in ("> 언제쯤", "> 확인해", "> 환불 문의"))
    assert newest < middle < oldest
    assert "> 주문번호 1234" in history
    first = (await stored_messages(world, conversation_id))[0]
    seoul = first.created_at.astimezone(ZoneInfo("Asia/Seoul"))
    assert f"history@example.com · {seoul:%Y-%m-%d %H:%M}" in history
    assert "VIP" not in text
    assert history.count("> 오늘 처리됩니다.") == 0  # the new message is not quoted again

    # The customer's mail client quotes all of it; only their new words come back.
    quoted = "\n".join(f"> {line}" for line in text.splitlines())
    back = _from_customer(
        f"reply+{thread.reply_token}@{INBOUND_DOMAIN}",
        f"감사합니다\n\n2026년 11월 24일 (화) 오전 9:00, 상담 <x@y>님이 작성:\n{quoted}",
        "<q-2@customer.test>",
    )
    await _send(mail, back, f"reply+{thread.reply_token}@{INBOUND_DOMAIN}")
    assert (await stored_messages(world, conversation_id))[-1].body == "감사합니다"


async def test_every_team_notice_has_its_own_message_id(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    login, _visitor, started = await offline_conversation(
        world, monkeypatch, LUNCH_BREAK, "결제 오류", "notice@example.com"
    )
    conversation_id = started["conversation"]["id"]
    teams = (await login.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    other = await login.client.post(
        f"{world.base}/teams",
        json={"name": "결제팀", "member_ids": [world.owner.id]},
        headers=login.headers(),
    )
    assert other.status_code == 201, other.text
    # To another team and back: the General team hears of the same conversation twice.
    for team_id in (other.json()["id"], general["id"]):
        moved = await login.client.post(
            f"{world.base}/conversations/{conversation_id}/transfer",
            json={"team_id": team_id},
            headers=login.headers(),
        )
        assert moved.status_code == 200, moved.text
    await mail.run_jobs()
    notices = [m for m in mail.sink.mails if "오프라인" in str(m["Subject"])]
    assert len(notices) == 3
    ids = [str(m["Message-ID"]) for m in notices]
    assert len(set(ids)) == 3, ids


def test_inbound_attachments_are_counted() -> None:
    message = _from_customer("x@example.com", "사진 첨부합니다", "<a@customer.test>")
    message.add_attachment(b"\x89PNG...", maintype="image", subtype="png", filename="a.png")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="b.pdf")
    parsed = parse_inbound(message.as_bytes())
    assert parsed.attachments == 2 and parsed.text == "사진 첨부합니다"


async def test_the_agent_is_told_how_many_attachments_an_email_had(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation_id, thread, _reply = await _mailed_conversation(
        world, mail, monkeypatch, "customer@customer.test"
    )
    address = f"reply+{thread.reply_token}@{INBOUND_DOMAIN}"
    message = _from_customer(address, "영수증 보내드립니다", "<att-1@customer.test>")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="r.pdf")
    message.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="r.png")
    await _send(mail, message, address)
    said, note = (await stored_messages(world, conversation_id))[-2:]
    assert said.body == "영수증 보내드립니다" and said.content["attachments"] == 2
    assert note.kind == "note" and note.sender_type == "system"
    assert "2" in note.body and "첨부" in note.body
