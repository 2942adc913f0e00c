"""The reaction table: order, one transaction, loops, and every change wired."""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam import domains
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.inboxes.models import ChannelType
from sangdam.inboxes.service import LIVE_ONLY, ReplyDelivery, reply_channel
from sangdam.reactions import schemas
from sangdam.reactions.schemas import Change, ContactTagged
from sangdam.reactions.service import ReactionLoop, ReactionTable, on
from sangdam.tags.models import Tag
from tests.fixtures.factories import World


def _contact(world: World) -> Contact:
    return Contact(id=1, workspace_id=world.workspace.id)


async def test_reactions_run_in_table_order(world: World) -> None:
    calls: list[str] = []

    async def first(_session: AsyncSession, change: ContactTagged) -> None:
        calls.append(f"first {change.tag_id}")

    async def second(_session: AsyncSession, change: ContactTagged) -> None:
        calls.append(f"second {change.tag_id}")

    table = ReactionTable()
    table.install([on(ContactTagged, second), on(ContactTagged, first)])
    async with world.server.db.read() as session:
        await table.react(session, ContactTagged(_contact(world), 7))
        await table.react(session, ContactTagged(_contact(world), 8))
    assert calls == ["second 7", "first 7", "second 8", "first 8"]


async def test_a_failing_reaction_rolls_back_the_change_and_the_other_reactions(
    world: World,
) -> None:
    name = f"reaction-{world.workspace.id}"

    async def writes(session: AsyncSession, _change: ContactTagged) -> None:
        session.add(Tag(workspace_id=world.workspace.id, name=name, color="#112233"))
        await session.flush()

    async def fails(_session: AsyncSession, _change: ContactTagged) -> None:
        raise ValueError("the reacting domain refused")

    async def tag_exists() -> bool:
        async with world.server.db.read() as session:
            found = await session.execute(
                select(Tag.id).where(Tag.workspace_id == world.workspace.id, Tag.name == name)
            )
            return found.first() is not None

    table = ReactionTable()
    table.install([on(ContactTagged, writes), on(ContactTagged, fails)])
    with pytest.raises(ValueError, match="refused"):
        async with world.server.db.transaction() as session:
            await table.react(session, ContactTagged(_contact(world), 1))
    assert not await tag_exists()

    # Without the failing one, the reaction's write commits with the transaction.
    table.install([on(ContactTagged, writes)])
    async with world.server.db.transaction() as session:
        await table.react(session, ContactTagged(_contact(world), 1))
    assert await tag_exists()


async def test_a_reaction_that_keeps_causing_itself_is_stopped(world: World) -> None:
    seen: list[int] = []
    table = ReactionTable()

    async def again(session: AsyncSession, change: ContactTagged) -> None:
        seen.append(change.tag_id)
        await table.react(session, ContactTagged(change.contact, change.tag_id + 1))

    table.install([on(ContactTagged, again)])
    async with world.server.db.read() as session:
        with pytest.raises(ReactionLoop, match="looping"):
            await table.react(session, ContactTagged(_contact(world), 0))
    assert len(seen) == 16


async def test_a_process_without_the_table_refuses_to_change_data(world: World) -> None:
    async with world.server.db.read() as session:
        with pytest.raises(RuntimeError, match=r"domains\.install"):
            await ReactionTable().react(session, ContactTagged(_contact(world), 1))


def test_every_kind_of_change_has_someone_reacting_to_it() -> None:
    kinds = {
        value
        for value in vars(schemas).values()
        if inspect.isclass(value) and issubclass(value, Change) and value is not Change
    }
    wired = {change_type for change_type, _ in domains.REACTIONS}
    assert kinds == wired


def test_every_channel_says_how_its_replies_travel() -> None:
    with pytest.raises(ValueError, match="no reply channel"):
        ReplyDelivery({ChannelType.WEB_WIDGET: LIVE_ONLY})
    assert set(domains.REPLY_CHANNELS.channels) == set(ChannelType)


@pytest.mark.parametrize(
    ("origin", "channel"),
    [
        ({}, ChannelType.WEB_WIDGET),
        ({"url": "https://shop.example/"}, ChannelType.WEB_WIDGET),
        # Closed hours with an address left for the answer: it continues by email.
        ({"offline": True, "email": "kim@example.com"}, ChannelType.EMAIL),
        # Closed hours without one: the answer waits in the widget.
        ({"offline": True}, ChannelType.WEB_WIDGET),
        ({"channel": "email", "email": "kim@example.com"}, ChannelType.EMAIL),
    ],
)
def test_a_reply_travels_by_the_conversations_channel(
    origin: dict[str, object], channel: ChannelType
) -> None:
    assert reply_channel(Conversation(origin=origin)) == channel
