from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from sangdam.kit.input import Input, Text, Verbatim

CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# Documented in the schema; the validator below gives the message a person reads.
CLIENT_ID_SCHEMA: JsonDict = {"pattern": CLIENT_ID_PATTERN.pattern}


def check_client_id(value: str | None) -> str | None:
    if value is not None and not CLIENT_ID_PATTERN.fullmatch(value):
        raise ValueError("client_id must be 1-64 letters, digits or _.:- (a UUID works well)")
    return value


class MessageIn(Input):
    model_config = ConfigDict(extra="forbid")

    body: Text = Field(description="Plain text; shown as text, never as HTML.")
    client_id: Verbatim | None = Field(
        default=None,
        json_schema_extra=CLIENT_ID_SCHEMA,
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
