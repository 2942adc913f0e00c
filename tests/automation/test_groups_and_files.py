"""Conditions combined with AND/OR (a rule's match, and groups inside it), rules saved
before groups still running, and rules exported to a JSON file and imported back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from sangdam.automation.models import AutomationRule
from tests.automation.conftest import conversation, make_rule, make_tag
from tests.fixtures.factories import AgentLogin, World, new_client_id

KOREAN = {"type": "language", "any_of": ["ko"]}
ENGLISH = {"type": "language", "any_of": ["en"]}
REFUND = {"type": "text_contains", "any_of": ["환불", "refund"]}
DELIVERY = {"type": "text_contains", "any_of": ["배송", "delivery"]}


async def _tagged(
    login: AgentLogin, world: World, rule: dict[str, Any], text: str, locale: str
) -> bool:
    """A fresh rule (``rule`` -> a new tag); does a conversation started with ``text`` by a
    visitor speaking ``locale`` get the tag?"""
    tag = await make_tag(login, world, f"t{new_client_id()}")
    made = await make_rule(
        login,
        world,
        trigger={"event": "conversation_created"},
        actions=[{"type": "add_tag", "tag_id": tag}],
        **rule,
    )
    visitor = await world.visitor(locale=locale)
    started = (await visitor.start(text))["conversation"]["id"]
    tagged = tag in (await conversation(login, world, started))["tag_ids"]
    deleted = await login.client.delete(
        f"{world.base}/automation/rules/{made['id']}", headers=login.headers()
    )
    assert deleted.status_code == 204
    return tagged


async def test_any_of_the_conditions(world: World) -> None:
    login = await world.login()
    rule = {"match": "any", "conditions": [REFUND, DELIVERY]}
    assert await _tagged(login, world, rule, "환불해 주세요", "ko-KR")
    assert await _tagged(login, world, rule, "배송이 늦어요", "ko-KR")
    assert not await _tagged(login, world, rule, "가격이 궁금해요", "ko-KR")
    # The same conditions with "all" need both.
    both = {"match": "all", "conditions": [REFUND, DELIVERY]}
    assert not await _tagged(login, world, both, "환불해 주세요", "ko-KR")
    assert await _tagged(login, world, both, "배송이 늦어서 환불해 주세요", "ko-KR")


async def test_groups_inside_a_rule(world: World) -> None:
    login = await world.login()
    # Korean and (refund or delivery).
    korean_about_orders = {
        "match": "all",
        "conditions": [KOREAN, {"type": "group", "match": "any", "conditions": [REFUND, DELIVERY]}],
    }
    assert await _tagged(login, world, korean_about_orders, "배송 언제 와요?", "ko-KR")
    assert not await _tagged(login, world, korean_about_orders, "when is my delivery?", "en-US")
    assert not await _tagged(login, world, korean_about_orders, "안녕하세요", "ko-KR")
    # (Korean and refund) or (English and delivery).
    either = {
        "match": "any",
        "conditions": [
            {"type": "group", "match": "all", "conditions": [KOREAN, REFUND]},
            {"type": "group", "match": "all", "conditions": [ENGLISH, DELIVERY]},
        ],
    }
    assert await _tagged(login, world, either, "환불 문의", "ko-KR")
    assert await _tagged(login, world, either, "late delivery", "en-US")
    assert not await _tagged(login, world, either, "refund please", "en-US")


async def test_a_rule_saved_before_groups_runs_as_before(world: World) -> None:
    """Stored definitions without "match" (every rule made before groups) mean "all"."""
    login = await world.login()
    tag = await make_tag(login, world, "환불")
    made = await make_rule(
        login,
        world,
        trigger={"event": "conversation_created"},
        conditions=[KOREAN, REFUND],
        actions=[{"type": "add_tag", "tag_id": tag}],
    )
    old_definition = {
        "trigger": {"event": "conversation_created"},
        "conditions": [KOREAN, REFUND],
        "actions": [{"type": "add_tag", "tag_id": tag, "on": "conversation"}],
    }
    async with world.server.db.transaction() as session:
        await session.execute(
            update(AutomationRule)
            .where(AutomationRule.id == made["id"])
            .values(definition=old_definition)
        )
    listed = (await login.client.get(f"{world.base}/automation/rules/{made['id']}")).json()
    assert listed["match"] == "all"
    for text, expected in (("환불해 주세요", True), ("배송 문의", False)):
        visitor = await world.visitor(locale="ko-KR")
        started = (await visitor.start(text))["conversation"]["id"]
        assert (tag in (await conversation(login, world, started))["tag_ids"]) is expected


async def test_bad_groups_are_refused_with_the_field(world: World, other_world: World) -> None:
    login = await world.login()
    foreign_tag = await make_tag(await other_world.login(), other_world, "남의 태그")
    tag = await make_tag(login, world, "내 태그")
    action = [{"type": "add_tag", "tag_id": tag}]
    for conditions, expected in (
        ([{"type": "group", "match": "any", "conditions": []}], "conditions"),
        ([{"type": "group", "match": "sometimes", "conditions": [KOREAN]}], "match"),
        (
            [{"type": "group", "conditions": [{"type": "group", "conditions": [KOREAN]}]}],
            "conditions",
        ),
        (
            [{"type": "group", "conditions": [{"type": "has_tag", "tag_id": foreign_tag}]}],
            "conditions[0].conditions[0].tag_id",
        ),
    ):
        response = await login.client.post(
            f"{world.base}/automation/rules",
            json={
                "name": "x",
                "trigger": {"event": "conversation_created"},
                "conditions": conditions,
                "actions": action,
            },
            headers=login.headers(),
        )
        assert response.status_code == 422, (conditions, response.text)
        assert expected in response.json()["message"], response.text


async def test_rules_export_to_a_file_and_import_back(world: World) -> None:
    login = await world.login()
    tag = await make_tag(login, world, "앱 업데이트 필요")
    await make_rule(
        login,
        world,
        name="구버전 앱 안내",
        trigger={"event": "attribute_changed", "attribute": "app_version"},
        match="any",
        conditions=[
            {
                "type": "attribute",
                "key": "app_version",
                "op": "<",
                "value": "3.2.0",
                "compare": "version",
            },
            {"type": "group", "match": "all", "conditions": [KOREAN, REFUND]},
        ],
        actions=[{"type": "add_tag", "tag_id": tag}, {"type": "add_note", "body": "업데이트 안내"}],
    )
    exported = await login.client.get(f"{world.base}/automation/rules/export")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    rules = exported.json()
    assert [r["name"] for r in rules] == ["구버전 앱 안내"]
    assert rules[0]["match"] == "any" and rules[0]["conditions"][1]["type"] == "group"
    assert "webhook_secret" not in rules[0] and "id" not in rules[0]

    # A file with one bad rule changes nothing, and says which rule is wrong.
    broken = [
        *rules,
        {**rules[0], "name": "깨진 규칙", "actions": [{"type": "add_tag", "tag_id": 999_999}]},
    ]
    refused = await login.client.post(
        f"{world.base}/automation/rules/import", json=broken, headers=login.headers()
    )
    assert refused.status_code == 422, refused.text
    assert "Rule 2 (깨진 규칙)" in refused.json()["message"]
    assert len((await login.client.get(f"{world.base}/automation/rules")).json()) == 1

    # Imported as a copy, then replacing everything with the file.
    added = await login.client.post(
        f"{world.base}/automation/rules/import", json=rules, headers=login.headers()
    )
    assert added.json() == {"created": 1, "deleted": 0}
    replaced = await login.client.post(
        f"{world.base}/automation/rules/import?replace=true", json=rules, headers=login.headers()
    )
    assert replaced.json() == {"created": 1, "deleted": 2}
    listed = (await login.client.get(f"{world.base}/automation/rules")).json()
    assert [(r["name"], r["match"], r["conditions"]) for r in listed] == [
        (rules[0]["name"], "any", rules[0]["conditions"])
    ]
    # Agents may neither export nor import.
    agent = await world.login(world.agent)
    assert (await agent.client.get(f"{world.base}/automation/rules/export")).status_code == 403
    refused = await agent.client.post(
        f"{world.base}/automation/rules/import", json=rules, headers=agent.headers()
    )
    assert refused.status_code == 403
