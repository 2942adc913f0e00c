"""Each condition kind, matching and not matching."""

from __future__ import annotations

from typing import Any

import pytest

from sangdam.automation.schemas import AttributeCondition, parse_version
from sangdam.automation.service import attribute_holds
from sangdam.inboxes.models import Inbox
from tests.automation.conftest import conversation, make_rule, make_tag
from tests.fixtures.factories import AgentLogin, World, import_demo_faq, new_client_id


async def _tags_after_start(
    login: AgentLogin,
    world: World,
    conditions: list[dict[str, Any]],
    text: str = "문의합니다",
    **visitor_context: Any,
) -> bool:
    """Start a conversation with one rule (conditions -> tag); did the rule tag it?"""
    tag = await make_tag(login, world, f"t{new_client_id()}")
    await make_rule(
        login,
        world,
        trigger={"event": "conversation_created"},
        conditions=conditions,
        actions=[{"type": "add_tag", "tag_id": tag}],
    )
    visitor = await world.visitor(**visitor_context)
    started = (await visitor.start(text))["conversation"]["id"]
    return tag in (await conversation(login, world, started))["tag_ids"]


async def test_channel(world: World) -> None:
    login = await world.login()
    assert await _tags_after_start(login, world, [{"type": "channel", "any_of": ["web_widget"]}])
    assert not await _tags_after_start(login, world, [{"type": "channel", "any_of": ["email"]}])
    async with world.server.db.transaction() as session:
        inbox = await session.get(Inbox, world.inbox.id)
        assert inbox is not None
        inbox.channel_type = "api"
    assert await _tags_after_start(login, world, [{"type": "channel", "any_of": ["api", "email"]}])


async def test_language(world: World) -> None:
    login = await world.login()
    rule = [{"type": "language", "any_of": ["ko"]}]
    assert await _tags_after_start(login, world, rule, locale="ko-KR")
    assert not await _tags_after_start(login, world, rule, locale="en-US")
    assert not await _tags_after_start(login, world, rule)  # unknown language
    assert await _tags_after_start(
        login, world, [{"type": "language", "any_of": ["en", "ja"]}], locale="en-GB"
    )


async def test_text_contains(world: World) -> None:
    login = await world.login()
    rule = [{"type": "text_contains", "any_of": ["환불", "Refund"]}]
    assert await _tags_after_start(login, world, rule, text="환불하고 싶어요")
    assert await _tags_after_start(login, world, rule, text="I need a REFUND")
    assert not await _tags_after_start(login, world, rule, text="배송 문의")


async def test_bot_category(world: World) -> None:
    login = await import_demo_faq(world)
    tags = [await make_tag(login, world, name) for name in ("가격 문의", "기능 문의")]
    for tag, category in zip(tags, ("이용가격", "제품기능"), strict=True):
        await make_rule(
            login,
            world,
            trigger={"event": "handed_off"},
            conditions=[{"type": "bot_category", "any_of": [category]}],
            actions=[{"type": "add_tag", "tag_id": tag}],
        )
    visitor = await world.visitor(locale="ko-KR")
    started = await visitor.client.post(
        "/api/widget/v1/conversations",
        json={"button": "cat:이용가격", "client_id": new_client_id()},
    )
    conversation_id = started.json()["conversation"]["id"]
    handed = await visitor.client.post(
        f"/api/widget/v1/conversations/{conversation_id}/messages",
        json={"button": "human", "client_id": new_client_id()},
    )
    assert handed.status_code == 201, handed.text
    detail = await conversation(login, world, conversation_id)
    assert detail["category"] == "이용가격" and detail["tag_ids"] == [tags[0]]


async def test_business_hours(world: World) -> None:
    login = await world.login()
    assert await _tags_after_start(login, world, [{"type": "business_hours", "open": True}])
    assert not await _tags_after_start(login, world, [{"type": "business_hours", "open": False}])
    teams = (await login.client.get(f"{world.base}/teams")).json()
    general = next(t for t in teams if t["everyone"])
    closed = await login.client.put(
        f"{world.base}/teams/{general['id']}/hours",
        json={"timezone": "Asia/Seoul", "weekly": {}, "holidays": None},
        headers=login.headers(),
    )
    assert closed.status_code == 200 and closed.json()["open_now"] is False
    assert await _tags_after_start(login, world, [{"type": "business_hours", "open": False}])
    assert not await _tags_after_start(login, world, [{"type": "business_hours", "open": True}])


