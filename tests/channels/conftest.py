"""A local server that speaks the documented Telegram Bot API and LINE Messaging API,
records what it is sent, and can refuse or go down; and helpers to play the platforms'
webhook deliveries (signed as each platform signs them)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from sangdam.jobs.service import run_one
from tests.fixtures.factories import AgentLogin, World
from tests.fixtures.http_stub import HttpStub, Received, Reply
from tests.fixtures.jobs import driving_jobs

# One key for the whole session: the server's settings object is shared by every test.
SECRET_KEYS = Fernet.generate_key().decode()
_ids = itertools.count(1000)


@dataclass
class Messengers:
    """The platforms' APIs. ``refuse`` makes sends answer like a bot blocked by the user."""

    stub: HttpStub | None = None
    refuse: bool = False
    telegram: list[dict[str, Any]] = field(default_factory=list)
    line: list[Received] = field(default_factory=list)
    retry_keys: set[str] = field(default_factory=set)
    answered: list[str] = field(default_factory=list)

    def answer(self, request: Received) -> Reply:
        if request.path.startswith("/bot0:revoked/"):
            return Reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if request.path.endswith("/sendMessage"):
            if self.refuse:
                return Reply(
                    403,
                    {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"},
                )
            body = request.json()
            self.telegram.append({"token": request.path.split("/")[1][3:], **body})
            return Reply(200, {"ok": True, "result": {"message_id": next(_ids), "text": "x"}})
        if request.path.endswith("/getMe"):
            return Reply(
                200, {"ok": True, "result": {"id": 1, "is_bot": True, "username": "t_bot"}}
            )
        if request.path.endswith("/answerCallbackQuery"):
            self.answered.append(request.json()["callback_query_id"])
            return Reply(200, {"ok": True, "result": True})
        if request.path.endswith("/setWebhook"):
            return Reply(200, {"ok": True, "result": True, "description": "Webhook was set"})
        if request.path == "/v2/bot/message/push":
            if not request.headers.get("authorization", "").startswith("Bearer "):
                return Reply(401, {"message": "Authentication failed"})
            key = request.headers.get("x-line-retry-key", "")
            if key in self.retry_keys:
                # LINE's documented answer to a retry key it already accepted.
                return Reply(409, {"message": "The retry key is already accepted"})
            if key:
                self.retry_keys.add(key)
            self.line.append(request)
            return Reply(200, {"sentMessages": [{"id": str(next(_ids)), "quoteToken": "q"}]})
        if request.path.startswith("/v2/bot/profile/"):
            user_id = request.path.rsplit("/", 1)[1]
            if user_id.startswith("Unot"):
                return Reply(404, {"message": "Not found"})  # not a friend of the account
            return Reply(200, {"displayName": "수진", "userId": user_id, "language": "ko"})
        if request.path == "/v2/bot/info":
            return Reply(200, {"userId": "Ubot", "basicId": "@123abc", "displayName": "Shop"})
        if request.path == "/v2/bot/channel/webhook/endpoint":
            return Reply(200, {})
        return Reply(404, {"message": "Not found"})

    async def start(self, port: int | None = None) -> None:
        self.stub = HttpStub(self.answer)
        if port is not None:
            self.stub.port = port
        await self.stub.__aenter__()

    async def stop(self) -> None:
        assert self.stub is not None
        await self.stub.__aexit__()


@pytest.fixture
async def messengers(world: World) -> AsyncIterator[Messengers]:
    """The fake APIs, the server pointed at them, and the job worker driven by the test."""
    settings = world.server.settings
    fake = Messengers()
    await fake.start()
    assert fake.stub is not None
    settings.channels.secret_keys = SecretStr(SECRET_KEYS)
    settings.channels.telegram_api_url = fake.stub.url
    settings.channels.line_api_url = fake.stub.url
    settings.outbound.allow_private = True  # the fake APIs listen on 127.0.0.1
    async with driving_jobs(world.server):
        try:
            yield fake
        finally:
            settings.outbound.allow_private = False
            if fake.stub is not None and fake.stub.server is not None:
                await fake.stub.__aexit__()


async def run_jobs(world: World) -> int:
    ran = 0
    while await run_one(world.server.db):
        ran += 1
    return ran


async def connect(login: AgentLogin, world: World, kind: str, **given: str) -> dict[str, Any]:
    response = await login.client.post(
        f"{world.base}/channels",
        json={"kind": kind, "name": f"{kind} inbox", **given},
        headers=login.headers(),
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def telegram_channel(login: AgentLogin, world: World) -> dict[str, Any]:
    return await connect(login, world, "telegram", bot_token=f"12345:{secrets.token_hex(8)}")


async def line_channel(login: AgentLogin, world: World) -> dict[str, Any]:
    """The channel as the API answers, plus the secret the test signs deliveries with."""
    secret = secrets.token_hex(16)
    channel = await connect(
        login, world, "line", channel_secret=secret, channel_access_token=secrets.token_urlsafe(40)
    )
    return {**channel, "channel_secret": secret}


def telegram_update(
    text: str, *, user_id: int = 777, update_id: int | None = None, name: str = "민수"
) -> dict[str, Any]:
    """A private-chat text message, as the Bot API documents ``Update``."""
    return {
        "update_id": update_id if update_id is not None else next(_ids),
        "message": {
            "message_id": next(_ids),
            "from": {"id": user_id, "is_bot": False, "first_name": name, "language_code": "ko"},
            "chat": {"id": user_id, "first_name": name, "type": "private"},
            "date": 1764680000,
            "text": text,
        },
    }


async def deliver_telegram(
    world: World, channel: dict[str, Any], update: dict[str, Any], secret: str | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as client:
        return await client.post(
            channel["webhook_url"],
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": secret or channel["webhook_secret"]},
        )


def line_body(text: str, *, user_id: str = "U4af4980629", event_id: str | None = None) -> bytes:
    """A text message event, as the Messaging API documents the webhook body."""
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": 1764680000000,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or f"01H{secrets.token_hex(10).upper()}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": secrets.token_hex(16),
        "message": {"id": str(next(_ids)), "type": "text", "quoteToken": "q", "text": text},
    }
    return json.dumps({"destination": "Ubot", "events": [event]}, ensure_ascii=False).encode()


def line_signature(channel_secret: str, body: bytes) -> str:
    return base64.b64encode(
        hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    ).decode()


async def deliver_line(url: str, body: bytes, signature: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as client:
        return await client.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", "X-Line-Signature": signature},
        )
