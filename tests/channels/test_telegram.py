"""Telegram end to end: a customer's message through the webhook becomes a conversation the
agent sees with its channel; the agent's reply goes out through sendMessage exactly once,
also when the API was down in between; forged and repeated deliveries change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import func, select, update

from sangdam.channels.models import ChannelAccount, ChannelSend, ChannelUpdate
from sangdam.jobs.models import Job
from sangdam.jobs.service import run_one
from tests.channels.conftest import (
    Messengers,
    deliver_telegram,
    run_jobs,
    telegram_channel,
    telegram_update,
)
from tests.fixtures.factories import AgentLogin, World


async def _conversations(login: AgentLogin, world: World) -> list[dict[str, Any]]:
    response = await login.client.get(f"{world.base}/conversations")
    assert response.status_code == 200, response.text
    return response.json()["conversations"]  # type: ignore[no-any-return]


async def _messages(login: AgentLogin, world: World, conversation_id: int) -> list[dict[str, Any]]:
    response = await login.client.get(f"{world.base}/conversations/{conversation_id}/messages")
    return response.json()["messages"]  # type: ignore[no-any-return]


async def _reply(login: AgentLogin, world: World, conversation_id: int, body: str) -> int:
    response = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": body},
        headers=login.headers(),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _reply_jobs(world: World) -> list[Job]:
    async with world.server.db.read() as session:
        stmt = select(Job).where(
            Job.workspace_id == world.workspace.id, Job.kind == "channels.reply"
        )
        return list((await session.execute(stmt)).scalars())


async def _inbound(
    world: World, messengers: Messengers, text: str
) -> tuple[AgentLogin, dict[str, Any], dict[str, Any]]:
    login = await world.login()
    channel = await telegram_channel(login, world)
    response = await deliver_telegram(world, channel, telegram_update(text))
    assert response.status_code == 200, response.text
    await run_jobs(world)
    (conversation,) = await _conversations(login, world)
    return login, channel, conversation


async def test_a_message_becomes_a_conversation_and_the_reply_one_api_call(
    world: World, messengers: Messengers
) -> None:
    login, channel, conversation = await _inbound(world, messengers, "배송이 언제 오나요?")
    assert conversation["origin"]["channel"] == "telegram"
    assert conversation["inbox_id"] == channel["inbox_id"]
    assert conversation["contact_name"] == "민수"
    (message,) = await _messages(login, world, conversation["id"])
    assert message["body"] == "배송이 언제 오나요?" and message["sender_type"] == "contact"
    assert message["content"]["channel"] == "telegram"

    await _reply(login, world, conversation["id"], "내일 도착합니다.")
    assert messengers.telegram == []  # nothing leaves before the job runs
    await run_jobs(world)
    (sent,) = messengers.telegram
    assert sent["chat_id"] == "777" and sent["text"] == "내일 도착합니다."
    assert "reply_markup" not in sent

    # The job run again (a worker that died after sending, a retry) sends nothing more.
    (job,) = await _reply_jobs(world)
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(status="pending", run_at=dt.datetime.now(dt.UTC))
        )
    assert await run_one(world.server.db)
    assert len(messengers.telegram) == 1

    # The customer's next message continues the same conversation.
    response = await deliver_telegram(world, channel, telegram_update("감사합니다"))
    assert response.status_code == 200
    await run_jobs(world)
    assert [c["id"] for c in await _conversations(login, world)] == [conversation["id"]]
    assert [m["body"] for m in await _messages(login, world, conversation["id"])][
        -1
    ] == "감사합니다"


async def test_a_button_press_is_the_customers_message_and_is_answered(
    world: World, messengers: Messengers
) -> None:
    login, channel, conversation = await _inbound(world, messengers, "메뉴 보여주세요")
    press = {
        "update_id": 99001,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {"id": 777, "is_bot": False, "first_name": "민수"},
            "message": {"message_id": 5, "chat": {"id": 777, "type": "private"}, "date": 1},
            "chat_instance": "-1",
            "data": "상담원 연결",
        },
    }
    response = await deliver_telegram(world, channel, press)
    assert response.status_code == 200
    await run_jobs(world)
    last = (await _messages(login, world, conversation["id"]))[-1]
    assert last["body"] == "상담원 연결" and last["content"]["type"] == "button"
    assert messengers.answered == ["4382bfdwdsb323b2d9"]


async def test_a_long_reply_is_split_at_the_channel_limit(
    world: World, messengers: Messengers
) -> None:
    login, _channel, conversation = await _inbound(world, messengers, "자세히 알려주세요")
    paragraph = "가" * 2400  # 4802 characters: within Sangdam's 5000, past Telegram's 4096
    await _reply(login, world, conversation["id"], f"{paragraph}\n\n{paragraph}")
    await run_jobs(world)
    assert [m["text"] for m in messengers.telegram] == [paragraph, paragraph]
    async with world.server.db.read() as session:
        send = (
            await session.execute(
                select(ChannelSend).where(ChannelSend.workspace_id == world.workspace.id)
            )
        ).scalar_one()
    assert send.status == "sent" and send.parts_sent == send.parts_total == 2


async def test_a_forged_delivery_is_refused(world: World, messengers: Messengers) -> None:
    login = await world.login()
    channel = await telegram_channel(login, world)
    forged = await deliver_telegram(world, channel, telegram_update("hi"), secret="guessed")
    assert forged.status_code == 401
    assert forged.json()["code"] == "bad_signature"
    async with httpx_client() as client:
        missing = await client.post(channel["webhook_url"], json=telegram_update("hi"))
    assert missing.status_code == 401
    unknown = channel["webhook_url"].rsplit("/", 1)[0] + "/" + "0" * 32
    async with httpx_client() as client:
        answer = await client.post(
            unknown,
            json=telegram_update("hi"),
            headers={"X-Telegram-Bot-Api-Secret-Token": channel["webhook_secret"]},
        )
    assert answer.status_code == 404
    assert await run_jobs(world) == 0
    assert await _conversations(login, world) == []


async def test_a_repeated_delivery_is_stored_once(world: World, messengers: Messengers) -> None:
    login = await world.login()
    channel = await telegram_channel(login, world)
    update_body = telegram_update("두 번 와도 한 번", update_id=4242)
    for _ in range(3):
        response = await deliver_telegram(world, channel, update_body)
        assert response.status_code == 200
    await run_jobs(world)
    (conversation,) = await _conversations(login, world)
    assert [m["body"] for m in await _messages(login, world, conversation["id"])] == [
        "두 번 와도 한 번"
    ]
    async with world.server.db.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ChannelUpdate)
            .where(ChannelUpdate.workspace_id == world.workspace.id)
        )
    assert count == 1


async def test_the_api_down_then_back_sends_the_reply_once(
    world: World, messengers: Messengers
) -> None:
    login, _channel, conversation = await _inbound(world, messengers, "답장 기다릴게요")
    assert messengers.stub is not None
    port = messengers.stub.port
    await messengers.stop()  # Telegram is unreachable

    await _reply(login, world, conversation["id"], "서버가 돌아오면 받으실 답장")
    assert await run_one(world.server.db)
    (job,) = await _reply_jobs(world)
    assert job.status == "pending" and job.attempts == 1 and job.last_error
    assert job.run_at > dt.datetime.now(dt.UTC)  # backing off
    assert not await run_one(world.server.db)

    await messengers.start(port)
    async with world.server.db.transaction() as session:  # don't wait out the backoff
        await session.execute(
            update(Job).where(Job.id == job.id).values(run_at=dt.datetime.now(dt.UTC))
        )
    assert await run_one(world.server.db)
    assert not await run_one(world.server.db)
    (job,) = await _reply_jobs(world)
    assert job.status == "done" and job.attempts == 2
    assert [m["text"] for m in messengers.telegram] == ["서버가 돌아오면 받으실 답장"]


async def test_a_refusal_ends_with_a_note_for_agents(world: World, messengers: Messengers) -> None:
    login, _channel, conversation = await _inbound(world, messengers, "차단할게요")
    messengers.refuse = True
    await _reply(login, world, conversation["id"], "닿지 않을 답장")
    await run_jobs(world)
    (job,) = await _reply_jobs(world)
    assert job.status == "done" and job.attempts == 1  # no retry can fix a blocked bot
    notes = [m for m in await _messages(login, world, conversation["id"]) if m["kind"] == "note"]
    (note,) = notes
    assert "Telegram" in note["body"] and "blocked" in note["body"]


async def test_a_channel_of_one_workspace_never_delivers_into_another(
    world: World, other_world: World, messengers: Messengers
) -> None:
    login = await world.login()
    other_login = await other_world.login()
    ours = await telegram_channel(login, world)
    theirs = await telegram_channel(other_login, other_world)
    # Our update, with our secret, at their address: their secret does not match.
    crossed = await deliver_telegram(
        world, theirs, telegram_update("잘못 온 메시지"), ours["webhook_secret"]
    )
    assert crossed.status_code == 401
    response = await deliver_telegram(world, ours, telegram_update("우리 고객", user_id=999))
    assert response.status_code == 200
    await run_jobs(world)
    assert len(await _conversations(login, world)) == 1
    assert await _conversations(other_login, other_world) == []
    # Their admin cannot see or use our channel either.
    listed = await other_login.client.get(f"{other_world.base}/channels")
    assert [c["id"] for c in listed.json()] == [theirs["id"]]
    probe = await other_login.client.post(
        f"{other_world.base}/channels/{ours['id']}/connect", headers=other_login.headers()
    )
    assert probe.status_code == 404


async def test_credentials_are_encrypted_at_rest_and_admins_only(
    world: World, messengers: Messengers
) -> None:
    login = await world.login()
    token = "98765:secret-bot-token-value"
    response = await login.client.post(
        f"{world.base}/channels",
        json={"kind": "telegram", "name": "텔레그램", "bot_token": token},
        headers=login.headers(),
    )
    assert response.status_code == 201, response.text
    channel = response.json()
    assert channel["webhook_url"].startswith(world.server.base_url + "/api/channels/v1/telegram/")
    assert token not in response.text
    async with world.server.db.read() as session:
        stored = (
            await session.execute(select(ChannelAccount).where(ChannelAccount.id == channel["id"]))
        ).scalar_one()
    assert token not in stored.credentials and channel["webhook_secret"] not in stored.credentials

    agent = await world.login(world.agent)
    refused = await agent.client.post(
        f"{world.base}/channels",
        json={"kind": "telegram", "name": "x", "bot_token": "1:abc"},
        headers=agent.headers(),
    )
    assert refused.status_code == 403
    missing = await login.client.post(
        f"{world.base}/channels",
        json={"kind": "line", "name": "x", "channel_secret": "s"},
        headers=login.headers(),
    )
    assert missing.status_code == 400 and "channel_access_token" in missing.json()["message"]

    # "Connect" checks the token with getMe and sets the webhook with its secret.
    connected = await login.client.post(
        f"{world.base}/channels/{channel['id']}/connect", headers=login.headers()
    )
    assert connected.json() == {"ok": True, "account_name": "@t_bot", "problem": ""}
    assert messengers.stub is not None
    (set_webhook,) = [r for r in messengers.stub.received if r.path.endswith("/setWebhook")]
    assert set_webhook.path == f"/bot{token}/setWebhook"
    assert set_webhook.json()["url"] == channel["webhook_url"]
    assert set_webhook.json()["secret_token"] == channel["webhook_secret"]


async def test_connect_says_what_the_platform_answered(
    world: World, messengers: Messengers
) -> None:
    login = await world.login()
    response = await login.client.post(
        f"{world.base}/channels",
        json={"kind": "telegram", "name": "old bot", "bot_token": "0:revoked"},
        headers=login.headers(),
    )
    channel = response.json()
    answer = await login.client.post(
        f"{world.base}/channels/{channel['id']}/connect", headers=login.headers()
    )
    assert answer.status_code == 200
    assert answer.json() == {"ok": False, "account_name": "", "problem": "Unauthorized"}
    assert messengers.stub is not None
    assert not [r for r in messengers.stub.received if r.path.endswith("/setWebhook")]


def httpx_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=20)


async def test_webhook_floods_are_limited_per_account_and_per_address(
    world: World, messengers: Messengers
) -> None:
    """The webhook is public: a flood at one account, or made-up keys from one address,
    gets 429 before any signature check or lookup; other accounts keep receiving."""
    login = await world.login()
    flooded, other = await telegram_channel(login, world), await telegram_channel(login, world)
    rates = world.server.settings.rate_limits
    saved = rates.model_copy()
    try:
        rates.webhooks_per_channel_per_minute = 3
        for n in range(3):
            accepted = await deliver_telegram(world, flooded, telegram_update(f"하나 {n}"))
            assert accepted.status_code == 200, accepted.text
        refused = await deliver_telegram(world, flooded, telegram_update("넷"))
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert (
            await deliver_telegram(world, other, telegram_update("다른 계정"))
        ).status_code == 200

        rates.webhooks_per_channel_per_minute = saved.webhooks_per_channel_per_minute
        rates.webhooks_per_address_per_minute = 2
        base = flooded["webhook_url"].rsplit("/", 1)[0]
        async with httpx_client() as client:
            guesses = [
                (await client.post(f"{base}/{n:032x}", json=telegram_update("?"))).status_code
                for n in range(4)
            ]
        assert guesses[-1] == 429 and 404 in guesses
    finally:
        world.server.settings.rate_limits = saved
    await run_jobs(world)
    bodies = []
    for conversation in await _conversations(login, world):
        messages = await _messages(login, world, conversation["id"])
        bodies += [m["body"] for m in messages if m["sender_type"] == "contact"]
    assert sorted(bodies) == sorted(["하나 0", "하나 1", "하나 2", "다른 계정"])
