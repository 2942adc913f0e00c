"""Typed events: what changed, for whom, in the two views (agent and visitor).

Every state change a client must learn about is one of these. Services build
them with ``events.service.emit`` inside the transaction; they leave the
process only after commit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class EventType(enum.StrEnum):
    MESSAGE_CREATED = "message.created"
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_UPDATED = "conversation.updated"
    CONVERSATION_READ = "conversation.read"
    CONTACT_UPDATED = "contact.updated"
    # A waiting customer's place in the queue changed.
    QUEUE_UPDATED = "queue.updated"
    # An agent's availability or presence changed.
    AGENT_UPDATED = "agent.updated"
    # An internal note @mentions an agent.
    MENTION = "mention"
    # Ephemeral: never stored in history, never replayed.
    TYPING = "typing"


EPHEMERAL = frozenset({EventType.TYPING})


@dataclass(frozen=True)
class Event:
    type: EventType
    workspace_id: int
    # The agent-facing payload: everything the inbox shows.
    data: dict[str, Any]
    conversation_id: int | None = None
    contact_id: int | None = None
    # The visitor-facing payload, or None when the visitor must never see it
    # (internal notes, agent read receipts, contact profile changes...).
    visitor_data: dict[str, Any] | None = None
    # Which agents' sockets should ignore it (e.g. their own typing echo).
    exclude_agent_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ephemeral(self) -> bool:
        return self.type in EPHEMERAL

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "workspace_id": self.workspace_id,
            "conversation_id": self.conversation_id,
            "contact_id": self.contact_id,
            "data": self.data,
            "visitor_data": self.visitor_data,
            "exclude_agent_id": self.exclude_agent_id,
        }


@dataclass(frozen=True)
class CredentialsEnded:
    """Sign-ins that may have stopped being valid, named by what ended them.

    Not an event for clients: after commit every process re-checks, against the
    database, each open agent socket that signed in with one of these, and closes
    those no longer valid (code 4401: the inbox goes to its sign-in page).
    """

    # Every socket of this user (a password change ends all their browser sessions).
    user_id: int | None = None
    # The sockets of one browser session (signing out).
    web_session_id: int | None = None
    # The sockets of one API token (revoking it).
    api_token_id: int | None = None
    # Every socket acting as this agent, by session or token (deactivation, removal).
    agent_id: int | None = None

    def to_control(self) -> dict[str, Any]:
        return {
            "type": "credentials_ended",
            "user_id": self.user_id,
            "web_session_id": self.web_session_id,
            "api_token_id": self.api_token_id,
            "agent_id": self.agent_id,
        }
