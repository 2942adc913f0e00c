"""Telegram Bot API: webhook updates in, ``sendMessage`` out (https://core.telegram.org/bots/api).

Inbound: Telegram POSTs each ``Update`` to the webhook URL given to ``setWebhook`` and
echoes the ``secret_token`` given there in ``X-Telegram-Bot-Api-Secret-Token``; Sangdam
generates that secret per bot. ``update_id`` identifies a repeated delivery. Outbound:
``sendMessage`` (4096 characters) with an ``inline_keyboard`` for buttons, whose presses
come back as ``callback_query`` updates. Telegram reports no delivery or read receipts
to bots.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from sangdam.channels.schemas import (
    Button,
    Capabilities,
    Credentials,
    InboundEvent,
    OutgoingPart,
    Profile,
    SendRefused,
    SendResult,
)
from sangdam.kit import outbound
from sangdam.kit.secrets import constant_time_equals

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105  (a header name)
# callback_data may be 1-64 bytes.
MAX_CALLBACK_BYTES = 64


def _callback_data(button: Button) -> str:
    data = button.value.encode()[:MAX_CALLBACK_BYTES]
    return data.decode(errors="ignore") or button.label[:20]


def _name(user: Mapping[str, Any]) -> str | None:
    name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
    return name or (f"@{user['username']}" if user.get("username") else None)


class TelegramAdapter:
    kind: str = "telegram"
    capabilities: Capabilities = Capabilities(
        max_text_chars=4096, max_buttons=8, max_button_label=40
    )
    credential_fields: tuple[str, ...] = ("bot_token",)

    def new_credentials(self, given: Mapping[str, str]) -> dict[str, str]:
        # setWebhook accepts 1-256 characters of A-Z, a-z, 0-9, _ and -.
        return {"bot_token": given["bot_token"], "secret_token": secrets.token_urlsafe(32)}

    def verify(self, credentials: Credentials, headers: Mapping[str, str], body: bytes) -> bool:
        given = headers.get(SECRET_HEADER, "")
        expected = credentials.values.get("secret_token", "")
        return bool(given and expected) and constant_time_equals(given, expected)

    def parse(self, body: bytes) -> list[InboundEvent]:
        update = json.loads(body)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            raise ValueError("not a Telegram Update")
        key = str(update["update_id"])
        message = update.get("message")
        if isinstance(message, dict):
            sender = message.get("from") or {}
            chat = message.get("chat") or {}
            text = message.get("text")
            kind = "text"
            if not isinstance(text, str):
                # A photo, sticker, voice...: the agent sees that something came, and what.
                kind = next(
                    (
                        k
                        for k in ("photo", "sticker", "voice", "video", "document", "location")
                        if k in message
                    ),
                    "other",
                )
                text = str(message.get("caption") or "")
            return [
                InboundEvent(
                    key=key,
                    type="message",
                    sender_id=str(sender.get("id") or chat.get("id")),
                    address=str(chat.get("id") or sender.get("id")),
                    sender_name=_name(sender) or _name(chat),
                    locale=sender.get("language_code"),
                    text=text,
                    kind=kind,
                )
            ]
        query = update.get("callback_query")
        if isinstance(query, dict):
            sender = query.get("from") or {}
            chat = (query.get("message") or {}).get("chat") or {}
            return [
                InboundEvent(
                    key=key,
                    type="message",
                    sender_id=str(sender.get("id")),
                    address=str(chat.get("id") or sender.get("id")),
                    sender_name=_name(sender),
                    locale=sender.get("language_code"),
                    text=str(query.get("data") or ""),
                    kind="button",
                    ack_id=str(query.get("id") or ""),
                )
            ]
        return []  # edits, membership changes...: nothing a conversation needs

    def _url(self, credentials: Credentials, method: str) -> str:
        return f"{credentials.api_url.rstrip('/')}/bot{credentials.values['bot_token']}/{method}"

    async def _call(
        self, credentials: Credentials, method: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        # request_json, not post_json: its errors never quote the URL, which holds the token.
        status, raw = await outbound.request_json(
            "POST",
            self._url(credentials, method),
            content=json.dumps(body or {}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            allow_private=credentials.allow_private,
            timeout_seconds=credentials.timeout_seconds,
        )
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {}
        return status, answer if isinstance(answer, dict) else {}

    async def send(
        self, credentials: Credentials, address: str, part: OutgoingPart, retry_key: str
    ) -> SendResult:
        body: dict[str, Any] = {"chat_id": address, "text": part.text}
        if part.buttons:
            body["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": b.label, "callback_data": _callback_data(b)}] for b in part.buttons
                ]
            }
        status, answer = await self._call(credentials, "sendMessage", body)
        if status == 200 and answer.get("ok"):
            return SendResult(str((answer.get("result") or {}).get("message_id") or ""))
        description = str(answer.get("description") or f"HTTP {status}")[:300]
        if status in (400, 401, 403, 404):
            # Blocked by the user, chat gone, token revoked: retrying changes nothing.
            raise SendRefused(f"Telegram refused the message: {description}")
        raise RuntimeError(f"Telegram answered {status}: {description}")

    async def check(self, credentials: Credentials) -> str:
        status, answer = await self._call(credentials, "getMe")
        if status != 200 or not answer.get("ok"):
            raise SendRefused(str(answer.get("description") or f"Telegram answered {status}"))
        result = answer.get("result") or {}
        return "@" + str(result.get("username") or result.get("first_name") or "bot")

    async def connect(self, credentials: Credentials, webhook_url: str) -> None:
        """Point the bot's webhook at Sangdam (``setWebhook``), with the secret it must echo."""
        status, answer = await self._call(
            credentials,
            "setWebhook",
            {
                "url": webhook_url,
                "secret_token": credentials.values["secret_token"],
                "allowed_updates": ["message", "callback_query"],
            },
        )
        if status != 200 or not answer.get("ok"):
            raise SendRefused(str(answer.get("description") or f"Telegram answered {status}"))

    async def acknowledge(self, credentials: Credentials, event: InboundEvent) -> None:
        """``answerCallbackQuery``: stops the spinner on the button the customer pressed."""
        await self._call(credentials, "answerCallbackQuery", {"callback_query_id": event.ack_id})

    async def profile(self, credentials: Credentials, user_id: str) -> Profile:
        return Profile()  # every update carries the sender's name and language already


TELEGRAM = TelegramAdapter()
