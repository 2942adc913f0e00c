"""How a resolved conversation's times are measured: from the bot's hand-over, and within
business hours across nights, weekends and closed dates (Asia/Seoul, no daylight saving)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from sangdam.conversations.models import Conversation
from sangdam.conversations.service import load
from sangdam.messages.models import Message
from sangdam.reports.service import record_times
from sangdam.routing.models import AssignmentEvent
from sangdam.routing.schemas import BusinessHours
from sangdam.routing.service import business_seconds
from tests.fixtures.factories import World
from tests.reports.test_reports import kst

OFFICE = BusinessHours.model_validate(
    {
        "timezone": "Asia/Seoul",
        "holidays": None,
        "weekly": {
            day: [["09:00", "12:00"], ["13:00", "18:00"]]
            for day in ("mon", "tue", "wed", "thu", "fri")
        },
    }
)


def test_business_seconds_skip_nights_weekends_lunch_and_closed_dates() -> None:
    # Friday 13 March 17:00 → Monday 16 March 10:00: an hour on Friday, an hour on Monday.
    friday, monday = kst(13, 17), kst(16, 10)
    assert business_seconds(OFFICE, friday, monday) == 7200
    closed = OFFICE.model_copy(update={"closed_dates": [dt.date(2026, 3, 16)]})
    assert business_seconds(closed, friday, monday) == 3600
    # Over lunch: 11:30 → 13:30 is one hour of work.
    assert business_seconds(OFFICE, kst(17, 11, 30), kst(17, 13, 30)) == 3600
    # No hours set: every second counts; an end before the start counts nothing.
    assert business_seconds(None, friday, monday) == (monday - friday).total_seconds()
    assert business_seconds(OFFICE, monday, friday) == 0


async def test_first_response_counts_from_the_hand_over_not_the_first_message(
    world: World,
) -> None:
    """Tue 10 March: wrote to the bot 09:00, asked for a person 09:20, assigned 09:22,
    answered 09:25, resolved 09:40 → first response 5 min, wait 2 min, resolution 40 min."""
    owner = await world.login()
    visitor = await world.visitor()
    conversation_id = int((await visitor.start("사람과 이야기할래요"))["conversation"]["id"])
    base = f"{world.base}/conversations/{conversation_id}"
    for path, body in (
        ("assignee", {"agent_id": owner.agent_id}),
        ("messages", {"body": "안녕하세요, 도와드릴게요"}),
        ("status", {"status": "resolved"}),
    ):
        response = await owner.client.post(f"{base}/{path}", json=body, headers=owner.headers())
        assert response.status_code in (200, 201), response.text
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(created_at=kst(10, 9), handed_off_at=kst(10, 9, 20), resolved_at=kst(10, 9, 40))
        )
        for sender, at in (("contact", kst(10, 9)), ("agent", kst(10, 9, 25))):
            await session.execute(
                update(Message)
                .where(Message.conversation_id == conversation_id, Message.sender_type == sender)
                .values(created_at=at)
            )
        await session.execute(
            update(AssignmentEvent)
            .where(AssignmentEvent.conversation_id == conversation_id)
            .values(created_at=kst(10, 9, 22))
        )
        conversation, _ = await load(session, world.workspace.id, conversation_id)
        await session.refresh(conversation)
        times = await record_times(session, conversation)
        assert (times.first_response_s, times.wait_s, times.resolution_s) == (300, 120, 2400)
        # The customer's one message was answered once, 25 minutes after they wrote it.
        assert (times.replies, times.reply_s) == (1, 1500)
        assert times.agent_id == owner.agent_id
