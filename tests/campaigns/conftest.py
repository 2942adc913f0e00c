from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sangdam.contacts.models import Contact, ContactEvent
from sangdam.jobs.service import run_one
from sangdam.tags.models import ContactTag, Tag
from tests.fixtures.factories import AgentLogin, World
from tests.fixtures.jobs import driving_jobs


class Jobs:
    """Runs due jobs on demand, so a test decides when a campaign goes out."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def run_due(self) -> None:
        while await run_one(self.world.server.db):
            pass


@pytest.fixture
async def jobs(world: World) -> AsyncIterator[Jobs]:
    async with driving_jobs(world.server):
        yield Jobs(world)


def ago(days: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


async def add_contact(
    world: World,
    *,
    tags: tuple[int, ...] = (),
    events: tuple[tuple[str, str, float], ...] = (),
    **fields: Any,
) -> int:
    """A customer of ``world`` with attributes, tags and (kind, name-or-url, days ago) events."""
    async with world.server.db.transaction() as session:
        contact = Contact(workspace_id=world.workspace.id, **fields)
        session.add(contact)
        await session.flush()
        for tag_id in tags:
            session.add(
                ContactTag(workspace_id=world.workspace.id, tag_id=tag_id, contact_id=contact.id)
            )
        for kind, what, days in events:
            session.add(
                ContactEvent(
                    workspace_id=world.workspace.id,
                    contact_id=contact.id,
                    kind=kind,
                    name=what if kind == "event" else "page_view",
                    url=what if kind == "page_view" else None,
                    created_at=ago(days),
                )
            )
        return contact.id


async def add_tag(world: World, name: str) -> int:
    async with world.server.db.transaction() as session:
        tag = Tag(workspace_id=world.workspace.id, name=name)
        session.add(tag)
        await session.flush()
        return tag.id


async def preview(login: AgentLogin, world: World, segment_filter: dict[str, Any]) -> Any:
    response = await login.client.post(
        f"{world.base}/segments/preview", json=segment_filter, headers=login.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()


async def make_segment(login: AgentLogin, world: World, segment_filter: dict[str, Any]) -> int:
    response = await login.client.post(
        f"{world.base}/segments",
        json={"name": "segment", "filter": segment_filter},
        headers=login.headers(),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def make_campaign(login: AgentLogin, world: World, segment_id: int, **fields: Any) -> Any:
    body = {
        "name": "Known issue",
        "segment_id": segment_id,
        "inbox_id": world.inbox.id,
        "sender_type": "agent",
        "sender_agent_id": world.owner.id,
        "body": "결제 오류가 있었습니다. 도와드릴까요?",
        **fields,
    }
    response = await login.client.post(
        f"{world.base}/campaigns", json=body, headers=login.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()
