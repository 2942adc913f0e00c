"""The wait a customer is told shrinks as their place in line does."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from sangdam.conversations.models import Conversation
from sangdam.routing.service import queue_info, seconds_per_place
from tests.fixtures.factories import World

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


async def _set(world: World, conversation_id: int, **values: object) -> None:
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def _place(world: World, conversation_id: int) -> tuple[int, int]:
    async with world.server.db.read() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        info = await queue_info(session, conversation)
    assert info is not None
    return info


async def test_the_estimate_never_grows_as_the_line_moves_forward(world: World) -> None:
    """As seen walking the seeds: third in line and "about 1 min", then first in line and
    "about 2 min", because the two ahead had waited longer than the pickups before them."""
    ids = []
    for n in range(4):
        visitor = await world.visitor()
        ids.append((await visitor.start(f"{n}번째 문의입니다"))["conversation"]["id"])
    earlier, first, second, me = ids
    # Earlier today the team answered a lone customer within seconds.
    await _set(world, earlier, queued_at=_at(-10), assigned_at=_at(-5), assignee_id=world.owner.id)
    for conversation_id in (first, second, me):
        await _set(world, conversation_id, queued_at=_at(0))
    position, before = await _place(world, me)
    assert position == 3

    # The two ahead are picked up after 90 and 100 seconds: one place every ~50 seconds.
    await _set(world, first, assigned_at=_at(90), assignee_id=world.owner.id)
    await _set(world, second, assigned_at=_at(100), assignee_id=world.owner.id)
    position, after = await _place(world, me)
    assert position == 1
    assert after <= before


def test_a_place_takes_the_time_spent_first_in_line() -> None:
    assert seconds_per_place([]) is None
    assert seconds_per_place([(_at(0), _at(30))]) == 30
    # Three customers queued together, picked up every 20 seconds: 20 s a place, although
    # the last one waited a minute in all.
    assert seconds_per_place([(_at(0), _at(20)), (_at(0), _at(40)), (_at(0), _at(60))]) == 20
    # A pickup after a quiet spell counts from its own queueing, not the pickup before.
    assert seconds_per_place([(_at(0), _at(20)), (_at(300), _at(310))]) == 10
