"""Transfer to a colleague, with a note, as the inbox does it."""

from __future__ import annotations

from tests.fixtures.factories import World, agent_socket


async def test_transfer_to_a_colleague_with_a_note(world: World) -> None:
    owner = await world.login()
    colleague = await world.login(world.agent)
    visitor = await world.visitor()
    conversation_id = (await visitor.start("세금계산서 재발행 부탁드려요"))["conversation"]["id"]
    claimed = await owner.client.post(
        f"{world.base}/conversations/{conversation_id}/claim", headers=owner.headers()
    )
    assert claimed.status_code == 200
    their_inbox = await agent_socket(world, colleague)
    await their_inbox.until_ready()

    moved = await owner.client.post(
        f"{world.base}/conversations/{conversation_id}/transfer",
        json={"agent_id": world.agent.id, "note": "사업자번호 확인했어요. 재발행만 하면 돼요"},
        headers=owner.headers(),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["assignee_id"] == world.agent.id

    # The note is internal; the why is kept; the colleague's inbox is told.
    history = (
        await owner.client.get(f"{world.base}/conversations/{conversation_id}/messages")
    ).json()["messages"]
    assert history[-1]["kind"] == "note" and "재발행만" in history[-1]["body"]
    seen_by_customer = await visitor.client.get(
        f"/api/widget/v1/conversations/{conversation_id}/messages"
    )
    assert "재발행만" not in seen_by_customer.text
    events = (
        await owner.client.get(f"{world.base}/conversations/{conversation_id}/assignments")
    ).json()
    assert events[-1]["kind"] == "manual" and events[-1]["agent_id"] == world.agent.id
    names = {a["id"]: a["name"] for a in (await owner.client.get(f"{world.base}/agents")).json()}
    assert events[-1]["detail"] == {
        "key": "transferred_to",
        "params": {"agent": names[world.agent.id], "name": names[world.owner.id]},
    }
    frames = await their_inbox.collect()
    told = [f for f in frames if f["type"] == "mention" and f["data"].get("transfer")]
    assert [f["data"]["agent_id"] for f in told] == [world.agent.id]
    assert told[0]["data"]["preview"].startswith("사업자번호")
    await their_inbox.close()

    # Giving it to whoever has it already, or naming no one (or two), is refused.
    again = await owner.client.post(
        f"{world.base}/conversations/{conversation_id}/transfer",
        json={"agent_id": world.agent.id},
        headers=owner.headers(),
    )
    assert again.status_code == 409 and "already" in again.json()["message"]
    for body in ({"note": "누구에게?"}, {"agent_id": world.owner.id, "team_id": 1}):
        refused = await owner.client.post(
            f"{world.base}/conversations/{conversation_id}/transfer",
            json=body,
            headers=owner.headers(),
        )
        assert refused.status_code == 422, refused.text
        assert "agent_id" in refused.json()["message"]


async def test_transfer_to_an_agent_of_another_workspace_is_not_found(
    world: World, other_world: World
) -> None:
    owner = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("안녕하세요"))["conversation"]["id"]
    moved = await owner.client.post(
        f"{world.base}/conversations/{conversation_id}/transfer",
        json={"agent_id": other_world.agent.id},
        headers=owner.headers(),
    )
    assert moved.status_code == 404
