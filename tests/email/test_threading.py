"""Offline intake → agent's reply by email → the customer's answer threads back in."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib
import pytest
from sqlalchemy import func, select

from sangdam.email.models import EmailMessage as StoredEmail
from sangdam.messages.models import Message
from sangdam.widget import service as widget_service
from tests.email.conftest import FROM_ADDRESS, INBOUND_DOMAIN, Mail
from tests.fixtures.factories import Socket, World, agent_socket, new_client_id

SEOUL = ZoneInfo("Asia/Seoul")
WEEKDAY = [["09:00", "12:00"], ["13:00", "18:00"]]
HOURS = {
    "timezone": "Asia/Seoul",
    "weekly": {d: WEEKDAY for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "KR",
    "closed_dates": [],
}
# A Monday in the lunch break, and Chuseok (a Friday, a Korean public holiday) mid-morning.
LUNCH_BREAK = dt.datetime(2026, 11, 23, 12, 30, tzinfo=SEOUL)
CHUSEOK = dt.datetime(2026, 9, 25, 10, 0, tzinfo=SEOUL)
OURS = re.compile(r"<sangdam\.(\d+)\.(\d+)\.[0-9a-f]{24}@" + re.escape(INBOUND_DOMAIN) + ">")


async def offline_conversation(
    world: World, monkeypatch: pytest.MonkeyPatch, when: dt.datetime, body: str, email: str
) -> tuple[Any, Any, dict[str, Any]]:
    """Business hours set, the clock at ``when``: the visitor leaves an offline message."""
    login = await world.login()
    teams = (await login.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    saved = await login.client.put(
        f"{world.base}/teams/{general['id']}/hours", json=HOURS, headers=login.headers()
    )
    assert saved.status_code == 200, saved.text
    # The widget's clock (the server runs in this process): it is ``when`` in Seoul.
    monkeypatch.setattr(widget_service, "utcnow", lambda: when.astimezone(dt.UTC))
    visitor = await world.visitor()
    session = (await visitor.client.post("/api/widget/v1/session", json={})).json()
    assert session["config"]["hours"]["open"] is False
    started = await visitor.client.post(
        "/api/widget/v1/conversations",
        json={"body": body, "client_id": new_client_id(), "email": email},
    )
    assert started.status_code == 201, started.text
    monkeypatch.undo()
    return login, visitor, started.json()


async def stored_messages(world: World, conversation_id: int) -> list[Message]:
    async with world.server.db.read() as session:
        stmt = (
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        )
        return list((await session.execute(stmt)).scalars())


async def contact_message(socket: Socket) -> dict[str, Any]:
    """The next customer message the agent's inbox hears of (earlier frames are skipped)."""
    while True:
        frame = await socket.recv()
        if (
            frame["type"] == "message.created"
            and frame["data"]["message"]["sender_type"] == "contact"
        ):
            return frame


def customer_reply(to: str, answering: EmailMessage, body: str, message_id: str) -> EmailMessage:
    reply = EmailMessage()
    reply["From"] = "김고객 <customer@example.com>"
    reply["To"] = to
    reply["Subject"] = "Re: " + str(answering["Subject"]).removeprefix("Re: ")
    reply["Message-ID"] = message_id
    reply["In-Reply-To"] = answering["Message-ID"]
    reply["References"] = f"{answering['References']} {answering['Message-ID']}"
    reply.set_content(body, charset="utf-8")
    return reply


