"""Sending a campaign: exactly once per customer through a crash mid-send, never into a
live chat, within the frequency cap, into the customer's widget, with its statistics."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select

from sangdam.campaigns import service
from sangdam.campaigns.models import CampaignSend
from sangdam.campaigns.tasks import run_batch
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.messages.models import Message
from tests.campaigns.conftest import Jobs, add_contact, make_campaign, make_segment
from tests.fixtures.factories import AgentLogin, World


class Crash(Exception):
    """Stands for kill -9: the transaction under way never commits."""


async def _audience(world: World, count: int) -> tuple[str, list[int]]:
    plan = f"p{secrets.token_hex(3)}"
    ids = [await add_contact(world, attributes={"plan": plan}) for _ in range(count)]
    return plan, ids


def _plan_is(plan: str) -> dict[str, Any]:
    return {
        "match": "all",
        "conditions": [
            {"type": "attribute", "key": "plan", "value_type": "text", "op": "=", "value": plan}
        ],
    }


async def _campaign(login: AgentLogin, world: World, plan: str, **fields: Any) -> Any:
    segment_id = await make_segment(login, world, _plan_is(plan))
    return await make_campaign(login, world, segment_id, **fields)


async def _send(login: AgentLogin, world: World, campaign_id: int) -> Any:
    response = await login.client.post(
        f"{world.base}/campaigns/{campaign_id}/send", headers=login.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _stats(login: AgentLogin, world: World, campaign_id: int) -> Any:
    response = await login.client.get(
        f"{world.base}/campaigns/{campaign_id}", headers=login.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _campaign_conversations(world: World, campaign_id: int) -> dict[int, int]:
    """Per customer: how many conversations the campaign started and messages they hold."""
    async with world.server.db.read() as session:
        conversations = (
            await session.execute(
                select(Conversation).where(Conversation.workspace_id == world.workspace.id)
            )
        ).scalars()
        per_contact: dict[int, int] = {}
        for conversation in conversations:
            if conversation.origin.get("campaign_id") != campaign_id:
                continue
            messages = (
                await session.execute(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.conversation_id == conversation.id)
                )
            ).scalar_one()
            assert messages == 1
            per_contact[conversation.contact_id] = per_contact.get(conversation.contact_id, 0) + 1
        return per_contact


async def test_a_send_killed_mid_batch_reaches_everyone_exactly_once(
    world: World, jobs: Jobs
) -> None:
    login = await world.login()
    plan, audience = await _audience(world, 7)
    # One of them is in a live chat with an agent: the campaign leaves them alone.
    async with world.server.db.transaction() as session:
        session.add(
            Conversation(
                workspace_id=world.workspace.id,
                inbox_id=world.inbox.id,
                contact_id=audience[0],
                status="open",
            )
        )
    campaign = await _campaign(login, world, plan)
    assert (await _send(login, world, campaign["id"]))["status"] == "sending"
    db, workspace_id = world.server.db, world.workspace.id

    # The job's first batch: 3 customers recorded, 2 delivered, then a crash while
    # delivering the third and the next ones.
    async with db.transaction() as session:
        assert await service.reserve_batch(session, workspace_id, campaign["id"], 3) == 3
    async with db.transaction() as session:
        assert await service.deliver_pending(session, workspace_id, campaign["id"], 2) == 2
    try:
        async with db.transaction() as session:
            await service.reserve_batch(session, workspace_id, campaign["id"], 3)
            await service.deliver_pending(session, workspace_id, campaign["id"], 3)
            raise Crash
    except Crash:
        pass
    assert len(await _campaign_conversations(world, campaign["id"])) == 1  # audience[1] only

    # The job runs again (its lock expired) with batches of 2, to the end.
    await jobs.run_due()
    while await run_batch(db, workspace_id, campaign["id"], 2):
        pass

    delivered = await _campaign_conversations(world, campaign["id"])
    assert delivered == {contact_id: 1 for contact_id in audience[1:]}
    async with db.read() as session:
        sends = (
            await session.execute(
                select(CampaignSend.contact_id, CampaignSend.status).where(
                    CampaignSend.campaign_id == campaign["id"]
                )
            )
        ).all()
    assert sorted(sends) == sorted(
        [(audience[0], "skipped_live_chat")] + [(c, "sent") for c in audience[1:]]
    )
    view = await _stats(login, world, campaign["id"])
    assert view["status"] == "sent"
    assert view["stats"] | {"shown": None} == {
        "recipients": 7,
        "pending": 0,
        "sent": 6,
        "skipped_live_chat": 1,
        "skipped_cap": 0,
        "shown": None,
        "replied": 0,
    }
    # A campaign is sent once: sending it again is refused, running its job changes nothing.
    response = await login.client.post(
        f"{world.base}/campaigns/{campaign['id']}/send", headers=login.headers()
    )
    assert response.status_code == 409
    assert not await run_batch(db, workspace_id, campaign["id"], 2)
    assert await _campaign_conversations(world, campaign["id"]) == delivered


async def test_the_customer_sees_it_in_the_widget_and_replies(world: World, jobs: Jobs) -> None:
    login = await world.login()
    visitor = await world.visitor(url="https://shop.example/")
    plan = f"p{secrets.token_hex(3)}"
    async with world.server.db.transaction() as session:
        contact = await session.get(Contact, visitor.contact_id)
        assert contact is not None
        contact.attributes = {"plan": plan}
    socket = await visitor.socket()
    campaign = await _campaign(login, world, plan, sender_type="bot", sender_agent_id=None)
    await _send(login, world, campaign["id"])
    await jobs.run_due()

    created = await socket.expect("conversation.created")
    conversation = created["data"]["conversation"]
    message = (await socket.expect("message.created"))["data"]["message"]
    assert message["body"] == "결제 오류가 있었습니다. 도와드릴까요?"
    assert message["sender_type"] == "bot"
    assert conversation["status"] == "snoozed"
    await socket.close()
    # The next page view brings it back among the customer's conversations.
    resumed = await visitor.client.post(
        "/api/widget/v1/session", json={"url": "https://shop.example/cart"}
    )
    assert resumed.status_code == 200, resumed.text
    listed = {c["id"]: c for c in resumed.json()["conversations"]}
    assert listed[conversation["id"]]["last_message_preview"] == message["body"]

    stats = (await _stats(login, world, campaign["id"]))["stats"]
    assert (stats["sent"], stats["shown"], stats["replied"]) == (1, 0, 0)
    read = await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation['id']}/read", json={"seq": message["seq"]}
    )
    assert read.status_code == 200, read.text
    reply = await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation['id']}/messages",
        json={"body": "네, 결제가 안 돼요", "client_id": secrets.token_hex(8)},
    )
    assert reply.status_code == 201, reply.text
    stats = (await _stats(login, world, campaign["id"]))["stats"]
    assert (stats["sent"], stats["shown"], stats["replied"]) == (1, 1, 1)

    # The reply opens the conversation for the team, showing the campaign that started it.
    response = await login.client.get(
        f"{world.base}/conversations/{conversation['id']}", headers=login.headers()
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "open"
    assert response.json()["origin"]["campaign_id"] == campaign["id"]


async def test_the_frequency_cap_skips_a_customer_who_just_got_one(
    world: World, jobs: Jobs
) -> None:
    login = await world.login()
    plan, _ = await _audience(world, 2)
    first = await _campaign(login, world, plan)
    await _send(login, world, first["id"])
    await jobs.run_due()
    capped = await _campaign(login, world, plan, frequency_cap_days=7)
    uncapped = await _campaign(login, world, plan, frequency_cap_days=0)
    await _send(login, world, capped["id"])
    await _send(login, world, uncapped["id"])
    await jobs.run_due()
    assert (await _stats(login, world, capped["id"]))["stats"]["skipped_cap"] == 2
    assert (await _stats(login, world, uncapped["id"]))["stats"]["sent"] == 2


async def test_campaigns_stay_in_their_workspace_and_bad_ones_are_refused(
    world: World, other_world: World
) -> None:
    login = await world.login()
    other = await other_world.login()
    plan, _ = await _audience(world, 1)
    campaign = await _campaign(login, world, plan)
    theirs = await make_segment(other, other_world, _plan_is(plan))
    for method, path, body in (
        ("GET", f"/campaigns/{campaign['id']}", None),
        ("POST", f"/campaigns/{campaign['id']}/send", None),
        ("DELETE", f"/campaigns/{campaign['id']}", None),
    ):
        response = await other.client.request(
            method, f"{other_world.base}{path}", json=body, headers=other.headers()
        )
        assert response.status_code == 404, response.text
    base = {
        "name": "x",
        "segment_id": theirs,
        "inbox_id": world.inbox.id,
        "sender_type": "bot",
        "body": "hello",
    }
    refused: list[tuple[dict[str, Any], int]] = [
        (base, 404),  # another workspace's segment
        (
            base
            | {
                "segment_id": await make_segment(login, world, _plan_is(plan)),
                "inbox_id": other_world.inbox.id,
            },
            404,
        ),
        (base | {"sender_type": "agent"}, 400),  # an agent's message names the agent
        (base | {"body": "   "}, 400),
        (base | {"body": ""}, 422),
    ]
    for body, status in refused:
        response = await login.client.post(
            f"{world.base}/campaigns", json=body, headers=login.headers()
        )
        assert response.status_code == status, (body, response.text)
    response = await login.client.get(f"{world.base}/campaigns", headers=login.headers())
    assert [c["id"] for c in response.json()] == [campaign["id"]]
