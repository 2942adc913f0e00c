"""Each action kind; Slack and webhooks against local receivers, as durable jobs."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from sqlalchemy import select, update

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.jobs.models import Job
from tests.automation.conftest import Jobs, conversation, make_rule, make_tag, messages
from tests.fixtures.factories import World
from tests.fixtures.receiver import Receiver


async def test_tag_team_agent_and_priority_actions(world: World) -> None:
    login = await world.login()
    complaint = await make_tag(login, world, "불만")
    vip = await make_tag(login, world, "VIP")
    team = await login.client.post(
        f"{world.base}/teams",
        json={"name": "VIP팀", "auto_assign": False, "no_answer_minutes": 5, "member_ids": []},
        headers=login.headers(),
    )
    team_id = team.json()["id"]
    await make_rule(
        login,
        world,
        trigger={"event": "conversation_created"},
        conditions=[{"type": "text_contains", "any_of": ["화가"]}],
        actions=[
            {"type": "add_tag", "tag_id": complaint},
            {"type": "add_tag", "tag_id": vip, "on": "contact"},
            {"type": "assign_team", "team_id": team_id},
            {"type": "set_priority", "priority": 3},
            {"type": "assign_agent", "agent_id": world.agent.id},
        ],
    )
    visitor = await world.visitor()
    started = (await visitor.start("정말 화가 나네요"))["conversation"]["id"]
    detail = await conversation(login, world, started)
    assert detail["tag_ids"] == [complaint]
    assert detail["priority"] == 3 and detail["assignee_id"] == world.agent.id
    contact_tags = await login.client.get(f"{world.base}/contacts/{visitor.contact_id}/tags")
    assert contact_tags.json()["tag_ids"] == [vip]
    async with world.server.db.read() as session:
        row = await session.get(Conversation, started)
        assert row is not None and row.team_id == team_id
    assignments = (
        await login.client.get(f"{world.base}/conversations/{started}/assignments")
    ).json()
    assert "automation rule" in assignments[-1]["reason"]


async def test_canned_reply_reaches_the_customer_and_notes_never_do(world: World) -> None:
    login = await world.login()
    canned = await login.client.post(
        f"{world.base}/canned-responses",
        json={
            "scope": "workspace",
            "shortcut": "접수",
            "title": "접수 안내",
            "body": "{{contact.name | 고객}}님, {{workspace.name}}입니다. 문의 #{{conversation.id}} 접수했어요.",
        },
        headers=login.headers(),
    )
    await make_rule(
        login,
        world,
        trigger={"event": "conversation_created"},
        actions=[
            {"type": "send_canned_reply", "canned_response_id": canned.json()["id"]},
            {"type": "add_note", "body": "자동 접수됨 ({{contact.email | 이메일 없음}})"},
        ],
    )
    visitor = await world.visitor()
    started = (await visitor.start("문의드립니다"))["conversation"]["id"]
    theirs = (await visitor.client.get(f"/api/widget/v1/conversations/{started}/messages")).json()
    bodies = [(m["sender_type"], m["body"]) for m in theirs["messages"]]
    assert bodies == [
        ("contact", "문의드립니다"),
        ("bot", f"고객님, {world.workspace.name}입니다. 문의 #{started} 접수했어요."),
    ]
    ours = [(m["kind"], m["body"]) for m in await messages(login, world, started)]
    assert ours[-1] == ("note", "자동 접수됨 (이메일 없음)")


async def test_personal_canned_responses_are_not_for_rules(world: World) -> None:
    login = await world.login()
    mine = await login.client.post(
        f"{world.base}/canned-responses",
        json={"shortcut": "내꺼", "title": "개인", "body": "개인 문구"},
        headers=login.headers(),
    )
    response = await login.client.post(
        f"{world.base}/automation/rules",
        json={
            "name": "x",
            "trigger": {"event": "conversation_created"},
            "actions": [{"type": "send_canned_reply", "canned_response_id": mine.json()["id"]}],
        },
        headers=login.headers(),
    )
    assert response.status_code == 422 and "personal" in response.json()["message"]


async def test_slack_notification_is_a_durable_job(world: World, jobs: Jobs) -> None:
    world.server.settings.outbound.allow_private = True  # the receiver listens on 127.0.0.1
    login = await world.login()
    async with Receiver() as slack:
        await make_rule(
            login,
            world,
            name="VIP 알림",
            trigger={"event": "conversation_created"},
            actions=[
                {
                    "type": "notify_slack",
                    "url": f"{slack.url}/services/T0/B0/x",
                    "text": "{{contact.name | 방문자}}님 문의 #{{conversation.id}}",
                }
            ],
        )
        visitor = await world.visitor()
        started = (await visitor.start("급해요"))["conversation"]["id"]
        # Written with the conversation, sent after commit, by the job worker.
        assert slack.requests == []
        await jobs.run_due()
        (request,) = slack.requests
    assert request.path == "/services/T0/B0/x"
    payload = json.loads(request.body)
    assert payload["text"] == f"방문자님 문의 #{started}"
    assert f"?c={started}" in payload["blocks"][1]["elements"][0]["text"]


async def test_webhook_is_signed_and_verified_by_the_receiver(world: World, jobs: Jobs) -> None:
    world.server.settings.outbound.allow_private = True
    login = await world.login()
    async with Receiver() as receiver:
        rule = await make_rule(
            login,
            world,
            name="주문 시스템",
            trigger={"event": "message_received"},
            actions=[{"type": "call_webhook", "url": f"{receiver.url}/hooks/sangdam"}],
        )
        visitor = await world.visitor()
        started = await visitor.start("주문 취소할게요")
        async with world.server.db.transaction() as session:
            await session.execute(
                update(Contact).where(Contact.id == visitor.contact_id).values(name="김고객")
            )
        await jobs.run_due()
        (request,) = receiver.requests

    # What a receiver does: recompute the HMAC over timestamp + "." + raw body.
    timestamp = request.headers["x-sangdam-timestamp"]
    expected = hmac.new(
        rule["webhook_secret"].encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(request.headers["x-sangdam-signature"], f"sha256={expected}")
    assert abs(int(timestamp) - time.time()) < 300
    forged = hmac.new(b"wrong secret", timestamp.encode() + b"." + request.body, hashlib.sha256)
    assert request.headers["x-sangdam-signature"] != f"sha256={forged.hexdigest()}"
    body = json.loads(request.body)
    assert body["event"] == "automation.rule_matched" and body["trigger"] == "message_received"
    assert body["rule"] == {"id": rule["id"], "name": "주문 시스템"}
    assert body["conversation"]["id"] == started["conversation"]["id"]
    assert body["message"]["body"] == "주문 취소할게요"
    assert body["contact"]["name"] == "김고객"  # built when sent, from current data
    assert request.headers["x-sangdam-delivery"] == body["delivery_id"]


async def test_webhooks_to_internal_addresses_are_refused(world: World, jobs: Jobs) -> None:
    login = await world.login()
    for url in (
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.1.2.3/hook",
        "file:///etc/passwd",
    ):
        for action in ("call_webhook", "notify_slack"):
            response = await login.client.post(
                f"{world.base}/automation/rules",
                json={
                    "name": "ssrf",
                    "trigger": {"event": "conversation_created"},
                    "actions": [{"type": action, "url": url}],
                },
                headers=login.headers(),
            )
            assert response.status_code == 400, (url, response.text)
            assert response.json()["message"].startswith("actions[0].url:")
    assert (await login.client.get(f"{world.base}/automation/rules")).json() == []

    # Allowed by the operator when saved; forbidden again by the time it is sent: checked at send.
    world.server.settings.outbound.allow_private = True
    async with Receiver() as receiver:
        await make_rule(
            login,
            world,
            trigger={"event": "conversation_created"},
            actions=[{"type": "call_webhook", "url": f"{receiver.url}/hook"}],
        )
        world.server.settings.outbound.allow_private = False
        await (await world.visitor()).start("hello")
        await jobs.run_due()
        assert receiver.requests == []
    async with world.server.db.read() as session:
        (job,) = (
            await session.execute(
                select(Job).where(
                    Job.workspace_id == world.workspace.id, Job.kind == "automation.webhook"
                )
            )
        ).scalars()
    assert job.status == "pending" and "internal address" in (job.last_error or "")


async def test_a_call_for_a_rule_deleted_since_is_dropped(world: World, jobs: Jobs) -> None:
    world.server.settings.outbound.allow_private = True
    login = await world.login()
    async with Receiver() as receiver:
        rule = await make_rule(
            login,
            world,
            trigger={"event": "conversation_created"},
            actions=[{"type": "call_webhook", "url": f"{receiver.url}/hook"}],
        )
        await (await world.visitor()).start("hello")
        deleted = await login.client.delete(
            f"{world.base}/automation/rules/{rule['id']}", headers=login.headers()
        )
        assert deleted.status_code == 204
        await jobs.run_due()
        assert receiver.requests == []
    async with world.server.db.read() as session:
        (job,) = (
            await session.execute(
                select(Job).where(
                    Job.workspace_id == world.workspace.id, Job.kind == "automation.webhook"
                )
            )
        ).scalars()
    assert job.status == "done" and job.last_error is None
