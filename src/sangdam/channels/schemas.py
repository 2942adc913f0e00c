"""The channels API's bodies, and the adapter interface every messenger implements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from sangdam.kit.input import Input, Text, Verbatim

# ---- the adapter interface --------------------------------------------------------------


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show, so a reply degrades instead of failing."""

    # Longer text is split into several messages at line or word boundaries.
    max_text_chars: int
    # Buttons the channel shows under a message (0: none; they become numbered lines).
    max_buttons: int
    # Characters a button's label may have before it is shortened.
    max_button_label: int
    # Whether the platform tells the bot a message was delivered or read.
    delivery_receipts: bool = False


@dataclass(frozen=True)
class Button:
    label: str
    # What comes back when the customer presses it (Telegram callback_data, LINE postback).
    value: str


@dataclass(frozen=True)
class OutgoingPart:
    """One message the API is asked to send; buttons only on a reply's last part."""

    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class InboundEvent:
    """One event of a verified webhook body, in the adapter's words."""

    # Unique per account and stable across the platform's repeated deliveries.
    key: str
    # "message": the customer wrote (or pressed a button); "receipt": delivery/read report.
    type: Literal["message", "receipt"]
    sender_id: str = ""
    # Where a reply goes (a chat id); usually the sender's own.
    address: str = ""
    sender_name: str | None = None
    locale: str | None = None
    text: str = ""
    # For "message": "text", "button" or what the channel called an unsupported kind.
    kind: str = "text"
    # For "receipt": the ids of our sent messages it reports, and "delivered" | "read".
    receipt_ids: tuple[str, ...] = ()
    receipt_status: str = ""
    # What the platform wants acknowledged once the event is handled (Telegram's
    # callback_query id: the customer's app shows a spinner on the button until then).
    ack_id: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.type,
            "sender_id": self.sender_id,
            "address": self.address,
            "sender_name": self.sender_name,
            "locale": self.locale,
            "text": self.text,
            "kind": self.kind,
            "receipt_ids": list(self.receipt_ids),
            "receipt_status": self.receipt_status,
            "ack_id": self.ack_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InboundEvent:
        return cls(**{**data, "receipt_ids": tuple(data.get("receipt_ids") or ())})


@dataclass(frozen=True)
class Profile:
    name: str | None = None
    locale: str | None = None


class SendRefused(Exception):
    """The API refused a send for good (blocked by the user, a revoked token): no retry."""


@dataclass
class SendResult:
    external_id: str = ""


@dataclass
class Credentials:
    """An account's decrypted credentials and the API address to use for it."""

    values: dict[str, str]
    api_url: str
    allow_private: bool
    timeout_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


class ChannelAdapter(Protocol):
    """One messenger. Each module (telegram.py, line.py) provides one instance."""

    kind: str
    capabilities: Capabilities
    # The credential fields an admin gives when connecting, each a non-empty string.
    credential_fields: tuple[str, ...]

    def new_credentials(self, given: Mapping[str, str]) -> dict[str, str]:
        """The credentials to store: the admin's, plus any secret Sangdam generates."""
        ...

    def verify(self, credentials: Credentials, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the body came from the platform for this account (signature, secret)."""
        ...

    def parse(self, body: bytes) -> list[InboundEvent]:
        """The events of a verified body; raises ValueError if it is not the documented shape."""
        ...

    async def send(
        self, credentials: Credentials, address: str, part: OutgoingPart, retry_key: str
    ) -> SendResult:
        """Send one part. Raises SendRefused for a refusal a retry cannot fix, anything else
        (down, 429, 5xx) for the job to retry; ``retry_key`` is the same on every retry."""
        ...

    async def check(self, credentials: Credentials) -> str:
        """Call the API with the credentials (test connection): the account's name."""
        ...

    async def connect(self, credentials: Credentials, webhook_url: str) -> None:
        """Tell the platform to deliver this account's webhooks to ``webhook_url``."""
        ...

    async def acknowledge(self, credentials: Credentials, event: InboundEvent) -> None:
        """Tell the platform an event with an ``ack_id`` was handled (best effort)."""
        ...

    async def profile(self, credentials: Credentials, user_id: str) -> Profile:
        """A sender's display name and language where the event did not carry them."""
        ...


# ---- the REST API -------------------------------------------------------------------------


class ChannelIn(Input):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["telegram", "line"] = Field(description="Which messenger to connect.")
    name: Text = Field(min_length=1, max_length=200, description="The inbox's name in Sangdam.")
    bot_token: Verbatim | None = Field(
        default=None, max_length=200, description="Telegram: the bot's token from @BotFather."
    )
    channel_secret: Verbatim | None = Field(
        default=None,
        max_length=200,
        description="LINE: the channel secret (LINE Developers console, Basic settings).",
    )
    channel_access_token: Verbatim | None = Field(
        default=None,
        max_length=2000,
        description="LINE: a long-lived channel access token (console, Messaging API tab).",
    )

    def credentials(self) -> dict[str, str]:
        fields = {
            "bot_token": self.bot_token,
            "channel_secret": self.channel_secret,
            "channel_access_token": self.channel_access_token,
        }
        return {key: value.strip() for key, value in fields.items() if value and value.strip()}


class ChannelOut(BaseModel):
    id: int
    inbox_id: int
    kind: str
    name: str
    # Give this to the platform (Telegram setWebhook, LINE console "Webhook URL").
    webhook_url: str
    # Telegram only: the secret_token to pass to setWebhook (Telegram echoes it back).
    webhook_secret: str | None = None
    created_at: dt.datetime


class ChannelCheckOut(BaseModel):
    ok: bool
    account_name: str = ""
    problem: str = ""
