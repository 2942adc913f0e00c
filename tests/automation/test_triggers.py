"""Each trigger fires where its event happens, inside that change's transaction."""

from __future__ import annotations

from sangdam.contacts.models import Contact
from sangdam.contacts.service import member_hash
from sangdam.conversations.models import Conversation
from sangdam.reactions.schemas import AttributesChanged
from sangdam.reactions.service import react
from sangdam.workspaces.models import Workspace
from tests.automation.conftest import conversation, make_rule, make_tag, messages
from tests.fixtures.factories import World, agent_socket, import_demo_faq, new_client_id


async def test_conversation_created_fires_once_per_conversation(world: World) -> None:
    login = await world.login()
    new = await make_tag(login, world, "신규 문의")
    rule = await make_rule(
        login,
        world,
        trigger={"event": "conversation_created"},
        actions=[{"type": "add_tag", "tag_id": new}],
    )
    visitor = await world.visitor()
    started = (await visitor.start("처음 문의드려요"))["conversation"]["id"]
    assert (await conversation(login, world, started))["tag_ids"] == [new]
    more = await visitor.client.post(
        f"/api/widget/v1/conversations/{started}/messages",
        json={"body": "하나 더요", "client_id": new_client_id()},
    )
    assert more.status_code == 201, more.text
    runs = (await login.client.get(f"{world.base}/automation/rules/{rule['id']}/runs")).json()
    assert [(r["event"], r["conversation_id"]) for r in runs] == [("conversation_created", started)]
    assert runs[0]["actions"] == [{"type": "add_tag", "result": "done"}]


async def test_message_received_fires_for_customer_messages_only(world: World) -> None:
    login = await world.login()
    await make_rule(
        login,
        world,
        trigger={"event": "message_received"},
        conditions=[{"type": "text_contains", "any_of": ["환불", "refund"]}],
        actions=[{"type": "set_priority", "priority": 5}],
    )
    visitor = await world.visitor()
    started = (await visitor.start("안녕하세요"))["conversation"]["id"]
    assert (await conversation(login, world, started))["priority"] == 0
    # An agent writing the word doesn't count: the rule is about what customers send.
    reply = await login.client.post(
        f"{world.base}/conversations/{started}/messages",
        json={"body": "환불 말씀이신가요?"},
        headers=login.headers(),
    )
    assert reply.status_code == 201, reply.text
    assert (await conversation(login, world, started))["priority"] == 0
    asked = await visitor.client.post(
        f"/api/widget/v1/conversations/{started}/messages",
        json={"body": "네 REFUND 부탁드려요", "client_id": new_client_id()},
    )
    assert asked.status_code == 201, asked.text
    assert (await conversation(login, world, started))["priority"] == 5


async def test_handed_off_runs_before_the_conversation_is_queued(world: World) -> None:
    login = await import_demo_faq(world)
    team = await login.client.post(
        f"{world.base}/teams",
        json={"name": "환불팀", "auto_assign": False, "no_answer_minutes": 5, "member_ids": []},
        headers=login.headers(),
    )
    team_id = team.json()["id"]
    await make_rule(
        login,
        world,
        trigger={"event": "handed_off"},
        actions=[{"type": "assign_team", "team_id": team_id}],
    )
    visitor = await world.visitor(locale="ko-KR")
    started = (await visitor.start("상담원 연결해주세요"))["conversation"]["id"]
    detail = await conversation(login, world, started)
    assert detail["status"] == "open" and detail["handed_off_at"]
    async with world.server.db.read() as session:
        row = await session.get(Conversation, started)
        assert row is not None and row.team_id == team_id and row.queued_at is not None
    teams = (await login.client.get(f"{world.base}/teams")).json()
    assert next(t for t in teams if t["id"] == team_id)["queue_size"] == 1


async def test_tagged_fires_for_the_tag_it_names(world: World) -> None:
    login = await world.login()
    agent = await world.login(world.agent)
    complaint = await make_tag(login, world, "불만")
    other = await make_tag(login, world, "기타")
    await make_rule(
        login,
        world,
        name="불만 알림",
        trigger={"event": "tagged", "tag_id": complaint},
        actions=[
            {
                "type": "add_note",
                "body": "{{contact.name | 고객}} 불만 접수: 팀장 확인",
                "remind": True,
            }
        ],
    )
    visitor = await world.visitor()
    started = (await visitor.start("너무 불편해요"))["conversation"]["id"]
    assigned = await login.client.post(
        f"{world.base}/conversations/{started}/assignee",
        json={"agent_id": world.agent.id},
        headers=login.headers(),
    )
    assert assigned.status_code == 200, assigned.text
    agent_ws = await agent_socket(world, agent)
    await agent_ws.until_ready()
    visitor_ws = await visitor.socket({started: 1})
    tagged_other = await login.client.post(
        f"{world.base}/conversations/{started}/tags",
        json={"tag_id": other},
        headers=login.headers(),
    )
    assert tagged_other.status_code == 200 and tagged_other.json()["tag_ids"] == [other]
    assert not [m for m in await messages(login, world, started) if m["kind"] == "note"]
    tagged = await login.client.post(
        f"{world.base}/conversations/{started}/tags",
        json={"tag_id": complaint},
        headers=login.headers(),
    )
    assert tagged.status_code == 200, tagged.text
    notes = [m for m in await messages(login, world, started) if m["kind"] == "note"]
    assert [(n["body"], n["sender_name"], n["content"]["reminder"]) for n in notes] == [
        ("고객 불만 접수: 팀장 확인", "불만 알림", True)
    ]
    # The assignee is reminded like an @mention; the customer sees none of it.
    frames = await agent_ws.collect()
    reminders = [f for f in frames if f["type"] == "mention"]
    assert [(f["data"]["agent_id"], f["data"]["reminder"]) for f in reminders] == [
        (world.agent.id, True)
    ]
    assert [f for f in await visitor_ws.collect() if f["type"] == "message.created"] == []
    await agent_ws.close()
    await visitor_ws.close()


