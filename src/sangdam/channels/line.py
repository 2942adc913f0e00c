"""LINE Messaging API: webhook events in, push messages out
(https://developers.line.biz/en/reference/messaging-api/).

Inbound: LINE POSTs ``{"destination", "events": [...]}`` with ``X-Line-Signature``, the
base64 HMAC-SHA256 of the body under the channel secret. Each event's ``webhookEventId``
stays the same when LINE redelivers it. Outbound: the push API (a reply token expires
within about a minute, long before an agent answers), 5000 characters a text, up to 13
quick-reply buttons of 20 characters. ``X-Line-Retry-Key`` makes LINE accept a retried
push once (a repeat answers 409). LINE reports no delivery or read receipts to bots.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from sangdam.channels.schemas import (
    Capabilities,
    Credentials,
    InboundEvent,
    OutgoingPart,
    Profile,
    SendRefused,
    SendResult,
)
from sangdam.kit import outbound

SIGNATURE_HEADER = "x-line-signature"


def signature(channel_secret: str, body: bytes) -> str:
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class LineAdapter:
    kind: str = "line"
    capabilities: Capabilities = Capabilities(
        max_text_chars=5000, max_buttons=13, max_button_label=20
    )
    credential_fields: tuple[str, ...] = ("channel_secret", "channel_access_token")

    def new_credentials(self, given: Mapping[str, str]) -> dict[str, str]:
        return {key: given[key] for key in self.credential_fields}

    def verify(self, credentials: Credentials, headers: Mapping[str, str], body: bytes) -> bool:
        given = headers.get(SIGNATURE_HEADER, "")
        expected = signature(credentials.values.get("channel_secret", ""), body)
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())

    def parse(self, body: bytes) -> list[InboundEvent]:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("events"), list):
            raise ValueError("not a LINE webhook body")
        found = []
        for event in data["events"]:
            if not isinstance(event, dict) or not event.get("webhookEventId"):
                continue
            source = event.get("source") or {}
            user = str(source.get("userId") or "")
            address = str(source.get("groupId") or source.get("roomId") or user)
            if not user:
                continue
            key = str(event["webhookEventId"])
            if event.get("type") == "message":
                message = event.get("message") or {}
                if message.get("type") == "text":
                    found.append(
                        InboundEvent(
                            key=key,
                            type="message",
                            sender_id=user,
                            address=address,
                            text=str(message.get("text") or ""),
                        )
                    )
                else:
                    kind = str(message.get("type") or "other")[:32]
                    found.append(
                        InboundEvent(
                            key=key, type="message", sender_id=user, address=address, kind=kind
                        )
                    )
            elif event.get("type") == "postback":
                data_value = str((event.get("postback") or {}).get("data") or "")
                found.append(
                    InboundEvent(
                        key=key,
                        type="message",
                        sender_id=user,
                        address=address,
                        text=data_value,
                        kind="button",
                    )
                )
            # follow, unfollow, join...: nothing a conversation needs yet.
        return found

    def _headers(self, credentials: Credentials) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {credentials.values['channel_access_token']}",
            "Content-Type": "application/json",
        }

    async def send(
        self, credentials: Credentials, address: str, part: OutgoingPart, retry_key: str
    ) -> SendResult:
        message: dict[str, Any] = {"type": "text", "text": part.text}
        if part.buttons:
            # A "message" action sends its text as the customer's own message.
            message["quickReply"] = {
                "items": [
                    {
                        "type": "action",
                        "action": {"type": "message", "label": b.label, "text": b.label},
                    }
                    for b in part.buttons
                ]
            }
        status, raw = await outbound.request_json(
            "POST",
            f"{credentials.api_url.rstrip('/')}/v2/bot/message/push",
            content=json.dumps({"to": address, "messages": [message]}, ensure_ascii=False).encode(),
            headers={**self._headers(credentials), "X-Line-Retry-Key": retry_key},
            allow_private=credentials.allow_private,
            timeout_seconds=credentials.timeout_seconds,
        )
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {}
        if status == 200:
            sent = answer.get("sentMessages") or [{}]
            return SendResult(str(sent[0].get("id") or ""))
        if status == 409:
            # This retry key was accepted before: the first attempt reached LINE.
            return SendResult("")
        problem = str(answer.get("message") or f"HTTP {status}")[:300]
        if status in (400, 401, 403, 404):
            raise SendRefused(f"LINE refused the message: {problem}")
        raise RuntimeError(f"LINE answered {status}: {problem}")

    async def check(self, credentials: Credentials) -> str:
        status, raw = await outbound.request_json(
            "GET",
            f"{credentials.api_url.rstrip('/')}/v2/bot/info",
            headers=self._headers(credentials),
            allow_private=credentials.allow_private,
            timeout_seconds=credentials.timeout_seconds,
        )
        if status != 200:
            raise SendRefused(f"LINE answered {status}")
        answer = json.loads(raw)
        return str(answer.get("displayName") or answer.get("basicId") or "LINE")

    async def connect(self, credentials: Credentials, webhook_url: str) -> None:
        """Set the channel's webhook URL (``PUT /v2/bot/channel/webhook/endpoint``)."""
        status, _answer = await outbound.request_json(
            "PUT",
            f"{credentials.api_url.rstrip('/')}/v2/bot/channel/webhook/endpoint",
            content=json.dumps({"endpoint": webhook_url}).encode(),
            headers=self._headers(credentials),
            allow_private=credentials.allow_private,
            timeout_seconds=credentials.timeout_seconds,
        )
        if status != 200:
            raise SendRefused(f"LINE answered {status}")

    async def acknowledge(self, credentials: Credentials, event: InboundEvent) -> None:
        return None  # LINE asks for no acknowledgement beyond the webhook's 200

    async def profile(self, credentials: Credentials, user_id: str) -> Profile:
        """``GET /v2/bot/profile/{userId}``: the name the customer shows in LINE."""
        status, raw = await outbound.request_json(
            "GET",
            f"{credentials.api_url.rstrip('/')}/v2/bot/profile/{quote(user_id, safe='')}",
            headers=self._headers(credentials),
            allow_private=credentials.allow_private,
            timeout_seconds=credentials.timeout_seconds,
        )
        if status != 200:
            return Profile()  # not a friend of the account (yet), or blocked it
        answer = json.loads(raw)
        return Profile(answer.get("displayName") or None, answer.get("language") or None)


LINE = LineAdapter()
