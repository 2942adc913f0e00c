from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def check_client_id(value: str | None) -> str | None:
    if value is not None and not CLIENT_ID_PATTERN.match(value):
        raise ValueError("client_id must be 1-64 letters, digits or _.:- (a UUID works well)")
    return value


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(description="Plain text; shown as text, never as HTML.")
    client_id: str | None = Field(
        default=None,
        description="Idempotency key chosen by the client: a retry with the same key returns "
        "the original message; the same key with a different body is refused with 409.",
    )
    private: bool = Field(
        default=False, description="An internal note, never shown to the customer."
    )

    _client_id = field_validator("client_id")(classmethod(lambda cls, v: check_client_id(v)))


class MessageOut(BaseModel):
    """A message as agents see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    seq: int
    kind: str
    sender_type: str
    sender_id: int | None
    sender_name: str
    body: str
    content: dict[str, Any]
    client_id: str | None
    created_at: dt.datetime


class VisitorMessageOut(BaseModel):
    """A message as the customer sees it: no internal ids of agents."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    seq: int
    kind: str
    sender_type: str
    sender_name: str
    body: str
    content: dict[str, Any]
    client_id: str | None
    created_at: dt.datetime


class MessagePage(BaseModel):
    messages: list[MessageOut]
    has_more: bool