async def test_has_tag_on_conversation_and_contact(world: World) -> None:
    login = await world.login()
    complaint = await make_tag(login, world, "불만")
    vip = await make_tag(login, world, "VIP")
    urgent = await make_tag(login, world, "긴급")
    calm = await make_tag(login, world, "일반")
    await make_rule(
        login,
        world,
        trigger={"event": "tagged", "tag_id": complaint},
        conditions=[{"type": "has_tag", "tag_id": vip, "on": "contact"}],
        actions=[{"type": "add_tag", "tag_id": urgent}],
    )
    await make_rule(
        login,
        world,
        trigger={"event": "tagged", "tag_id": complaint},
        conditions=[{"type": "has_tag", "tag_id": vip, "on": "contact", "present": False}],
        actions=[{"type": "add_tag", "tag_id": calm}],
    )
    results = []
    for is_vip in (True, False):
        visitor = await world.visitor()
        started = (await visitor.start("불편해요"))["conversation"]["id"]
        if is_vip:
            await login.client.post(
                f"{world.base}/contacts/{visitor.contact_id}/tags",
                json={"tag_id": vip},
                headers=login.headers(),
            )
        await login.client.post(
            f"{world.base}/conversations/{started}/tags",
            json={"tag_id": complaint},
            headers=login.headers(),
        )
        results.append((await conversation(login, world, started))["tag_ids"])
    assert results == [sorted([complaint, urgent]), sorted([complaint, calm])]
    # On the conversation itself.
    assert await _tags_after_start(
        login, world, [{"type": "has_tag", "tag_id": complaint, "present": False}]
    )
    assert not await _tags_after_start(login, world, [{"type": "has_tag", "tag_id": complaint}])


def _attr(op: str, value: Any = None, compare: str = "text", key: str = "v") -> AttributeCondition:
    return AttributeCondition(type="attribute", key=key, op=op, value=value, compare=compare)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("actual", "op", "value", "compare", "expected"),
    [
        ("3.1.9", "<", "3.2.0", "version", True),
        ("3.10.0", "<", "3.2.0", "version", False),
        ("3.2", "<", "3.2.0", "version", False),
        ("3.2", "=", "3.2.0", "version", True),
        ("v3.2.0-beta", ">=", "3.2.0", "version", True),
        ("2.9", "<=", "3.0", "version", True),
        ("4", ">", "3.99.1", "version", True),
        ("garbage", "<", "3.2.0", "version", False),
        (12, ">", "9", "number", True),
        ("12", "<", 9, "number", False),
        ("lots", ">", 1, "number", False),
        ("Pro", "=", "pro", "text", True),
        ("pro", "!=", "free", "text", True),
        ("enterprise-pro", "contains", "PRO", "text", True),
        (True, "=", True, "text", True),
        ({"value": "3.0.0", "signed": True}, "<", "3.2.0", "version", True),
    ],
)
def test_attribute_operators(
    actual: Any, op: str, value: Any, compare: str, expected: bool
) -> None:
    assert attribute_holds(_attr(op, value, compare), {"v": actual}) is expected


def test_attribute_presence() -> None:
    assert attribute_holds(_attr("exists"), {"v": "x"})
    assert not attribute_holds(_attr("exists"), {"v": None})
    assert attribute_holds(_attr("not_exists"), {})
    # A missing attribute never matches a comparison, even "!=".
    assert not attribute_holds(_attr("!=", "x"), {})
    assert not attribute_holds(_attr("<", "1.0", "version"), {})


def test_version_parsing() -> None:
    assert parse_version("3.2.0") == (3, 2)
    assert parse_version("v10.0.1") == (10, 0, 1)
    assert parse_version("3.2.0-rc1") == (3, 2)
    assert parse_version("abc") is None
