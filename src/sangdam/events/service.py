"""Emitting events: queued on the transaction, published after it commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.db import collect_event
from sangdam.events.schemas import CredentialsEnded, Event


def emit(session: AsyncSession, event: Event) -> None:
    """Publish ``event`` once the current transaction commits; drop it on rollback."""
    collect_event(session, event)


def credentials_ended(
    session: AsyncSession,
    *,
    user_id: int | None = None,
    web_session_id: int | None = None,
    api_token_id: int | None = None,
    agent_id: int | None = None,
) -> None:
    """Say, in the transaction that ended them, that these sign-ins may no longer hold.

    Once it commits, every process checks its open agent sockets that signed in with
    them against the database and closes the ones no longer valid, at once; nothing
    happens on rollback. Call it wherever a sign-in can end: signing out, a password
    change, revoking an API token, deactivating or removing an agent.
    """
    collect_event(
        session,
        CredentialsEnded(
            user_id=user_id,
            web_session_id=web_session_id,
            api_token_id=api_token_id,
            agent_id=agent_id,
        ),
    )
