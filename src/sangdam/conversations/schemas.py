from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.kit.input import Id, Input, Seq


class ConversationOut(BaseModel):
    """A conversation as agents see it in the list and the header."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    inbox_id: int
    contact_id: int
    contact_name: str | None = None
    status: str
    assignee_id: int | None
    last_seq: int
    version: int
    contact_last_seen_seq: int
    agent_last_seen_seq: int
    last_message_preview: str
    last_message_sender: str | None
    origin: dict[str, Any]
    created_at: dt.datetime
    last_activity_at: dt.datetime
    waiting_since: dt.datetime | None
    resolved_at: dt.datetime | None
    category: str | None = None
    handed_off_at: dt.datetime | None = None
    priority: int = 0
    tag_ids: list[int] = Field(default_factory=list)
    # How far the requesting agent has read; absent in broadcast events.
    my_last_seen_seq: int | None = None


class VisitorConversationOut(BaseModel):
    """A conversation as its customer sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    last_message_preview: str
    agent_last_seen_seq: int
    created_at: dt.datetime
    last_activity_at: dt.datetime
    # A person has it (the customer isn't waiting in line).
    assigned: bool = False
    # While waiting for a person: place in line and a rough wait.
    queue_position: int | None = None
    estimated_wait_minutes: int | None = None


class ConversationPage(BaseModel):
    conversations: list[ConversationOut]
    next_before: str | None = Field(
        description="Pass as `before` to get the next page; null when there is none."
    )


class StatusIn(Input):
    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "snoozed", "resolved"]


class AssignIn(Input):
    model_config = ConfigDict(extra="forbid")
    agent_id: Id | None = Field(description="The agent to assign, or null to unassign.")


class ReadIn(Input):
    model_config = ConfigDict(extra="forbid")
    seq: Seq = Field(description="The highest message seq the reader has seen.")


def agent_view(conversation: Conversation, contact: Contact | None) -> dict[str, Any]:
    view = ConversationOut.model_validate(conversation)
    view.contact_name = contact.name if contact is not None else None
    return view.model_dump(mode="json")


def visitor_view(conversation: Conversation) -> dict[str, Any]:
    view = VisitorConversationOut.model_validate(conversation)
    view.assigned = conversation.assignee_id is not None
    # Queue place comes with queue.updated events; leaving it out keeps the widget's copy.
    return view.model_dump(mode="json", exclude={"queue_position", "estimated_wait_minutes"})