async def test_attribute_changed_tags_customers_with_an_old_app(world: World) -> None:
    """Seed 004: tag "앱 업데이트 필요" and remind the agent when app_version is too old."""
    login = await world.login()
    outdated = await make_tag(login, world, "앱 업데이트 필요")
    await make_rule(
        login,
        world,
        name="구버전 앱",
        trigger={"event": "attribute_changed", "attribute": "app_version"},
        conditions=[
            {
                "type": "attribute",
                "key": "app_version",
                "op": "<",
                "value": "3.2.0",
                "compare": "version",
            }
        ],
        actions=[
            {"type": "add_tag", "tag_id": outdated},
            {
                "type": "add_note",
                "body": "앱 버전이 낮아요. 업데이트를 안내해 주세요.",
                "remind": True,
            },
        ],
    )
    conversations = []
    for version in ("3.1.9", "3.10.0", "3.2"):
        visitor = await world.visitor()
        conversations.append((await visitor.start("앱이 이상해요"))["conversation"]["id"])
        async with world.server.db.transaction() as session:
            contact = await session.get(Contact, visitor.contact_id)
            assert contact is not None
            contact.attributes = {"app_version": version, "plan": "pro"}
            await react(session, AttributesChanged(contact, frozenset({"app_version"})))
    tagged = [(await conversation(login, world, c))["tag_ids"] for c in conversations]
    assert tagged == [[outdated], [], []]
    notes = [
        m["body"] for m in await messages(login, world, conversations[0]) if m["kind"] == "note"
    ]
    assert notes == ["앱 버전이 낮아요. 업데이트를 안내해 주세요."]

    # Another attribute changing doesn't run it; a resolved conversation is left alone.
    visitor = await world.visitor()
    other = (await visitor.start("문의"))["conversation"]["id"]
    async with world.server.db.transaction() as session:
        contact = await session.get(Contact, visitor.contact_id)
        assert contact is not None
        contact.attributes = {"app_version": "1.0.0"}
        await react(session, AttributesChanged(contact, frozenset({"plan"})))
    assert (await conversation(login, world, other))["tag_ids"] == []
    resolved = await login.client.post(
        f"{world.base}/conversations/{other}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    async with world.server.db.transaction() as session:
        contact = await session.get(Contact, visitor.contact_id)
        assert contact is not None
        await react(session, AttributesChanged(contact, frozenset({"app_version"})))
    assert (await conversation(login, world, other))["tag_ids"] == []


async def test_messages_over_the_widget_socket_trigger_rules_too(world: World) -> None:
    login = await world.login()
    await make_rule(
        login,
        world,
        trigger={"event": "message_received"},
        conditions=[{"type": "text_contains", "any_of": ["환불"]}],
        actions=[{"type": "set_priority", "priority": 2}],
    )
    visitor = await world.visitor()
    started = (await visitor.start("안녕하세요"))["conversation"]["id"]
    socket = await visitor.socket({started: 1})
    await socket.send(
        {
            "type": "message.send",
            "conversation_id": started,
            "client_id": new_client_id(),
            "body": "환불 문의요",
        }
    )
    await socket.expect("ack", skip=("ping", "message.created", "conversation.updated"))
    await socket.close()
    assert (await conversation(login, world, started))["priority"] == 2


async def test_a_member_boot_with_an_old_app_runs_the_attribute_rule(world: World) -> None:
    """The widget's Sangdam.boot profile is where app_version comes from (seed 004)."""
    login = await world.login()
    outdated = await make_tag(login, world, "앱 업데이트 필요")
    await make_rule(
        login,
        world,
        trigger={"event": "attribute_changed", "attribute": "app_version"},
        conditions=[
            {
                "type": "attribute",
                "key": "app_version",
                "op": "<",
                "value": "3.2.0",
                "compare": "version",
            }
        ],
        actions=[{"type": "add_tag", "tag_id": outdated}],
    )
    async with world.server.db.read() as session:
        workspace = await session.get(Workspace, world.workspace.id)
        assert workspace is not None
        secret = workspace.identity_secret
    visitor = await world.visitor()
    started = (await visitor.start("앱이 자꾸 꺼져요"))["conversation"]["id"]
    boot = await visitor.client.post(
        "/api/widget/v1/identify",
        json={
            "memberId": "m-old",
            "memberHash": member_hash(secret, "m-old"),
            "profile": {"app_version": "3.1.4"},
        },
    )
    assert boot.status_code == 200, boot.text
    assert (await conversation(login, world, started))["tag_ids"] == [outdated]
    # The same version again changes nothing and runs nothing more.
    again = await visitor.client.post(
        "/api/widget/v1/identify",
        json={
            "memberId": "m-old",
            "memberHash": member_hash(secret, "m-old"),
            "profile": {"app_version": "3.1.4"},
        },
    )
    assert again.status_code == 200
    runs = (await login.client.get(f"{world.base}/automation/rules")).json()
    assert runs[0]["run_count"] == 1
