"""events.audience on its own: every event type, for every kind of socket.

The hub offers an envelope only to the sockets ``agent_group``/``visitor_group``
name, so end-to-end tests can't tell whether ``for_agent``/``for_visitor`` check the
workspace and contact themselves. These call them directly: once with envelopes of
every type built as the services build them, once with the envelopes a real server
published for real actions (a note among them).
"""

from __future__ import annotations

from typing import Any

import pytest

from sangdam.events import audience
from sangdam.events.schemas import EPHEMERAL, Event, EventType
from tests.fixtures.factories import World, agent_socket, new_client_id

WORKSPACE, OTHER_WORKSPACE = 10, 20
CONTACT, OTHER_CONTACT = 100, 200
AGENT, OTHER_AGENT = 1, 2


def _envelope(event: Event, event_id: str | None = "1700000000000-0") -> dict[str, Any]:
    """What the broker hands the hub: the wire form plus an epoch and, if durable, an id."""
    return {**event.to_wire(), "epoch": "e1", "id": None if event.ephemeral else event_id}


# Each event type as its emitter builds it: with a visitor view where the customer may
# see it, without one where only agents may (a note and its conversation change, a
# contact's profile, an agent's presence, an @mention).
CASES: list[tuple[str, Event]] = [
    (
        "reply",
        Event(
            EventType.MESSAGE_CREATED,
            WORKSPACE,
            {"message": {"kind": "text", "body": "public reply"}},
            conversation_id=5,
            contact_id=CONTACT,
            visitor_data={"message": {"kind": "text", "body": "public reply"}},
        ),
    ),
    (
        "note",
        Event(
            EventType.MESSAGE_CREATED,
            WORKSPACE,
            {"message": {"kind": "note", "body": "VIP, refund approved"}},
            conversation_id=5,
            contact_id=CONTACT,
        ),
    ),
    (
        "conversation created",
        Event(
            EventType.CONVERSATION_CREATED,
            WORKSPACE,
            {"conversation": {"id": 5, "assignee_id": AGENT}},
            conversation_id=5,
            contact_id=CONTACT,
            visitor_data={"conversation": {"id": 5, "assigned": True}},
        ),
    ),
    (
        "conversation updated",
        Event(
            EventType.CONVERSATION_UPDATED,
            WORKSPACE,
            {"conversation": {"id": 5, "status": "resolved"}},
            conversation_id=5,
            contact_id=CONTACT,
            visitor_data={"conversation": {"id": 5, "status": "resolved"}},
        ),
    ),
    (
        "conversation updated by a note or a tag",
        Event(
            EventType.CONVERSATION_UPDATED,
            WORKSPACE,
            {"conversation": {"id": 5, "tag_ids": [3]}},
            conversation_id=5,
            contact_id=CONTACT,
        ),
    ),
    (
        "read",
        Event(
            EventType.CONVERSATION_READ,
            WORKSPACE,
            {"conversation_id": 5, "reader": "agent", "reader_id": AGENT, "seq": 2},
            conversation_id=5,
            contact_id=CONTACT,
            visitor_data={"conversation_id": 5, "reader": "agent", "seq": 2},
        ),
    ),
    (
        "contact updated",
        Event(
            EventType.CONTACT_UPDATED,
            WORKSPACE,
            {"contact": {"id": CONTACT, "email": "customer@example.com"}},
            contact_id=CONTACT,
        ),
    ),
    (
        "queue updated",
        Event(
            EventType.QUEUE_UPDATED,
            WORKSPACE,
            {"conversation_id": 5, "position": 1, "eta_minutes": 3, "team_id": 7},
            conversation_id=5,
            contact_id=CONTACT,
            visitor_data={"conversation_id": 5, "position": 1, "eta_minutes": 3},
        ),
    ),
    (
        "agent updated",
        Event(EventType.AGENT_UPDATED, WORKSPACE, {"agent": {"id": AGENT, "present": True}}),
    ),
    (
        "mention",
        Event(
            EventType.MENTION,
            WORKSPACE,
            {"agent_id": OTHER_AGENT, "conversation_id": 5, "preview": "@Kim look"},
            conversation_id=5,
        ),
    ),
    (
        "typing from the customer",
        Event(
            EventType.TYPING,
            WORKSPACE,
            {"conversation_id": 5, "sender_type": "contact"},
            conversation_id=5,
            contact_id=CONTACT,
        ),
    ),
    (
        "typing from an agent",
        Event(
            EventType.TYPING,
            WORKSPACE,
            {"conversation_id": 5, "sender_type": "agent", "agent_id": AGENT},
            conversation_id=5,
            contact_id=CONTACT,
            visitor_data={"conversation_id": 5, "sender_type": "agent"},
            exclude_agent_id=AGENT,
        ),
    ),
]


def test_the_cases_cover_every_event_type() -> None:
    assert {event.type for _, event in CASES} == set(EventType)


