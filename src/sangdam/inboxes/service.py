"""Channels: how an agent's reply reaches the customer, chosen by the conversation's channel.

Every channel (the live widget, email, and messengers) is one ``ReplyChannel``; the
reaction to ``ReplySent`` looks up the conversation's channel and hands the reply to
it. A channel that must call another system does so through a durable job it enqueues
here, in the transaction, so a reply is sent once it is committed and never before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.inboxes.models import ChannelType
from sangdam.messages.models import Message
from sangdam.reactions.schemas import ReplySent

log = logging.getLogger(__name__)


class ReplyChannel(Protocol):
    """One channel's way of delivering an agent's reply."""

    async def send_reply(
        self, session: AsyncSession, conversation: Conversation, contact: Contact, message: Message
    ) -> None: ...


class _LiveOnly:
    """The widget (and the API) need nothing more: the ``message.created`` event delivers it."""

    async def send_reply(
        self, session: AsyncSession, conversation: Conversation, contact: Contact, message: Message
    ) -> None:
        return None


LIVE_ONLY: ReplyChannel = _LiveOnly()


def reply_channel(conversation: Conversation) -> ChannelType:
    """The channel a reply to this conversation must travel by.

    A conversation that came in by another channel says so in its origin; a widget
    conversation started while the team was closed, with an address left for the answer,
    continues by email. Any other widget conversation stays in the widget.
    """
    origin = conversation.origin or {}
    channel = origin.get("channel")
    if channel:
        return ChannelType(channel)
    if origin.get("offline") and origin.get("email"):
        return ChannelType.EMAIL
    return ChannelType.WEB_WIDGET


class ReplyDelivery:
    """The reaction to ``ReplySent``: hand the reply to its conversation's channel."""

    def __init__(self, channels: Mapping[ChannelType, ReplyChannel]) -> None:
        missing = set(ChannelType) - set(channels)
        if missing:
            # Every channel must say how its replies travel, even if "live only".
            raise ValueError(f"no reply channel for {sorted(missing)}")
        self.channels = dict(channels)

    async def __call__(self, session: AsyncSession, change: ReplySent) -> None:
        channel = reply_channel(change.conversation)
        await self.channels[channel].send_reply(
            session, change.conversation, change.contact, change.message
        )
