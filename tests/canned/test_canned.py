"""Canned responses: scopes, who may see and change which, and filling in variables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from sangdam.canned.service import render_template, to_html
from sangdam.contacts.models import Contact
from tests.fixtures.factories import AgentLogin, World


async def _create(login: AgentLogin, world: World, **fields: Any) -> Any:
    body = {
        "shortcut": "환불",
        "title": "환불 안내",
        "body": "안녕하세요 {{contact.name}}님",
        **fields,
    }
    return await login.client.post(
        f"{world.base}/canned-responses", json=body, headers=login.headers()
    )


def test_render_fills_known_variables_and_keeps_unknown_ones_visible() -> None:
    values = {"contact.name": "김민지", "contact.email": None, "agent.name": "상담사"}
    rendered = render_template(
        "{{contact.name}}님, {{ agent.name }}입니다. {{contact.email | 이메일 없음}} "
        "{{contact.email}} {{order.id}} {{ not closed",
        values,
    )
    assert rendered.text == "김민지님, 상담사입니다. 이메일 없음  {{order.id}} {{ not closed"
    assert rendered.unknown == ["order.id"]
    assert rendered.empty == ["contact.email"]
    # Values are text: as HTML they are escaped, never markup.
    html = to_html(render_template("{{contact.name}}\n<b>x</b>", {"contact.name": "<script>"}).text)
    assert html == "&lt;script&gt;<br>&lt;b&gt;x&lt;/b&gt;"


async def test_personal_team_and_workspace_scopes(world: World, other_world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)

    mine = await _create(agent, world, shortcut="인사", title="인사말", body="반가워요")
    assert mine.status_code == 201, mine.text
    assert mine.json()["scope"] == "personal" and mine.json()["agent_id"] == world.agent.id
    # An agent can't make team or workspace ones; an admin can.
    refused = await _create(agent, world, scope="workspace")
    assert refused.status_code == 403 and "personal" in refused.json()["message"]
    shared = await _create(owner, world, scope="workspace", lang="ko")
    assert shared.status_code == 201, shared.text
    english = await _create(
        owner,
        world,
        scope="workspace",
        lang="en",
        shortcut="refund",
        title="Refund policy",
        body="Hi {{contact.name | there}}",
    )
    assert english.status_code == 201
    # The same shortcut in the same scope and language is refused with a way out.
    duplicate = await _create(owner, world, scope="workspace", lang="ko")
    assert duplicate.status_code == 409 and "/환불" in duplicate.json()["message"]

    # A team one is seen by the team's members only.
    team = await owner.client.post(
        f"{world.base}/teams",
        json={"name": "결제팀", "auto_assign": False, "no_answer_minutes": 5, "member_ids": []},
        headers=owner.headers(),
    )
    team_id = team.json()["id"]
    team_only = await _create(
        owner, world, scope="team", team_id=team_id, shortcut="결제", title="결제 문의"
    )
    assert team_only.status_code == 201, team_only.text
    no_team = await _create(owner, world, scope="team", shortcut="x")
    assert no_team.status_code == 422 and "team_id" in no_team.json()["message"]
    foreign_team = await other_world.login()
    other_team = (await foreign_team.client.get(f"{other_world.base}/teams")).json()[0]["id"]
    cross = await _create(owner, world, scope="team", team_id=other_team, shortcut="y")
    assert cross.status_code == 404

    seen = {
        c["shortcut"] for c in (await agent.client.get(f"{world.base}/canned-responses")).json()
    }
    assert seen == {"인사", "환불", "refund"}
    await owner.client.put(
        f"{world.base}/teams/{team_id}",
        json={
            "name": "결제팀",
            "auto_assign": False,
            "no_answer_minutes": 5,
            "member_ids": [world.agent.id],
        },
        headers=owner.headers(),
    )
    seen = {
        c["shortcut"] for c in (await agent.client.get(f"{world.base}/canned-responses")).json()
    }
    assert seen == {"인사", "환불", "refund", "결제"}

    # Filtering by shortcut or title, in Korean and English, and by language.
    found = (await agent.client.get(f"{world.base}/canned-responses", params={"q": "환불"})).json()
    assert [c["shortcut"] for c in found] == ["환불"]
    found = (
        await agent.client.get(f"{world.base}/canned-responses", params={"q": "REFUND"})
    ).json()
    assert [c["shortcut"] for c in found] == ["refund"]
    found = (await agent.client.get(f"{world.base}/canned-responses", params={"lang": "en"})).json()
    assert {c["shortcut"] for c in found} == {"refund", "인사", "결제"}

    # The owner (an admin) still never sees the agent's personal one.
    admin_view = {
        c["id"] for c in (await owner.client.get(f"{world.base}/canned-responses")).json()
    }
    assert mine.json()["id"] not in admin_view
    for method in ("get", "put", "delete"):
        kwargs: dict[str, Any] = {"headers": owner.headers()}
        if method == "put":
            kwargs["json"] = {"shortcut": "x", "title": "x", "body": "x"}
        response = await getattr(owner.client, method)(
            f"{world.base}/canned-responses/{mine.json()['id']}", **kwargs
        )
        assert response.status_code == 404, (method, response.text)
    # An agent may read a workspace one but not change or delete it.
    shared_id = shared.json()["id"]
    assert (await agent.client.get(f"{world.base}/canned-responses/{shared_id}")).status_code == 200
    changed = await agent.client.put(
        f"{world.base}/canned-responses/{shared_id}",
        json={"scope": "workspace", "shortcut": "환불", "title": "x", "body": "x"},
        headers=agent.headers(),
    )
    assert changed.status_code == 403
    deleted = await agent.client.delete(
        f"{world.base}/canned-responses/{shared_id}", headers=agent.headers()
    )
    assert deleted.status_code == 403
    # The agent edits and deletes their own.
    edited = await agent.client.put(
        f"{world.base}/canned-responses/{mine.json()['id']}",
        json={"shortcut": "인사", "title": "인사말", "body": "안녕하세요!"},
        headers=agent.headers(),
    )
    assert edited.status_code == 200 and edited.json()["body"] == "안녕하세요!"
    gone = await agent.client.delete(
        f"{world.base}/canned-responses/{mine.json()['id']}", headers=agent.headers()
    )
    assert gone.status_code == 204


async def test_other_workspaces_canned_responses_are_out_of_reach(
    world: World, other_world: World
) -> None:
    owner = await world.login()
    ours = (await _create(owner, world, scope="workspace")).json()
    stranger = await other_world.login()
    visitor = await other_world.visitor()
    their_conversation = (await visitor.start("hello"))["conversation"]["id"]
    # Through their own workspace: our id is "not found".
    for response in (
        await stranger.client.get(f"{other_world.base}/canned-responses/{ours['id']}"),
        await stranger.client.post(
            f"{other_world.base}/canned-responses/{ours['id']}/render",
            json={"conversation_id": their_conversation},
            headers=stranger.headers(),
        ),
    ):
        assert response.status_code == 404
    assert (await stranger.client.get(f"{other_world.base}/canned-responses")).json() == []
    # Through our workspace's path: they are not a member.
    response = await stranger.client.get(f"{world.base}/canned-responses")
    assert response.status_code == 404
    # Our canned response can't be rendered against their conversation either.
    rendered = await owner.client.post(
        f"{world.base}/canned-responses/{ours['id']}/render",
        json={"conversation_id": their_conversation},
        headers=owner.headers(),
    )
    assert rendered.status_code == 404


async def test_render_for_a_conversation_escapes_markup_in_html(world: World) -> None:
    owner = await world.login()
    canned = (
        await _create(
            owner,
            world,
            scope="workspace",
            body="{{contact.name}}님, {{agent.name}}입니다 ({{workspace.name}} #{{conversation.id}}) "
            "{{contact.email}} {{coupon.code}}",
        )
    ).json()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("환불하고 싶어요"))["conversation"]["id"]
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Contact)
            .where(Contact.id == visitor.contact_id)
            .values(name='<img src=x onerror="alert(1)">', email="a@example.com")
        )
    response = await owner.client.post(
        f"{world.base}/canned-responses/{canned['id']}/render",
        json={"conversation_id": conversation_id},
        headers=owner.headers(),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    owner_name = (await owner.client.get(f"{world.base}/agents")).json()
    me = next(a for a in owner_name if a["id"] == world.owner.id)["name"]
    assert result["body"] == (
        f'<img src=x onerror="alert(1)">님, {me}입니다 ({world.workspace.name} #{conversation_id}) '
        "a@example.com {{coupon.code}}"
    )
    assert result["unknown"] == ["coupon.code"] and result["empty"] == []
    assert "<img" not in result["html"] and "&lt;img" in result["html"]
