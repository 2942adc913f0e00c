"""One contract for both brokers: the in-process one and Redis behave the same.

Every case runs against ``MemoryBroker`` and against ``RedisBroker`` on a real Redis.
Workspace ids here are far above any a test server creates, so the Redis streams of a
server sharing the database are never touched.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sangdam.realtime.broker import Broker, MemoryBroker, RedisBroker, parse_event_id
from tests.fixtures.services import REDIS_URL, REQUIRED

HISTORY = 5
# Fresh ids on every run: Redis keeps streams between runs.
_workspaces = itertools.count(9 * 10**15 + secrets.randbelow(10**9) * 1000)


class Feed:
    """What a process's hub would receive: events and control messages."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.control: list[dict[str, Any]] = []

    async def wait_for(self, check: Any, what: str) -> None:
        for _ in range(500):
            if check():
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"never received {what}")


def _brokers() -> list[str]:
    if REDIS_URL:
        return ["memory", "redis"]
    if REQUIRED:
        raise pytest.UsageError("CI requires SANGDAM_TEST_REDIS_URL for the broker contract")
    return ["memory"]


@pytest.fixture(params=_brokers())
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Broker, Feed]]:
    feed = Feed()
    chosen: Broker
    if request.param == "redis":
        assert REDIS_URL
        chosen = RedisBroker(REDIS_URL, HISTORY)
    else:
        chosen = MemoryBroker(HISTORY)
    chosen.on_control = feed.control.append
    await chosen.start(feed.events.append)
    yield chosen, feed
    await chosen.stop()


def _event(workspace_id: int, n: int) -> dict[str, Any]:
    return {"type": "message.created", "workspace_id": workspace_id, "data": {"n": n}}


async def _publish(broker: Broker, workspace_id: int, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        await broker.publish(_event(workspace_id, n), durable=True)


async def test_a_fresh_workspace_is_at_its_start(broker: tuple[Broker, Feed]) -> None:
    chosen, _ = broker
    workspace_id = next(_workspaces)
    epoch, head = await chosen.position(workspace_id)
    assert epoch and head == "0-0"
    assert await chosen.replay(workspace_id, epoch, "0-0") == []
    # Nothing was ever issued here, so no later position exists.
    assert await chosen.replay(workspace_id, epoch, "0-3") is None


async def test_replay_gives_what_came_after_in_order(broker: tuple[Broker, Feed]) -> None:
    chosen, feed = broker
    workspace_id = next(_workspaces)
    await _publish(chosen, workspace_id, 2)
    epoch, head = await chosen.position(workspace_id)
    await _publish(chosen, workspace_id, 3, start=2)
    missed = await chosen.replay(workspace_id, epoch, head)
    assert missed is not None
    assert [e["data"]["n"] for e in missed] == [2, 3, 4]
    ids = [parse_event_id(e["id"]) for e in missed]
    assert ids == sorted(ids) and len(set(ids)) == 3 and ids[0] > parse_event_id(head)
    assert {e["epoch"] for e in missed} == {epoch}
    # The newest id replays nothing; live delivery carried the same ids.
    assert await chosen.replay(workspace_id, epoch, missed[-1]["id"]) == []
    await feed.wait_for(
        lambda: len([e for e in feed.events if e["workspace_id"] == workspace_id]) == 5, "events"
    )
    live = [e for e in feed.events if e["workspace_id"] == workspace_id]
    assert [e["id"] for e in live[2:]] == [e["id"] for e in missed]


async def test_another_epoch_is_refused(broker: tuple[Broker, Feed]) -> None:
    chosen, _ = broker
    workspace_id = next(_workspaces)
    await _publish(chosen, workspace_id, 2)
    _, head = await chosen.position(workspace_id)
    assert await chosen.replay(workspace_id, "another-run", head) is None
    assert await chosen.replay(workspace_id, "another-run", "0-0") is None


async def test_an_id_this_history_never_issued_is_refused(broker: tuple[Broker, Feed]) -> None:
    """Both halves of an id count: an id this history never issued (another run's id,
    or a made-up one) resynchronises instead of replaying the whole history."""
    chosen, _ = broker
    workspace_id = next(_workspaces)
    await _publish(chosen, workspace_id, 3)
    epoch, head = await chosen.position(workspace_id)
    left, right = parse_event_id(head)
    for beyond in (f"{left + 1}-0", f"{left}-{right + 1}", "99999999999999-0", "0-99999999"):
        assert await chosen.replay(workspace_id, epoch, beyond) is None, beyond


async def test_malformed_ids_are_refused(broker: tuple[Broker, Feed]) -> None:
    chosen, _ = broker
    workspace_id = next(_workspaces)
    await _publish(chosen, workspace_id, 1)
    epoch, _ = await chosen.position(workspace_id)
    for malformed in ("", "7", "-1-0", "0--1", "a-b", "1-2-3", " 1-0", f"{2**64}-0"):
        with pytest.raises(ValueError):
            await chosen.replay(workspace_id, epoch, malformed)


async def test_a_position_trimmed_from_history_is_refused(broker: tuple[Broker, Feed]) -> None:
    chosen, _ = broker
    workspace_id = next(_workspaces)
    await _publish(chosen, workspace_id, 1)
    epoch, start = await chosen.position(workspace_id)
    # Redis trims whole blocks of entries ("MAXLEN ~"): far more than the history holds.
    await _publish(chosen, workspace_id, 400, start=1)
    assert await chosen.replay(workspace_id, epoch, start) is None
    assert await chosen.replay(workspace_id, epoch, "0-0") is None
    _, head = await chosen.position(workspace_id)
    assert await chosen.replay(workspace_id, epoch, head) == []


async def test_ephemeral_events_reach_processes_but_never_history(
    broker: tuple[Broker, Feed],
) -> None:
    chosen, feed = broker
    workspace_id = next(_workspaces)
    epoch, head = await chosen.position(workspace_id)
    await chosen.publish({**_event(workspace_id, 0), "type": "typing"}, durable=False)
    await feed.wait_for(
        lambda: any(e["workspace_id"] == workspace_id for e in feed.events), "the typing event"
    )
    typing = next(e for e in feed.events if e["workspace_id"] == workspace_id)
    assert typing["id"] is None and typing["epoch"] == epoch
    assert await chosen.position(workspace_id) == (epoch, head)
    assert await chosen.replay(workspace_id, epoch, head) == []


async def test_control_messages_reach_every_process_and_no_history(
    broker: tuple[Broker, Feed],
) -> None:
    chosen, feed = broker
    workspace_id = next(_workspaces)
    epoch, head = await chosen.position(workspace_id)
    message = {"type": "credentials_ended", "user_id": workspace_id}
    await chosen.publish_control(message)
    await feed.wait_for(lambda: message in feed.control, "the control message")
    assert not any(e["workspace_id"] == workspace_id for e in feed.events)
    assert await chosen.position(workspace_id) == (epoch, head)
