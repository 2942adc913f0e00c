"""A customer rates a conversation that ended; the agent sees it; a bad one can start a rule."""

from __future__ import annotations

from typing import Any

from tests.automation.conftest import conversation, make_rule, make_tag
from tests.fixtures.factories import AgentLogin, Visitor, World, new_client_id


async def _ended(
    world: World, login: AgentLogin, body: str = "배송이 늦어요"
) -> tuple[Visitor, int]:
    visitor = await world.visitor(locale="ko-KR")
    started = await visitor.start(body)
    conversation_id = started["conversation"]["id"]
    assigned = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/assignee",
        json={"agent_id": login.agent_id},
        headers=login.headers(),
    )
    assert assigned.status_code == 200, assigned.text
    await _resolve(login, world, conversation_id)
    return visitor, conversation_id


async def _resolve(login: AgentLogin, world: World, conversation_id: int) -> None:
    resolved = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert resolved.status_code == 200, resolved.text


async def _rate(visitor: Visitor, conversation_id: int, **body: Any) -> Any:
    return await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation_id}/rating", json=body
    )


async def test_a_rating_is_stored_shown_to_both_sides_and_given_once_per_ending(
    world: World,
) -> None:
    login = await world.login()
    visitor, conversation_id = await _ended(world, login)
    sock = await visitor.socket({conversation_id: 0})

    rated = await _rate(visitor, conversation_id, score=4, comment="친절했어요")
    assert rated.status_code == 201, rated.text
    rating = rated.json()
    assert (rating["score"], rating["comment"], rating["satisfied"]) == (4, "친절했어요", True)
    assert rating["agent_id"] == login.agent_id and rating["scale"] == "five"

    # The customer's widget gets the line that says this ending is rated.
    frames = await sock.collect()
    lines = [f["data"]["message"] for f in frames if f["type"] == "message.created"]
    assert lines[-1]["content"] == {
        "activity": "rated",
        "score": 4,
        "scale": "five",
        "comment": "친절했어요",
    }
    # The agent sees it in the conversation, and through the API.
    history = await login.client.get(f"{world.base}/conversations/{conversation_id}/messages")
    activities = [m["content"].get("activity") for m in history.json()["messages"]]
    assert activities == [None, "resolved", "rated"]
    listed = await login.client.get(f"{world.base}/conversations/{conversation_id}/ratings")
    assert [r["score"] for r in listed.json()] == [4]

    # One rating per ending.
    again = await _rate(visitor, conversation_id, score=1)
    assert again.status_code == 409 and again.json()["code"] == "already_rated"

    # Writing again reopens it: no rating while it is open; ended again, it may be rated again.
    reopened = await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation_id}/messages",
        json={"body": "하나 더 있어요", "client_id": new_client_id()},
    )
    assert reopened.status_code == 201, reopened.text
    early = await _rate(visitor, conversation_id, score=5)
    assert early.status_code == 409 and early.json()["code"] == "not_resolved"
    await _resolve(login, world, conversation_id)
    second = await _rate(visitor, conversation_id, score=2)
    assert second.status_code == 201, second.text
    listed = await login.client.get(f"{world.base}/conversations/{conversation_id}/ratings")
    assert [r["score"] for r in listed.json()] == [4, 2]
    await sock.close()


async def test_only_the_customer_of_the_conversation_may_rate_it(
    world: World, other_world: World
) -> None:
    login = await world.login()
    _, conversation_id = await _ended(world, login)
    stranger = await world.visitor()
    assert (await _rate(stranger, conversation_id, score=5)).status_code == 404
    elsewhere = await other_world.visitor()
    assert (await _rate(elsewhere, conversation_id, score=5)).status_code == 404
    bad = await _rate(stranger, conversation_id, score=6)
    assert bad.status_code == 422


async def test_the_workspace_chooses_the_scale(world: World) -> None:
    login = await world.login()
    visitor, conversation_id = await _ended(world, login)
    assert (await login.client.get(f"{world.base}/csat/settings")).json() == {
        "rating_scale": "five",
        "ask_comment": True,
    }
    agent = await world.login(world.agent)
    refused = await agent.client.put(
        f"{world.base}/csat/settings",
        json={"rating_scale": "good_bad", "ask_comment": False},
        headers=agent.headers(),
    )
    assert refused.status_code == 403
    changed = await login.client.put(
        f"{world.base}/csat/settings",
        json={"rating_scale": "good_bad", "ask_comment": False},
        headers=login.headers(),
    )
    assert changed.status_code == 200, changed.text
    # The widget learns the scale with its session.
    session = await visitor.client.post("/api/widget/v1/session", json={})
    assert session.json()["config"]["rating"] == {"rating_scale": "good_bad", "ask_comment": False}
    three = await _rate(visitor, conversation_id, score=3)
    assert three.status_code == 409 and three.json()["code"] == "rating_scale"
    good = await _rate(visitor, conversation_id, score=5, comment="ignored")
    assert good.status_code == 201 and good.json()["comment"] is None

    await login.client.put(
        f"{world.base}/csat/settings",
        json={"rating_scale": "off", "ask_comment": False},
        headers=login.headers(),
    )
    later, other = await _ended(world, login, "또 문의")
    off = await _rate(later, other, score=5)
    assert off.status_code == 409 and off.json()["code"] == "ratings_off"


async def test_a_bad_rating_triggers_rated_rules(world: World) -> None:
    login = await world.login()
    unhappy = await make_tag(login, world, "불만")
    happy = await make_tag(login, world, "칭찬")
    await make_rule(
        login,
        world,
        trigger={"event": "rated", "rating": "bad"},
        actions=[
            {"type": "add_tag", "tag_id": unhappy},
            {"type": "add_note", "body": "낮은 평가를 받았어요. 확인해 주세요.", "remind": True},
        ],
    )
    await make_rule(
        login,
        world,
        trigger={"event": "rated", "rating": "good"},
        actions=[{"type": "add_tag", "tag_id": happy}],
    )
    visitor, bad_one = await _ended(world, login)
    assert (await _rate(visitor, bad_one, score=1, comment="너무 느려요")).status_code == 201
    assert (await conversation(login, world, bad_one))["tag_ids"] == [unhappy]
    history = (await login.client.get(f"{world.base}/conversations/{bad_one}/messages")).json()
    assert [m["kind"] for m in history["messages"]][-1] == "note"

    visitor, good_one = await _ended(world, login, "감사합니다")
    assert (await _rate(visitor, good_one, score=5)).status_code == 201
    assert (await conversation(login, world, good_one))["tag_ids"] == [happy]
    visitor, middling = await _ended(world, login, "그저 그래요")
    assert (await _rate(visitor, middling, score=3)).status_code == 201
    assert (await conversation(login, world, middling))["tag_ids"] == []
