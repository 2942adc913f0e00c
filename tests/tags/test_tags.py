"""Tags: the workspace list, tagging conversations and contacts, the inbox filter, events."""

from __future__ import annotations

from typing import Any

from tests.fixtures.factories import AgentLogin, World, agent_socket


async def _tag(login: AgentLogin, world: World, name: str, color: str = "#dc2626") -> Any:
    return await login.client.post(
        f"{world.base}/tags", json={"name": name, "color": color}, headers=login.headers()
    )


async def test_only_admins_manage_the_tag_list(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    assert (await _tag(agent, world, "불만")).status_code == 403
    created = await _tag(owner, world, "  불만  ")
    assert created.status_code == 201 and created.json()["name"] == "불만"
    assert (await _tag(owner, world, "불만")).status_code == 409
    bad = await _tag(owner, world, "색", color="red")
    assert bad.status_code == 422 and "color" in bad.json()["message"]
    tag_id = created.json()["id"]
    renamed = await owner.client.put(
        f"{world.base}/tags/{tag_id}",
        json={"name": "불만사항", "color": "#B91C1C"},
        headers=owner.headers(),
    )
    assert renamed.json()["name"] == "불만사항" and renamed.json()["color"] == "#b91c1c"
    assert [t["name"] for t in (await agent.client.get(f"{world.base}/tags")).json()] == [
        "불만사항"
    ]
    refused = await agent.client.delete(f"{world.base}/tags/{tag_id}", headers=agent.headers())
    assert refused.status_code == 403


async def test_tagging_a_conversation_updates_the_list_live_and_filters_it(world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    complaint = (await _tag(owner, world, "불만")).json()["id"]
    idea = (await _tag(owner, world, "개선 아이디어", "#16a34a")).json()["id"]
    visitor = await world.visitor()
    first = (await visitor.start("배송이 너무 늦어요"))["conversation"]["id"]
    second = (await (await world.visitor()).start("이런 기능이 있으면 좋겠어요"))["conversation"][
        "id"
    ]
    agent_ws = await agent_socket(world, agent)
    await agent_ws.until_ready()
    visitor_ws = await visitor.socket({first: 1})

    tagged = await agent.client.post(
        f"{world.base}/conversations/{first}/tags",
        json={"tag_id": complaint},
        headers=agent.headers(),
    )
    assert tagged.status_code == 200 and tagged.json()["tag_ids"] == [complaint]
    frame = await agent_ws.expect("conversation.updated")
    assert frame["data"]["conversation"]["id"] == first
    assert frame["data"]["conversation"]["tag_ids"] == [complaint]
    # Tags are the team's: the customer hears nothing.
    assert [f["type"] for f in await visitor_ws.collect()] == []
    # Adding it again changes nothing and says nothing.
    again = await agent.client.post(
        f"{world.base}/conversations/{first}/tags",
        json={"tag_id": complaint},
        headers=agent.headers(),
    )
    assert again.json()["version"] == tagged.json()["version"]
    await agent.client.post(
        f"{world.base}/conversations/{second}/tags", json={"tag_id": idea}, headers=agent.headers()
    )

    listed = await agent.client.get(f"{world.base}/conversations", params={"tag_id": complaint})
    assert [c["id"] for c in listed.json()["conversations"]] == [first]
    listed = await agent.client.get(f"{world.base}/conversations", params={"tag_id": idea})
    assert [c["id"] for c in listed.json()["conversations"]] == [second]
    everything = await agent.client.get(f"{world.base}/conversations")
    assert {c["id"] for c in everything.json()["conversations"]} == {first, second}

    removed = await agent.client.delete(
        f"{world.base}/conversations/{first}/tags/{complaint}", headers=agent.headers()
    )
    assert removed.json()["tag_ids"] == []
    listed = await agent.client.get(f"{world.base}/conversations", params={"tag_id": complaint})
    assert listed.json()["conversations"] == []

    # Deleting a tag takes it off its conversations (and says so).
    await agent_ws.collect()
    await owner.client.delete(f"{world.base}/tags/{idea}", headers=owner.headers())
    frames = await agent_ws.collect()
    assert [f["data"]["conversation"]["tag_ids"] for f in frames] == [[]]
    await agent_ws.close()
    await visitor_ws.close()


async def test_contact_tags(world: World) -> None:
    agent = await world.login(world.agent)
    vip = (await _tag(await world.login(), world, "VIP", "#ca8a04")).json()["id"]
    visitor = await world.visitor()
    await visitor.start("안녕하세요")
    url = f"{world.base}/contacts/{visitor.contact_id}/tags"
    added = await agent.client.post(url, json={"tag_id": vip}, headers=agent.headers())
    assert added.status_code == 200 and added.json()["tag_ids"] == [vip]
    assert (await agent.client.get(url)).json()["tag_ids"] == [vip]
    removed = await agent.client.delete(f"{url}/{vip}", headers=agent.headers())
    assert removed.json()["tag_ids"] == []


async def test_tags_never_cross_workspaces(world: World, other_world: World) -> None:
    owner = await world.login()
    ours = (await _tag(owner, world, "불만")).json()["id"]
    stranger = await other_world.login()
    theirs = (await _tag(stranger, other_world, "외부")).json()["id"]
    visitor = await world.visitor()
    conversation = (await visitor.start("hello"))["conversation"]["id"]
    their_visitor = await other_world.visitor()
    their_conversation = (await their_visitor.start("hi"))["conversation"]["id"]

    # Their tag on our conversation, our tag on theirs: not found.
    response = await owner.client.post(
        f"{world.base}/conversations/{conversation}/tags",
        json={"tag_id": theirs},
        headers=owner.headers(),
    )
    assert response.status_code == 404
    response = await stranger.client.post(
        f"{other_world.base}/conversations/{their_conversation}/tags",
        json={"tag_id": ours},
        headers=stranger.headers(),
    )
    assert response.status_code == 404
    # Our conversation through their workspace, or our workspace as a stranger: not found.
    response = await stranger.client.post(
        f"{other_world.base}/conversations/{conversation}/tags",
        json={"tag_id": theirs},
        headers=stranger.headers(),
    )
    assert response.status_code == 404
    for method, path in (
        ("get", f"{world.base}/tags"),
        ("put", f"{world.base}/tags/{ours}"),
        ("delete", f"{world.base}/tags/{ours}"),
        ("post", f"{world.base}/contacts/{visitor.contact_id}/tags"),
    ):
        kwargs: dict[str, Any] = {"headers": stranger.headers()}
        if method in ("put", "post"):
            kwargs["json"] = {"name": "x"} if method == "put" else {"tag_id": ours}
        assert (await getattr(stranger.client, method)(path, **kwargs)).status_code == 404
    response = await stranger.client.post(
        f"{other_world.base}/contacts/{visitor.contact_id}/tags",
        json={"tag_id": theirs},
        headers=stranger.headers(),
    )
    assert response.status_code == 404
    # Filtering by their tag shows none of ours.
    listed = await owner.client.get(f"{world.base}/conversations", params={"tag_id": theirs})
    assert listed.json()["conversations"] == []
