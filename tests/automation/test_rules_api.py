"""Managing rules: validation with clear errors, admins only, never across workspaces; loops."""

from __future__ import annotations

from typing import Any

from tests.automation.conftest import conversation, make_rule, make_tag
from tests.fixtures.factories import AgentLogin, World


async def _post(login: AgentLogin, world: World, rule: dict[str, Any]) -> Any:
    return await login.client.post(
        f"{world.base}/automation/rules", json={"name": "r", **rule}, headers=login.headers()
    )


async def test_invalid_rules_are_refused_with_the_field_that_is_wrong(world: World) -> None:
    login = await world.login()
    tag = await make_tag(login, world, "불만")
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"trigger": {"event": "sometimes"}, "actions": [{"type": "add_tag", "tag_id": tag}]},
            "trigger.event",
        ),
        ({"trigger": {"event": "tagged"}, "actions": []}, "actions"),
        (
            {
                "trigger": {"event": "tagged"},
                "conditions": [{"type": "weather", "any_of": ["sunny"]}],
                "actions": [{"type": "add_tag", "tag_id": tag}],
            },
            "conditions.0",
        ),
        (
            {
                "trigger": {"event": "tagged"},
                "conditions": [
                    {"type": "attribute", "key": "app_version", "op": "<", "value": "3.2.0"}
                ],
                "actions": [{"type": "add_tag", "tag_id": tag}],
            },
            "compare 'number' or 'version'",
        ),
        (
            {
                "trigger": {"event": "tagged"},
                "conditions": [
                    {
                        "type": "attribute",
                        "key": "v",
                        "op": "<",
                        "value": "new",
                        "compare": "version",
                    }
                ],
                "actions": [{"type": "add_tag", "tag_id": tag}],
            },
            "not a version",
        ),
        (
            {
                "trigger": {"event": "tagged"},
                "actions": [{"type": "add_tag", "tag_id": tag, "colour": 1}],
            },
            "colour",
        ),
        (
            {"trigger": {"event": "tagged"}, "actions": [{"type": "set_priority", "priority": 99}]},
            "priority",
        ),
    ]
    for rule, hint in cases:
        response = await _post(login, world, rule)
        assert response.status_code == 422, (rule, response.text)
        assert hint in response.json()["message"], (hint, response.json()["message"])


async def test_rules_name_only_this_workspaces_things(world: World, other_world: World) -> None:
    login = await world.login()
    stranger = await other_world.login()
    their_tag = await make_tag(stranger, other_world, "외부")
    their_team = (await stranger.client.get(f"{other_world.base}/teams")).json()[0]["id"]
    for rule, hint in (
        (
            {
                "trigger": {"event": "tagged", "tag_id": their_tag},
                "actions": [{"type": "set_priority", "priority": 1}],
            },
            "trigger.tag_id",
        ),
        (
            {"trigger": {"event": "tagged"}, "actions": [{"type": "add_tag", "tag_id": their_tag}]},
            "actions[0].tag_id",
        ),
        (
            {
                "trigger": {"event": "tagged"},
                "conditions": [{"type": "has_tag", "tag_id": their_tag}],
                "actions": [{"type": "set_priority", "priority": 1}],
            },
            "conditions[0].tag_id",
        ),
        (
            {
                "trigger": {"event": "tagged"},
                "actions": [{"type": "assign_team", "team_id": their_team}],
            },
            "actions[0]",
        ),
        (
            {
                "trigger": {"event": "tagged"},
                "actions": [{"type": "assign_agent", "agent_id": other_world.owner.id}],
            },
            "actions[0]",
        ),
    ):
        response = await _post(login, world, rule)
        assert response.status_code == 422, response.text
        assert hint in response.json()["message"] and "does not exist" in response.json()["message"]


async def test_only_admins_of_the_workspace_manage_rules(world: World, other_world: World) -> None:
    owner = await world.login()
    agent = await world.login(world.agent)
    stranger = await other_world.login()
    rule = await make_rule(
        owner, world, trigger={"event": "tagged"}, actions=[{"type": "set_priority", "priority": 1}]
    )
    body = {
        "name": "x",
        "trigger": {"event": "tagged"},
        "actions": [{"type": "set_priority", "priority": 2}],
    }
    url = f"{world.base}/automation/rules"
    # An agent of the workspace: forbidden, every verb.
    assert (await agent.client.get(url)).status_code == 403
    assert (await agent.client.post(url, json=body, headers=agent.headers())).status_code == 403
    for method in ("get", "put", "delete"):
        kwargs: dict[str, Any] = {"headers": agent.headers()}
        if method == "put":
            kwargs["json"] = body
        response = await getattr(agent.client, method)(f"{url}/{rule['id']}", **kwargs)
        assert response.status_code == 403, method
    # Another workspace's admin: not found, through either workspace's path.
    assert (await stranger.client.get(url)).status_code == 404
    for method in ("get", "put", "delete"):
        kwargs = {"headers": stranger.headers()}
        if method == "put":
            kwargs["json"] = body
        response = await getattr(stranger.client, method)(
            f"{other_world.base}/automation/rules/{rule['id']}", **kwargs
        )
        assert response.status_code == 404, method
    runs = await stranger.client.get(f"{other_world.base}/automation/rules/{rule['id']}/runs")
    assert runs.status_code == 404
    assert (await stranger.client.get(f"{other_world.base}/automation/rules")).json() == []
    # The admin edits and deletes it.
    edited = await owner.client.put(f"{url}/{rule['id']}", json=body, headers=owner.headers())
    assert edited.status_code == 200 and edited.json()["actions"][0]["priority"] == 2
    assert edited.json()["webhook_secret"] == rule["webhook_secret"]
    assert (
        await owner.client.delete(f"{url}/{rule['id']}", headers=owner.headers())
    ).status_code == 204
    assert (await owner.client.get(url)).json() == []


async def test_a_rule_never_retriggers_itself_and_chains_stop(world: World) -> None:
    login = await world.login()
    names = ["X", "A", "B", "C", "D"]
    tag = {name: await make_tag(login, world, name) for name in names}
    # Any tag -> A: tagging A would run this rule again, forever, without the guard.
    greedy = await make_rule(
        login, world, trigger={"event": "tagged"}, actions=[{"type": "add_tag", "tag_id": tag["A"]}]
    )
    # A -> B -> C -> D: a chain four rules deep.
    for before, after in (("A", "B"), ("B", "C"), ("C", "D")):
        await make_rule(
            login,
            world,
            trigger={"event": "tagged", "tag_id": tag[before]},
            actions=[{"type": "add_tag", "tag_id": tag[after]}],
        )
    visitor = await world.visitor()
    started = (await visitor.start("hello"))["conversation"]["id"]
    response = await login.client.post(
        f"{world.base}/conversations/{started}/tags",
        json={"tag_id": tag["X"]},
        headers=login.headers(),
    )
    assert response.status_code == 200, response.text
    got = set((await conversation(login, world, started))["tag_ids"])
    # X (by hand) -> A (greedy) -> B -> C; D would be a fourth rule deep: stopped.
    assert got == {tag["X"], tag["A"], tag["B"], tag["C"]}
    runs = (await login.client.get(f"{world.base}/automation/rules/{greedy['id']}/runs")).json()
    assert len(runs) == 1