async def test_lunch_break_offline_message_reply_by_email_and_back(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    login, visitor, started = await offline_conversation(
        world, monkeypatch, LUNCH_BREAK, "환불 문의드립니다. 주문번호 1234", "Customer@Example.com"
    )
    conversation_id = started["conversation"]["id"]
    first_message_id = started["message"]["id"]
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["origin"]["offline"] is True
    assert detail["origin"]["email"] == "customer@example.com"

    # The admins hear of the offline message by email, with a link to it.
    assert await mail.run_jobs() >= 1
    (notice,) = mail.sink.mails
    assert world.emails[world.owner.id] in str(notice["To"])
    assert world.emails[world.agent.id] not in str(notice["To"])  # not an admin
    assert "새 오프라인 메시지" in str(notice["Subject"])
    notice_text = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/inbox/{world.workspace.id}?c={conversation_id}" in notice_text
    assert "환불 문의드립니다" in notice_text
    mail.sink.received.clear()

    # The Korean-speaking agent answers; an internal note is never mailed.
    agent = await world.login(world.agent)
    inbox_socket = await agent_socket(world, agent)
    await inbox_socket.until_ready()
    answer = "안녕하세요, 상담사입니다. 환불은 3일 안에 처리됩니다."
    sent = await agent.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": answer, "client_id": new_client_id()},
        headers=agent.headers(),
    )
    assert sent.status_code == 201, sent.text
    note = await agent.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "내부 메모: 고객 등급 확인", "private": True},
        headers=agent.headers(),
    )
    assert note.status_code == 201
    await mail.run_jobs()
    assert not await mail.run_jobs()  # delivered once; nothing left to retry
    (envelope, first), *rest = mail.sink.received
    assert not rest
    assert envelope.rcpt_tos == ["customer@example.com"]
    assert envelope.mail_from == FROM_ADDRESS

    # Threading headers: ours, stable, answering the offline message.
    match = OURS.fullmatch(str(first["Message-ID"]))
    assert match and match.groups() == (str(conversation_id), str(sent.json()["id"]))
    root = OURS.fullmatch(str(first["In-Reply-To"]))
    assert root and root.groups() == (str(conversation_id), str(first_message_id))
    assert str(first["References"]) == str(first["In-Reply-To"])
    reply_to = first["Reply-To"].addresses[0]
    assert re.fullmatch(r"reply\+[0-9a-f]{32}", reply_to.username)
    assert reply_to.domain == INBOUND_DOMAIN
    sender = first["From"].addresses[0]
    assert sender.addr_spec == FROM_ADDRESS
    assert sender.display_name == f"{world.agent.display_name} · {world.workspace.name}"
    assert str(first["Subject"]) == "Re: 환불 문의드립니다. 주문번호 1234"
    # Korean travels encoded: RFC 2047 headers, a UTF-8 body.
    raw = envelope.original_content or b""
    assert b"=?utf-8?" in raw and "환불".encode() not in raw.split(b"\r\n\r\n", 1)[0]
    body = first.get_body(("plain",))
    assert body is not None and body.get_content_charset() == "utf-8"
    assert answer in body.get_content() and "내부 메모" not in body.get_content()

    # The customer answers from their mail client; it lands in the same conversation, live.
    quoted = "\n".join(f"> {line}" for line in body.get_content().splitlines())
    answer_back = customer_reply(
        reply_to.addr_spec,
        first,
        "감사합니다! 확인했어요.\n\n"
        f"2026년 11월 23일 (월) 오후 12:40, {world.agent.display_name} <{reply_to.addr_spec}>님이 작성:\n"
        f"{quoted}\n",
        "<customer-1@mail.example.com>",
    )
    await aiosmtplib.send(answer_back, hostname="127.0.0.1", port=mail.listener_port)
    frame = await contact_message(inbox_socket)
    assert frame["data"]["message"]["conversation_id"] == conversation_id
    assert frame["data"]["message"]["body"] == "감사합니다! 확인했어요."
    assert frame["data"]["message"]["sender_type"] == "contact"
    stored = await stored_messages(world, conversation_id)
    assert stored[-1].body == "감사합니다! 확인했어요."
    assert stored[-1].content["channel"] == "email"

    # The same email delivered again (a retrying MTA) creates nothing new.
    await aiosmtplib.send(answer_back, hostname="127.0.0.1", port=mail.listener_port)
    assert len(await stored_messages(world, conversation_id)) == len(stored)
    async with world.server.db.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(StoredEmail)
            .where(StoredEmail.rfc_message_id == "customer-1@mail.example.com")
        )
    assert count == 1
    conversation = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert conversation["status"] == "open" and conversation["waiting_since"] is not None

    # The next reply answers the customer's email and carries the whole thread.
    again = await agent.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "환불이 완료되었습니다.", "client_id": new_client_id()},
        headers=agent.headers(),
    )
    assert again.status_code == 201
    await mail.run_jobs()
    second = mail.sink.mails[-1]
    assert str(second["In-Reply-To"]) == "<customer-1@mail.example.com>"
    references = str(second["References"]).split()
    assert references == [
        str(first["In-Reply-To"]),
        str(first["Message-ID"]),
        "<customer-1@mail.example.com>",
    ]
    assert second["Reply-To"].addresses[0].addr_spec == reply_to.addr_spec

    # Back in the widget, the customer sees the replies as ordinary messages.
    history = (
        await visitor.client.get(f"/api/widget/v1/conversations/{conversation_id}/messages")
    ).json()
    bodies = [m["body"] for m in history["messages"]]
    assert answer in bodies and "감사합니다! 확인했어요." in bodies
    assert "내부 메모: 고객 등급 확인" not in bodies
    await inbox_socket.close()


