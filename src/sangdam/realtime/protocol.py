"""Frames clients send over the WebSocket, validated before anything acts on them.

Server → client frames: ``ready``, ``resync_required``, ``resume_required``,
``ack``, ``error``, ``ping``/``pong`` and the events of
``sangdam.events.schemas.EventType``. See docs/realtime.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sangdam.contacts.schemas import PageContext
from sangdam.kit.input import Id, Seq, Text, Verbatim, clean_text


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ref: Text | None = Field(default=None, max_length=64)


class Ping(_Frame):
    type: Literal["ping"]


class Pong(_Frame):
    type: Literal["pong"]


class Typing(_Frame):
    type: Literal["typing"]
    conversation_id: Id
    # An agent typing an internal note is shown to colleagues only.
    private: bool = False


class Read(_Frame):
    type: Literal["read"]
    conversation_id: Id
    seq: Seq


class Send(_Frame):
    type: Literal["message.send"]
    # Visitors may leave it out to start a new conversation.
    conversation_id: Id | None = None
    client_id: Verbatim = Field(max_length=64)
    body: Text = ""
    # A bot button pressed instead of typing (visitors only).
    button: Text | None = Field(default=None, max_length=120)
    private: bool = False
    context: PageContext | None = None
    # Outside business hours, the widget asks where to send the answer.
    email: Text | None = Field(default=None, max_length=320)


class Page(_Frame):
    type: Literal["page"]
    context: PageContext


class Hello(_Frame):
    type: Literal["hello"]
    token: Verbatim = Field(max_length=200)
    # conversation id -> last seq the widget has; it gets what came after.
    conversations: dict[Id, Seq] = Field(default_factory=dict)


ClientFrame = Annotated[Ping | Pong | Typing | Read | Send | Page, Field(discriminator="type")]
client_frame = TypeAdapter(ClientFrame)
hello_frame = TypeAdapter(Hello)


def describe(error: ValidationError) -> str:
    """A short, human explanation of what is wrong with a frame."""
    problems = []
    for item in error.errors()[:3]:
        where = ".".join(str(part) for part in item["loc"]) or "frame"
        problems.append(f"{where}: {item['msg']}")
    # A key of the frame may carry a character that cannot be sent back as UTF-8.
    return clean_text(
        "Malformed frame (" + "; ".join(problems) + "). See docs/realtime.md for the protocol."
    )
