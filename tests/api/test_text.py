"""One text rule at every entry point, the same on SQLite and PostgreSQL.

NUL (which PostgreSQL refuses and SQLite keeps) and lone UTF-16 surrogates (which
neither can encode) become U+FFFD; free text is NFC. REST, sockets, email and imports
all store the same thing, on both databases (the ``server`` fixture runs each test on
both), and nothing answers 500.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import aiosmtplib
from sqlalchemy import select

from sangdam.contacts.models import Contact
from sangdam.email.service import parse_inbound
from sangdam.knowledge.models import FaqEntry
from sangdam.messages.models import Message
from sangdam.tags.models import Tag
from tests.api.conftest import INBOUND_DOMAIN, Mail
from tests.fixtures.factories import World, new_client_id

# As JSON.stringify writes them: a string cut inside an emoji, a NUL, Hangul from macOS.
RAW = '"cut \\ud83d here, nul \\u0000 here, \\u1112\\u1161\\u11ab"'
STORED = "cut \ufffd here, nul \ufffd here, 한"


def _json(**fields: Any) -> str:
    """A JSON body whose string values are ``RAW`` escapes where the value is ``...``."""
    return json.dumps(fields).replace('"..."', RAW)


async def _bodies(world: World) -> list[str]:
    async with world.server.db.read() as session:
        rows = await session.scalars(
            select(Message.body)
            .where(Message.workspace_id == world.workspace.id)
            .order_by(Message.id)
        )
        return list(rows)


async def test_rest_text_is_cleaned_the_same_on_both_databases(world: World) -> None:
    visitor = await world.visitor()
    json_headers = {"Content-Type": "application/json"}
    started = await visitor.client.post(
        "/api/widget/v1/conversations",
        content=_json(body="...", client_id=new_client_id()),
        headers=json_headers,
    )
    assert started.status_code == 201, started.text
    assert started.json()["message"]["body"] == STORED
    conversation_id = started.json()["conversation"]["id"]
    sent = await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation_id}/messages",
        content=_json(body="...", client_id=new_client_id()),
        headers=json_headers,
    )
    assert sent.status_code == 201, sent.text
    login = await world.login()
    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        content=_json(body="...", private=True),
        headers={**login.headers(), **json_headers},
    )
    assert reply.status_code == 201, reply.text
    assert [b for b in await _bodies(world) if "cut" in b] == [STORED] * 3

    # Free-form JSON (profile attributes, event properties) and names.
    identified = await visitor.client.post(
        "/api/widget/v1/identify",
        content=_json(name="...", profile={"plan": "..."}),
        headers=json_headers,
    )
    assert identified.status_code == 200, identified.text
    tracked = await visitor.client.post(
        "/api/widget/v1/events",
        content=_json(event="...", props={"step": "..."}),
        headers=json_headers,
    )
    assert tracked.status_code == 204, tracked.text
    async with world.server.db.read() as session:
        contact = await session.get(Contact, visitor.contact_id)
        assert contact is not None
        assert contact.name == STORED and contact.attributes["plan"] == STORED

    tag = await login.client.post(
        f"{world.base}/tags", content=_json(name="..."), headers={**login.headers(), **json_headers}
    )
    assert tag.status_code == 201, tag.text
    async with world.server.db.read() as session:
        names = await session.scalars(
            select(Tag.name).where(Tag.workspace_id == world.workspace.id)
        )
        assert " ".join(STORED.split()) in list(names)


async def test_queries_with_unstorable_characters_answer_without_500(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    for query in ("%00", "%ED%A0%BD", "a%00b"):
        for client, url in (
            (login.client, f"{world.base}/contacts?q={query}"),
            (login.client, f"{world.base}/faqs?category={query}"),
            (login.client, f"{world.base}/canned-responses?q={query}"),
            (login.client, f"{world.base}/conversations?before={query}"),
            (login.client, f"{world.base}/knowledge/search?q={query}"),
            (visitor.client, f"/api/widget/v1/articles?q={query}"),
            (visitor.client, f"/help/{query}/ko"),
            (visitor.client, f"/widget/frame?key={query}"),
        ):
            response = await client.get(url)
            assert response.status_code < 500, (url, response.status_code, response.text)
    # A key of the body that cannot be sent back as UTF-8 is named in a 422, not a 500.
    odd_key = await visitor.client.post(
        "/api/widget/v1/visitors",
        content='{"inbox_key": "x", "\\ud800": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert odd_key.status_code == 422, odd_key.text


async def test_socket_text_is_cleaned_like_rest(world: World) -> None:
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hello"))["conversation"]["id"]
    sock = await visitor.socket({conversation_id: 1})
    client_id = new_client_id()
    frame = (
        f'{{"type": "message.send", "conversation_id": {conversation_id}, '
        f'"client_id": "{client_id}", "ref": "r1", "body": {RAW}}}'
    )
    await sock.send(frame)
    skip = ("ping", "typing", "contact.updated", "message.created", "conversation.updated")
    ack = await sock.expect("ack", skip=skip)
    assert ack["ref"] == "r1", ack
    assert STORED in await _bodies(world)
    await sock.close()


async def test_imported_faq_text_is_cleaned(world: World) -> None:
    login = await world.login()
    line = (
        f'{{"id": "nul-entry", "category": {RAW}, "question": {RAW}, '
        f'"answer": {RAW}, "paraphrases": [{RAW}], "lang": "ko"}}\n'
    )
    imported = await login.client.post(
        f"{world.base}/faqs/import",
        content=line.encode(),
        headers={**login.headers(), "Content-Type": "application/x-ndjson"},
    )
    assert imported.status_code == 200, imported.text
    async with world.server.db.read() as session:
        entry = await session.scalar(
            select(FaqEntry).where(
                FaqEntry.workspace_id == world.workspace.id, FaqEntry.key == "nul-entry"
            )
        )
    assert entry is not None
    assert entry.question == STORED and entry.answer == STORED


def test_inbound_email_text_is_cleaned() -> None:
    raw = (
        b"From: =?utf-8?q?Kim?= \xed\xa0\xbd <kim@customer.test>\r\n"
        b"To: help@" + INBOUND_DOMAIN.encode() + b"\r\n"
        b"Subject: broken \xff subject\r\n"
        b"Message-ID: <a\xedb@customer.test>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"nul \x00 here, \xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab\r\n"
    )
    email = parse_inbound(raw)
    for text in (email.sender_name, email.subject, email.text, email.rfc_message_id):
        text.encode("utf-8")  # no lone surrogate left
        assert "\x00" not in text
    assert email.text == "nul \ufffd here, 한"
    assert unicodedata.is_normalized("NFC", email.text)


async def test_inbound_email_with_a_nul_is_stored_on_both_databases(
    world: World, mail: Mail
) -> None:
    login = await world.login()
    address = f"help-{world.workspace.id}@{INBOUND_DOMAIN}"
    saved = await login.client.put(
        f"{world.base}/email-inbox", json={"address": address}, headers=login.headers()
    )
    assert saved.status_code == 200, saved.text
    raw = (
        b"From: Kim <kim@customer.test>\r\n"
        b"To: " + address.encode() + b"\r\n"
        b"Subject: question\r\n"
        b"Message-ID: <nul-1@customer.test>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"nul \x00 here\r\n"
    )
    await aiosmtplib.send(
        raw,
        sender="kim@customer.test",
        recipients=[address],
        hostname="127.0.0.1",
        port=mail.listener_port,
    )
    assert "nul \ufffd here" in await _bodies(world)
