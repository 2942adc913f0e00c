"""The changes one domain makes that other domains may react to, inside the transaction.

Each change is a small frozen record of what happened, carrying the loaded objects the
reacting code needs (they belong to the transaction that made the change). They are
not events for clients (``events/``): they never leave the process, and they happen
before commit, so a reaction's writes commit or roll back with the change itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.messages.models import Message
from sangdam.workspaces.models import Agent

# Loads the ORM objects that reactions need when the change was made on plain rows
# (the chat short path stores a customer's message without loading them).
Materialize = Callable[[], Awaitable[tuple[Conversation, Contact]]]


@dataclass(frozen=True)
class Change:
    """Base of every change; ``describe`` names it in logs and errors."""

    def describe(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class ConversationStarted(Change):
    """A customer's first message opened a conversation (widget, email, channels)."""

    conversation: Conversation
    contact: Contact
    message: Message


@dataclass(frozen=True)
class MessageReceived(Change):
    """A customer's message was stored (a new one, never a retry of a stored one)."""

    conversation: Conversation
    contact: Contact
    message: Message
    # Set on the chat short path, where ``conversation`` is a stand-in built from a row.
    materialize: Materialize | None = field(default=None, compare=False)
    # The short path's one statement also tells whether any automation rule waits for
    # incoming messages (False spares the rules' lookup); None when nobody looked.
    rules_waiting: bool | None = None


@dataclass(frozen=True)
class ReplySent(Change):
    """An agent's reply to the customer was stored (not an internal note, not the bot)."""

    conversation: Conversation
    contact: Contact
    message: Message


@dataclass(frozen=True)
class HandedOff(Change):
    """The bot handed the conversation to people."""

    conversation: Conversation
    contact: Contact


@dataclass(frozen=True)
class ConversationTagged(Change):
    conversation: Conversation
    contact: Contact
    tag_id: int


@dataclass(frozen=True)
class ContactTagged(Change):
    contact: Contact
    tag_id: int


@dataclass(frozen=True)
class AttributesChanged(Change):
    """A customer's profile attributes changed (keys whose values differ)."""

    contact: Contact
    keys: frozenset[str]


@dataclass(frozen=True)
class ConversationResolved(Change):
    """An agent (or a rule) resolved a conversation."""

    conversation: Conversation
    contact: Contact
    # Who had it when it was resolved: their seat is free again.
    assignee_id: int | None


@dataclass(frozen=True)
class ConversationAssigned(Change):
    """Someone assigned a conversation by hand (not routing's own assignment)."""

    conversation: Conversation
    contact: Contact
    agent: Agent | None
    previous_assignee_id: int | None
    by: Agent | None


@dataclass(frozen=True)
class ConversationRated(Change):
    """The customer rated how a conversation went (csat.service.rate_conversation)."""

    conversation: Conversation
    contact: Contact
    # 1..5; a good/bad rating is 5 or 1.
    score: int
    comment: str | None
