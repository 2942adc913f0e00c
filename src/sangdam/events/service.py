"""Emitting events: queued on the transaction, published after it commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.db import collect_event
from sangdam.events.schemas import Event


def emit(session: AsyncSession, event: Event) -> None:
    """Publish ``event`` once the current transaction commits; drop it on rollback."""
    collect_event(session, event)
