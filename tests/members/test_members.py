"""Roles and deactivation: who may change whom, and what ends when a member is turned off."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from sangdam.conversations.models import Conversation
from sangdam.routing.models import AssignmentEvent
from tests.fixtures.factories import AgentLogin, World, agent_socket
from tests.realtime.test_credentials import signed_out


async def _role(login: AgentLogin, world: World, agent_id: int, role: str) -> httpx.Response:
    return await login.client.patch(
        f"{world.base}/members/{agent_id}", json={"role": role}, headers=login.headers()
    )


async def _post(login: AgentLogin, world: World, path: str) -> httpx.Response:
    return await login.client.post(f"{world.base}/{path}", headers=login.headers())


async def test_the_member_list_shows_roles_and_status(world: World) -> None:
    login = await world.login(world.agent)
    members = (await login.client.get(f"{world.base}/members")).json()
    assert {(m["id"], m["role"], m["active"]) for m in members} == {
        (world.owner.id, "owner", True),
        (world.agent.id, "agent", True),
    }


async def test_agents_change_nobody_and_admins_never_touch_owners(world: World) -> None:
    agent = await world.login(world.agent)
    assert (await _role(agent, world, world.agent.id, "admin")).status_code == 403
    assert (await _role(agent, world, world.owner.id, "agent")).status_code == 403
    assert (await _post(agent, world, f"members/{world.owner.id}/deactivate")).status_code == 403

    owner = await world.login()
    assert (await _role(owner, world, world.agent.id, "admin")).status_code == 200
    admin = await world.login(world.agent)
    # Admins can't demote, deactivate or create owners.
    assert (await _role(admin, world, world.owner.id, "agent")).status_code == 403
    assert (await _post(admin, world, f"members/{world.owner.id}/deactivate")).status_code == 403
    assert (await _role(admin, world, world.agent.id, "owner")).status_code == 403
    # An owner can make another owner, and then step down.
    assert (await _role(owner, world, world.agent.id, "owner")).status_code == 200
    assert (await _role(owner, world, world.owner.id, "admin")).status_code == 200
    members = {m["id"]: m["role"] for m in (await owner.client.get(f"{world.base}/members")).json()}
    assert members == {world.owner.id: "admin", world.agent.id: "owner"}


async def test_a_workspace_keeps_an_owner_and_nobody_deactivates_themselves(world: World) -> None:
    owner = await world.login()
    last = await _role(owner, world, world.owner.id, "admin")
    assert last.status_code == 409 and last.json()["code"] == "last_owner"
    self_off = await _post(owner, world, f"members/{world.owner.id}/deactivate")
    assert self_off.status_code == 409


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "tags", {"name": "불만", "color": "#dc2626"}),
        ("post", "teams", {"name": "결제팀"}),
        ("post", "api-tokens", {"name": "CRM"}),
        ("post", "invitations", {"email": "x@example.com"}),
        ("put", "", {"name": "Taken over", "locale": "ko", "timezone": "Asia/Seoul"}),
        (
            "post",
            "automation/rules",
            {
                "name": "r",
                "trigger": {"event": "handed_off"},
                "actions": [{"type": "set_priority", "priority": 5}],
            },
        ),
    ],
)
async def test_settings_are_for_owners_and_admins_only(
    world: World, method: str, path: str, body: dict[str, object]
) -> None:
    """Enforced by the server, whatever the page shows."""
    agent = await world.login(world.agent)
    url = f"{world.base}/{path}" if path else world.base
    refused = await getattr(agent.client, method)(url, json=body, headers=agent.headers())
    assert refused.status_code == 403, (path, refused.text)


async def test_deactivating_a_member_ends_their_access_at_once(world: World) -> None:
    owner = await world.login()
    member = await world.login(world.agent)
    # They hold an API token (made while they were an admin), an open inbox and a chat.
    assert (await _role(owner, world, world.agent.id, "admin")).status_code == 200
    token = (
        await member.client.post(
            f"{world.base}/api-tokens", json={"name": "mine"}, headers=member.headers()
        )
    ).json()
    assert (await _role(owner, world, world.agent.id, "agent")).status_code == 200
    visitor = await world.visitor()
    conversation_id = (await visitor.start("배송이 늦어요"))["conversation"]["id"]
    assigned = await member.client.post(
        f"{world.base}/conversations/{conversation_id}/assignee",
        json={"agent_id": world.agent.id},
        headers=member.headers(),
    )
    assert assigned.status_code == 200, assigned.text
    sock = await agent_socket(world, member)
    await sock.until_ready()

    done = await _post(owner, world, f"members/{world.agent.id}/deactivate")
    assert done.status_code == 200, done.text
    assert done.json()["requeued"] == 1
    assert done.json()["member"]["active"] is False

    # The open inbox closes now, not at its next command.
    await signed_out(sock)
    # Pages and the API refuse them, and their token.
    refused = await member.client.get(f"{world.base}/conversations")
    assert refused.status_code == 403 and refused.json()["code"] == "deactivated"
    page = await member.client.get(f"/inbox/{world.workspace.id}")
    assert page.status_code == 404
    async with httpx.AsyncClient(base_url=world.server.base_url) as api:
        by_token = await api.get(
            f"{world.base}/conversations", headers={"Authorization": f"Bearer {token['token']}"}
        )
        assert by_token.status_code == 401
    # Their conversation went back to the queue, saying why.
    async with world.server.db.read() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        assert conversation.assignee_id is None and conversation.queued_at is not None
        last = (
            (
                await session.execute(
                    select(AssignmentEvent)
                    .where(AssignmentEvent.conversation_id == conversation_id)
                    .order_by(AssignmentEvent.id.desc())
                )
            )
            .scalars()
            .first()
        )
        assert last is not None and last.detail["key"] == "deactivated"
    # Nothing can be given to them any more.
    again = await owner.client.post(
        f"{world.base}/conversations/{conversation_id}/assignee",
        json={"agent_id": world.agent.id},
        headers=owner.headers(),
    )
    assert again.status_code == 422 and again.json()["code"] == "agent_deactivated"

    # Reactivated: they sign in again and work; the token stays revoked.
    assert (await _post(owner, world, f"members/{world.agent.id}/reactivate")).status_code == 200
    back = await world.login(world.agent)
    assert (await back.client.get(f"{world.base}/conversations")).status_code == 200
    async with httpx.AsyncClient(base_url=world.server.base_url) as api:
        still_dead = await api.get(
            f"{world.base}/conversations", headers={"Authorization": f"Bearer {token['token']}"}
        )
        assert still_dead.status_code == 401


async def test_a_member_of_another_workspace_is_not_found(world: World, other_world: World) -> None:
    owner = await world.login()
    stranger = other_world.agent.id
    assert (await _role(owner, world, stranger, "admin")).status_code == 404
    assert (await _post(owner, world, f"members/{stranger}/deactivate")).status_code == 404
    assert (await owner.client.get(f"{world.base}/members/{stranger}/avatar")).status_code == 404
