"""Customer satisfaction: the rating a customer gives when a conversation ends.

The widget asks when the conversation it shows is resolved (the "chat ended" line and
state); the answer is a ``ratings`` row, a system line in the conversation that both the
agent and the customer see, and a ``ConversationRated`` change that automation reacts to
(the rule trigger "rated"). A conversation reopened and resolved again asks again.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.csat.models import CsatSettings, Rating, RatingScale
from sangdam.csat.repository import CsatRepository
from sangdam.csat.schemas import CsatSettingsIn, CsatSettingsOut
from sangdam.db import utcnow
from sangdam.kit.errors import Conflict
from sangdam.messages.models import MessageKind, SenderType
from sangdam.messages.service import send_message
from sangdam.reactions.schemas import ConversationRated
from sangdam.reactions.service import react

DEFAULTS = CsatSettingsOut(rating_scale=RatingScale.FIVE, ask_comment=True)
# Stored with the rating's system line (English, like every stored text); people see it in
# their language through ``content.activity`` and ``content.score``.
RATED_LINE = "The customer rated this conversation {score}/5."


async def rating_settings(session: AsyncSession, workspace_id: int) -> CsatSettingsOut:
    row = await CsatRepository(session, workspace_id).settings()
    if row is None:
        return DEFAULTS
    return CsatSettingsOut(rating_scale=RatingScale(row.rating_scale), ask_comment=row.ask_comment)


async def update_rating_settings(
    session: AsyncSession, workspace_id: int, payload: CsatSettingsIn
) -> CsatSettingsOut:
    repository = CsatRepository(session, workspace_id)
    row = await repository.settings()
    if row is None:
        row = CsatSettings(workspace_id=workspace_id)
        repository.add(row)
    row.rating_scale = payload.rating_scale
    row.ask_comment = payload.ask_comment
    row.updated_at = utcnow()
    return CsatSettingsOut(
        rating_scale=RatingScale(payload.rating_scale), ask_comment=payload.ask_comment
    )


async def rate_conversation(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    *,
    score: int,
    comment: str | None,
) -> Rating:
    """The customer rates the resolution they were shown (``conversation`` is locked)."""
    settings = await rating_settings(session, conversation.workspace_id)
    if settings.rating_scale == RatingScale.OFF:
        raise Conflict("This workspace does not ask for ratings.", code="ratings_off")
    if conversation.status != Status.RESOLVED.value or conversation.resolved_at is None:
        raise Conflict(
            "This conversation has not ended, so it cannot be rated yet.", code="not_resolved"
        )
    if settings.rating_scale == RatingScale.GOOD_BAD and score not in (1, 5):
        raise Conflict(
            "This workspace rates with good or bad: send 5 for good or 1 for bad.",
            code="rating_scale",
        )
    repository = CsatRepository(session, conversation.workspace_id)
    if await repository.rating_for(conversation.id, conversation.resolved_at) is not None:
        raise Conflict("You have already rated this conversation.", code="already_rated")
    comment = (comment or "").strip() or None
    if not settings.ask_comment:
        comment = None
    rating = Rating(
        conversation_id=conversation.id,
        contact_id=contact.id,
        agent_id=conversation.assignee_id,
        team_id=conversation.team_id,
        scale=settings.rating_scale.value,
        score=score,
        comment=comment,
        resolved_at=conversation.resolved_at,
        created_at=utcnow(),
    )
    repository.add(rating)
    body = RATED_LINE.format(score=score)
    # The line both sides see: the agent reads the score (and comment) in the conversation,
    # the widget knows this ending is rated and thanks the customer.
    await send_message(
        session,
        conversation,
        contact,
        sender_type=SenderType.SYSTEM,
        sender_id=None,
        sender_name="",
        body=body,
        client_id=None,
        max_chars=len(body),
        kind=MessageKind.ACTIVITY,
        content={
            "activity": "rated",
            "score": score,
            "scale": settings.rating_scale.value,
            "comment": comment,
        },
    )
    await session.flush()
    await react(session, ConversationRated(conversation, contact, score, comment))
    return rating