async def test_public_holiday_goes_to_offline_intake_and_reply_is_mailed(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    login, _visitor, started = await offline_conversation(
        world, monkeypatch, CHUSEOK, "추석 연휴에 남기는 문의", "holiday@example.com"
    )
    conversation_id = started["conversation"]["id"]
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["origin"]["offline"] is True
    await mail.run_jobs()
    mail.sink.received.clear()
    sent = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "연휴 끝나고 바로 연락드릴게요."},
        headers=login.headers(),
    )
    assert sent.status_code == 201
    await mail.run_jobs()
    (envelope, reply), *rest = mail.sink.received
    assert not rest and envelope.rcpt_tos == ["holiday@example.com"]
    assert OURS.fullmatch(str(reply["Message-ID"]))
    assert "연휴 끝나고" in reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_live_chat_replies_are_not_mailed(world: World, mail: Mail) -> None:
    login = await world.login()
    visitor = await world.visitor()
    started = await visitor.start("영업시간 중 채팅")
    conversation_id = started["conversation"]["id"]
    sent = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "네, 말씀하세요."},
        headers=login.headers(),
    )
    assert sent.status_code == 201
    await mail.run_jobs()
    assert mail.sink.received == []


async def test_an_address_that_would_add_recipients_is_never_mailed(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    login, _visitor, started = await offline_conversation(
        world, monkeypatch, LUNCH_BREAK, "수상한 주소", "me@example.com>, victim@evil.test"
    )
    await mail.run_jobs()
    mail.sink.received.clear()
    sent = await login.client.post(
        f"{world.base}/conversations/{started['conversation']['id']}/messages",
        json={"body": "답장"},
        headers=login.headers(),
    )
    assert sent.status_code == 201
    await mail.run_jobs()
    assert mail.sink.received == []


async def test_offline_message_in_a_team_queue_emails_its_members(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    login, _visitor, started = await offline_conversation(
        world, monkeypatch, LUNCH_BREAK, "결제 오류가 있어요", "pay@example.com"
    )
    await mail.run_jobs()
    mail.sink.received.clear()  # the General team's notice went to the admins
    team = await login.client.post(
        f"{world.base}/teams",
        json={"name": "결제팀", "member_ids": [world.agent.id]},
        headers=login.headers(),
    )
    assert team.status_code == 201, team.text
    moved = await login.client.post(
        f"{world.base}/conversations/{started['conversation']['id']}/transfer",
        json={"team_id": team.json()["id"]},
        headers=login.headers(),
    )
    assert moved.status_code == 200, moved.text
    await mail.run_jobs()
    (envelope, notice), *rest = mail.sink.received
    assert not rest
    assert envelope.rcpt_tos == [world.emails[world.agent.id]]
    assert "팀: 결제팀" in notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert notice["Auto-Submitted"] == "auto-generated"
