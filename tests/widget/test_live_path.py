"""The short path for a customer's message in a conversation people have must equal the full one.

``append_live_message`` stores the message from plain rows; ``receive_message`` is the
reference. The same message through each, on twin conversations, must leave the same
rows and emit the same events, and the short path must step aside whenever the bot,
routing or idempotency has something to do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from sangdam.automation.models import AutomationRule
from sangdam.contacts.models import Contact
from sangdam.contacts.schemas import PageContext
from sangdam.conversations.models import Conversation, Status
from sangdam.events.schemas import Event
from sangdam.kit.errors import BadRequest, NotFound
from sangdam.messages.models import Message
from sangdam.widget.service import append_live_message, receive_message
from tests.fixtures.factories import World, new_client_id

VOLATILE = {"id", "conversation_id", "contact_id", "created_at", "last_activity_at", "client_id"}
VOLATILE |= {"waiting_since", "origin", "contact_name", "sender_id"}


async def _conversation(world: World) -> tuple[Contact, int]:
    visitor = await world.visitor()
    started = await visitor.start("처음 인사드립니다")
    async with world.server.db.read() as session:
        contact = await session.get(Contact, visitor.contact_id)
        assert contact is not None
    return contact, started["conversation"]["id"]


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    return value


def _events(session: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": e.type.value,
            "data": _strip(e.data),
            "visitor_data": _strip(e.visitor_data),
            "to_contact": e.contact_id is not None,
        }
        for e in session.info.get("events", [])
        if isinstance(e, Event)
    ]


async def _state(world: World, conversation_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    async with world.server.db.read() as session:
        conversation = await session.get(Conversation, conversation_id, populate_existing=True)
        message = (
            await session.execute(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq.desc())
                .limit(1)
            )
        ).scalar_one()
    assert conversation is not None
    columns = ("status", "last_seq", "version", "contact_last_seen_seq", "last_message_preview")
    row = {c: getattr(conversation, c) for c in (*columns, "last_message_sender", "queued_at")}
    row["waiting"] = conversation.waiting_since is not None
    row["queued"] = row.pop("queued_at") is not None
    kept = ("seq", "kind", "sender_type", "sender_name", "body", "content")
    return row, {c: getattr(message, c) for c in kept}


async def test_short_and_full_paths_store_and_emit_the_same(world: World) -> None:
    (short_contact, short_id), (full_contact, full_id) = (
        await _conversation(world),
        await _conversation(world),
    )
    body = "주문한 상품이 아직 안 왔어요\n  언제 오나요?"
    async with world.server.db.transaction() as session:
        live = await append_live_message(
            session, short_contact, short_id, body=body, client_id=new_client_id(), max_chars=4000
        )
        assert live is not None, "a queued open conversation takes the short path"
        short_events = _events(session)
    async with world.server.db.transaction() as session:
        contact = await session.merge(full_contact, load=False)
        _conversation_row, _message, created = await receive_message(
            session,
            inbox_id=world.inbox.id,
            contact=contact,
            conversation_id=full_id,
            body=body,
            client_id=new_client_id(),
            button=None,
            context=PageContext(),
            max_chars=4000,
            base_url=world.server.base_url,
        )
        assert created
        full_events = _events(session)

    assert short_events == full_events
    assert [e["type"] for e in short_events] == ["message.created", "conversation.updated"]
    assert await _state(world, short_id) == await _state(world, full_id)
    short_row, short_message = await _state(world, short_id)
    assert short_row["last_seq"] == 2 and short_message["seq"] == 2
    assert short_row["last_message_preview"] == "주문한 상품이 아직 안 왔어요 언제 오나요?"
    message_view, conversation_view = live
    assert message_view["seq"] == 2 and message_view["body"] == body
    assert conversation_view["id"] == short_id and conversation_view["status"] == "open"


async def test_short_path_steps_aside_for_retries_resolved_and_bot_conversations(
    world: World,
) -> None:
    contact, conversation_id = await _conversation(world)
    client_id = new_client_id()
    async with world.server.db.transaction() as session:
        first = await append_live_message(
            session, contact, conversation_id, body="하나", client_id=client_id, max_chars=4000
        )
    assert first is not None
    async with world.server.db.transaction() as session:
        retry = await append_live_message(
            session, contact, conversation_id, body="하나", client_id=client_id, max_chars=4000
        )
        assert retry is None, "a retry goes to the full path, which returns the original"
        assert not session.info.get("events")

    for status, queued in ((Status.RESOLVED, True), (Status.BOT, True), (Status.OPEN, False)):
        async with world.server.db.transaction() as session:
            conversation = await session.get(Conversation, conversation_id)
            assert conversation is not None
            conversation.status = status.value
            conversation.queued_at = dt.datetime.now(dt.UTC) if queued else None
            conversation.assignee_id = None
        async with world.server.db.transaction() as session:
            stepped_aside = await append_live_message(
                session,
                contact,
                conversation_id,
                body="둘",
                client_id=new_client_id(),
                max_chars=4000,
            )
            assert stepped_aside is None, f"{status} (queued={queued}) needs the full path"
            assert not session.info.get("events")
    row, _ = await _state(world, conversation_id)
    assert row["last_seq"] == 2, "nothing was written while stepping aside"


async def test_short_path_checks_input_and_never_writes_elsewhere(world: World) -> None:
    contact, conversation_id = await _conversation(world)
    other_contact, other_id = await _conversation(world)
    async with world.server.db.transaction() as session:
        foreign = await append_live_message(
            session, contact, other_id, body="남의 대화", client_id=new_client_id(), max_chars=4000
        )
        assert foreign is None and not session.info.get("events")
        with pytest.raises(NotFound):  # ... and the full path says it isn't there
            await receive_message(
                session,
                inbox_id=world.inbox.id,
                contact=await session.merge(contact, load=False),
                conversation_id=other_id,
                body="남의 대화",
                client_id=new_client_id(),
                button=None,
                context=PageContext(),
                max_chars=4000,
                base_url=world.server.base_url,
            )
        with pytest.raises(BadRequest):
            await append_live_message(
                session,
                contact,
                conversation_id,
                body="   ",
                client_id=new_client_id(),
                max_chars=4000,
            )
        with pytest.raises(BadRequest):
            await append_live_message(
                session, contact, conversation_id, body="x", client_id="bad id!", max_chars=4000
            )
    for conversation in (conversation_id, other_id):
        row, _ = await _state(world, conversation)
        assert row["last_seq"] == 1
    assert other_contact.id != contact.id


async def test_rules_on_incoming_messages_run_the_same_on_both_paths(world: World) -> None:
    """The short path checks rules on plain rows and loads ORM objects only for a match."""
    async with world.server.db.transaction() as session:
        session.add(
            AutomationRule(
                workspace_id=world.workspace.id,
                name="refunds get priority and a note",
                event="message_received",
                definition={
                    "trigger": {"event": "message_received"},
                    "conditions": [{"type": "text_contains", "any_of": ["환불"]}],
                    "actions": [
                        {"type": "set_priority", "priority": 3},
                        {"type": "add_note", "body": "환불 문의예요"},
                    ],
                },
                webhook_secret="sdwh_test",
                run_count=0,
            )
        )
    (short_contact, short_id), (full_contact, full_id) = (
        await _conversation(world),
        await _conversation(world),
    )
    for body in ("배송은 언제 되나요?", "환불하고 싶어요"):
        async with world.server.db.transaction() as session:
            live = await append_live_message(
                session,
                short_contact,
                short_id,
                body=body,
                client_id=new_client_id(),
                max_chars=4000,
            )
            assert live is not None, "rules don't send a message off the short path"
            short_events = _events(session)
        async with world.server.db.transaction() as session:
            await receive_message(
                session,
                inbox_id=world.inbox.id,
                contact=await session.merge(full_contact, load=False),
                conversation_id=full_id,
                body=body,
                client_id=new_client_id(),
                button=None,
                context=PageContext(),
                max_chars=4000,
                base_url=world.server.base_url,
            )
            full_events = _events(session)
        assert short_events == full_events, body
    assert [e["type"] for e in short_events] == [
        "message.created",
        "conversation.updated",
        "conversation.updated",
        "message.created",
        "conversation.updated",
    ]
    async with world.server.db.read() as session:
        short = await session.get(Conversation, short_id)
        full = await session.get(Conversation, full_id)
        assert short is not None and full is not None
        assert short.priority == full.priority == 3
        assert short.last_seq == full.last_seq == 4  # greeting, two messages, the note
        rule = (await session.execute(select(AutomationRule))).scalars().all()
        assert [r.run_count for r in rule if r.workspace_id == world.workspace.id] == [2]
