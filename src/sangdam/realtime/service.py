"""Wiring between committed transactions, the broker and this process's sockets."""

from __future__ import annotations

import logging
from typing import Any

from sangdam.config import Settings
from sangdam.events.schemas import CredentialsEnded, Event, EventType
from sangdam.kit.metrics import MESSAGES
from sangdam.realtime.broker import create_broker
from sangdam.realtime.hub import Hub

log = logging.getLogger(__name__)


class Realtime:
    def __init__(self, settings: Settings) -> None:
        self.broker = create_broker(settings.redis_url, settings.realtime.history_size)
        self.hub = Hub(settings.realtime.heartbeat_seconds, settings.realtime.idle_timeout_seconds)

    async def start(self) -> None:
        self.broker.on_feed_restored = self.hub.feed_restored
        self.broker.on_control = self.hub.control
        await self.broker.start(self.hub.deliver)
        self.hub.start()

    async def stop(self) -> None:
        await self.hub.stop()
        await self.broker.stop()

    async def publish_committed(self, events: list[Any]) -> None:
        """Called by the database after every commit, with that transaction's events."""
        items = [(e.to_wire(), not e.ephemeral) for e in events if isinstance(e, Event)]
        for event in events:
            if isinstance(event, Event) and event.type == EventType.MESSAGE_CREATED:
                MESSAGES.labels(event.data["message"].get("sender_type", "unknown")).inc()
        try:
            await self.broker.publish_many(items)
        except Exception:
            # Already committed: never turn that into an error for the sender.
            log.exception("publishing %d events failed", len(items))
        for ended in events:
            if isinstance(ended, CredentialsEnded):
                try:
                    await self.broker.publish_control(ended.to_control())
                except Exception:
                    # Sockets still re-check on their next command or heartbeat answer.
                    log.exception("telling processes that credentials ended failed")

    async def publish_now(self, event: Event) -> None:
        """Ephemeral signals (typing) that change no state go out without a transaction."""
        await self.broker.publish(event.to_wire(), durable=False)