@pytest.mark.parametrize(("name", "event"), CASES, ids=[name for name, _ in CASES])
def test_agents_get_their_own_workspace_only_and_never_the_visitor_view(
    name: str, event: Event
) -> None:
    envelope = _envelope(event)
    for agent_id in (AGENT, OTHER_AGENT):
        frame = audience.for_agent(envelope, workspace_id=WORKSPACE, agent_id=agent_id)
        if event.exclude_agent_id == agent_id:
            assert frame is None, "an agent's own typing is not echoed to them"
            continue
        assert frame is not None
        assert frame["type"] == event.type.value and frame["data"] == event.data
        assert set(frame) <= {"type", "data", "event_id", "epoch"}
        if event.type in EPHEMERAL:
            assert "event_id" not in frame
        else:
            assert (frame["event_id"], frame["epoch"]) == (envelope["id"], "e1")
        # The same agent id in another workspace is another person.
        assert audience.for_agent(envelope, workspace_id=OTHER_WORKSPACE, agent_id=agent_id) is None
    assert audience.agent_group(envelope) == WORKSPACE


@pytest.mark.parametrize(("name", "event"), CASES, ids=[name for name, _ in CASES])
def test_a_visitor_gets_only_their_own_contacts_visitor_view(name: str, event: Event) -> None:
    envelope = _envelope(event)
    own = audience.for_visitor(envelope, workspace_id=WORKSPACE, contact_id=CONTACT)
    if event.visitor_data is None:
        assert own is None, "no visitor view: only agents may see it"
    else:
        assert own == {"type": event.type.value, "data": event.visitor_data}
        assert audience.visitor_group(envelope) == (WORKSPACE, CONTACT)
    # Another customer of the workspace, and the same contact id in another workspace.
    assert audience.for_visitor(envelope, workspace_id=WORKSPACE, contact_id=OTHER_CONTACT) is None
    assert audience.for_visitor(envelope, workspace_id=OTHER_WORKSPACE, contact_id=CONTACT) is None
    if event.contact_id is None:
        assert audience.visitor_group(envelope) is None


def test_a_visitor_never_gets_the_agent_view_even_when_it_has_none_of_its_own() -> None:
    for _, event in CASES:
        envelope = _envelope(event)
        frame = audience.for_visitor(envelope, workspace_id=WORKSPACE, contact_id=CONTACT)
        if frame is not None:
            assert frame["data"] is event.visitor_data and frame["data"] is not event.data


async def test_real_events_of_every_durable_type_reach_exactly_their_audience(
    world: World, other_world: World
) -> None:
    """The envelopes a server publishes for real actions, read back from its broker."""
    broker = world.server.sangdam.realtime.broker
    epoch, start = await broker.position(world.workspace.id)
    owner = await world.login()
    agent = await world.login(world.agent)
    agent_ws = await agent_socket(world, agent)  # an open inbox: presence events
    await agent_ws.until_ready()
    customer = await world.visitor()
    bystander = await world.visitor()
    conversation_id = (await customer.start("order 1234 is late"))["conversation"]["id"]
    url = f"{world.base}/conversations/{conversation_id}"
    note_text = "internal: refund approved for this VIP"
    for body in (
        {"body": f"@{world.agent.display_name} {note_text}", "private": True},
        {"body": "We are on it"},
    ):
        sent = await owner.client.post(
            f"{url}/messages", json={**body, "client_id": new_client_id()}, headers=owner.headers()
        )
        assert sent.status_code == 201, sent.text
    for method, path, payload in (
        ("POST", f"{url}/read", {"seq": 3}),
        ("POST", f"{url}/assignee", {"agent_id": world.agent.id}),
        ("PUT", f"{world.base}/me/availability", {"availability": "away"}),
        ("POST", f"{world.base}/contacts/{customer.contact_id}/tags", None),
    ):
        if payload is None:
            tag = await owner.client.post(
                f"{world.base}/tags", json={"name": "VIP"}, headers=owner.headers()
            )
            payload = {"tag_id": tag.json()["id"]}
        response = await owner.client.request(method, path, json=payload, headers=owner.headers())
        assert response.status_code == 200, (path, response.text)
    envelopes = await broker.replay(world.workspace.id, epoch, start)
    assert envelopes is not None
    await agent_ws.close()

    durable = set(EventType) - EPHEMERAL
    assert {e["type"] for e in envelopes} >= durable, {e["type"] for e in envelopes}
    outsider = await other_world.visitor()
    notes = 0
    for envelope in envelopes:
        frame = audience.for_agent(
            envelope, workspace_id=world.workspace.id, agent_id=owner.agent_id
        )
        assert frame is not None and frame["data"] == envelope["data"]
        assert audience.agent_group(envelope) == world.workspace.id
        assert (
            audience.for_agent(
                envelope, workspace_id=other_world.workspace.id, agent_id=owner.agent_id
            )
            is None
        )
        for workspace_id, contact_id in (
            (world.workspace.id, bystander.contact_id),
            (other_world.workspace.id, outsider.contact_id),
            (other_world.workspace.id, customer.contact_id),
        ):
            assert (
                audience.for_visitor(envelope, workspace_id=workspace_id, contact_id=contact_id)
                is None
            ), (envelope["type"], workspace_id, contact_id)
        seen = audience.for_visitor(
            envelope, workspace_id=world.workspace.id, contact_id=customer.contact_id
        )
        assert note_text not in str(seen)
        if "message" in envelope["data"] and envelope["data"]["message"]["kind"] == "note":
            notes += 1
            assert seen is None
        if envelope["type"] in ("contact.updated", "agent.updated", "mention"):
            assert seen is None, envelope["type"]
    assert notes == 1
