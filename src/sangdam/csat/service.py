"""Customer satisfaction: the rating a customer gives when a conversation ends.

The widget asks when the conversation it shows is resolved (the "chat ended" line and
state); the answer is a ``ratings`` row, a system line in the conversation that both the
agent and the customer see, and a ``ConversationRated`` change that automation reacts to
(the rule trigger "rated"). A conversation reopened and resolved again asks again.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact
from sangdam.contacts.repository import ContactRepository
from sangdam.conversations.models import Conversation, Status
from sangdam.conversations.repository import ConversationRepository
from sangdam.csat.models import (
    CsatSettings,
    QuestionKind,
    Rating,
    RatingScale,
    Survey,
    SurveyChannel,
    SurveyResponse,
    SurveySend,
)
from sangdam.csat.repository import CsatRepository, send_by_token
from sangdam.csat.schemas import (
    CsatSettingsIn,
    CsatSettingsOut,
    QuestionOut,
    SurveyFormOut,
    SurveyIn,
)
from sangdam.db import utcnow
from sangdam.jobs.service import enqueue
from sangdam.kit.errors import BadRequest, Conflict, NotFound
from sangdam.kit.secrets import hash_token
from sangdam.messages.models import MessageKind, SenderType
from sangdam.messages.service import send_message
from sangdam.reactions.schemas import ConversationRated, ConversationResolved
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


# ---- surveys ------------------------------------------------------------------------------
#
# An admin configures surveys (questions, when, by which channel). When a conversation
# ends, ``on_conversation_resolved`` writes one ``survey_sends`` row per active survey that
# fits it, with a durable job due at ``due_at``; the job (csat/tasks.py) skips the send when
# the customer wrote after that ending, else delivers it (a survey card in the widget, or an
# email with a one-time link) and marks it sent in its transaction. The customer answers
# once per send.

SURVEY_JOB = "csat.send_survey"
SURVEY_LINE = "Survey: {name}"


class Delivery(enum.StrEnum):
    NOTHING = "nothing"  # already sent, skipped now, or no longer there
    WIDGET = "widget"  # delivered in the widget by this transaction
    EMAIL = "email"  # the caller mails the link, then ``mark_sent``


def _questions(payload: SurveyIn) -> list[dict[str, Any]]:
    questions = []
    for number, question in enumerate(payload.questions, start=1):
        options = [o.strip() for o in question.options if o.strip()]
        if question.kind == QuestionKind.CHOICE.value and len(options) < 2:
            raise BadRequest(
                "Question {number} is a choice: give it at least two options.",
                values={"number": number},
            )
        questions.append(
            {
                "kind": question.kind,
                "text": question.text.strip(),
                "options": options if question.kind == QuestionKind.CHOICE.value else [],
                "required": question.required,
            }
        )
    return questions


async def create_survey(session: AsyncSession, workspace_id: int, payload: SurveyIn) -> Survey:
    survey = Survey(
        name=payload.name.strip(),
        questions=_questions(payload),
        send_after_hours=payload.send_after_hours,
        channel=payload.channel,
        active=payload.active,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    CsatRepository(session, workspace_id).add(survey)
    await session.flush()
    return survey


async def update_survey(
    session: AsyncSession, workspace_id: int, survey_id: int, payload: SurveyIn
) -> Survey:
    """Sends already written keep their timing; their answers are read against the
    questions as they are now, so change questions by adding a new survey."""
    survey = await CsatRepository(session, workspace_id).survey(survey_id)
    survey.name = payload.name.strip()
    survey.questions = _questions(payload)
    survey.send_after_hours = payload.send_after_hours
    survey.channel = payload.channel
    survey.active = payload.active
    survey.updated_at = utcnow()
    await session.flush()
    return survey


def conversation_channel(conversation: Conversation) -> SurveyChannel | None:
    """Email for conversations whose replies go by email (they came in by email, or were
    left as an offline message with an address: the rule of ``email.service.email_address_of``,
    which sits above this layer); None for messenger channels (Telegram, LINE), which show
    no survey card; the widget otherwise."""
    origin = conversation.origin or {}
    if origin.get("channel") == "email" or (origin.get("offline") and origin.get("email")):
        return SurveyChannel.EMAIL
    if origin.get("channel"):
        return None
    return SurveyChannel.WIDGET


async def on_conversation_resolved(session: AsyncSession, change: ConversationResolved) -> None:
    """Write the sends of every active survey that fits this ending, each with its job."""
    conversation = change.conversation
    if conversation.resolved_at is None:
        return
    repository = CsatRepository(session, conversation.workspace_id)
    surveys = await repository.surveys(active_only=True)
    if not surveys:
        return
    channel = conversation_channel(conversation)
    if channel is None:
        return
    for survey in surveys:
        if survey.channel not in (SurveyChannel.BOTH.value, channel.value):
            continue
        if await repository.send_for(survey.id, conversation.id, conversation.resolved_at):
            continue
        token = secrets.token_urlsafe(24)
        due_at = conversation.resolved_at + dt.timedelta(hours=survey.send_after_hours)
        send = SurveySend(
            survey_id=survey.id,
            conversation_id=conversation.id,
            contact_id=change.contact.id,
            agent_id=change.assignee_id,
            team_id=conversation.team_id,
            channel=channel.value,
            resolved_at=conversation.resolved_at,
            token_hash=hash_token(token),
            due_at=due_at,
            skipped=False,
            created_at=utcnow(),
        )
        repository.add(send)
        await session.flush()
        payload: dict[str, Any] = {"workspace_id": conversation.workspace_id, "send_id": send.id}
        if channel == SurveyChannel.EMAIL:
            # Only the email carries the link; the job's row forgets it when the job ends.
            payload["secret_token"] = token
        job = enqueue(session, SURVEY_JOB, payload, workspace_id=conversation.workspace_id)
        job.run_at = due_at


def survey_form(survey: Survey, send: SurveySend) -> SurveyFormOut:
    return SurveyFormOut(
        send_id=send.id,
        name=survey.name,
        questions=[QuestionOut.model_validate(q) for q in survey.questions],
        answered=send.answered_at is not None,
    )


async def prepare_delivery(
    session: AsyncSession, workspace_id: int, send_id: int
) -> tuple[SurveySend, Delivery]:
    """Deliver a due send in the widget, or say it goes by email; skip it when the customer
    wrote after the ending it asks about. The send row is locked until the caller's
    transaction ends, so a second run of the job waits and then finds it sent."""
    repository = CsatRepository(session, workspace_id)
    send = await repository.send(send_id, for_update=True)
    if send.sent_at is not None or send.skipped:
        return send, Delivery.NOTHING
    survey = await repository.survey(send.survey_id)
    # The widget's line is appended to the conversation (locked); an email only reads it,
    # so a customer writing meanwhile never waits on the mail server.
    conversation = await ConversationRepository(session, workspace_id).get(
        send.conversation_id, for_update=send.channel == SurveyChannel.WIDGET.value
    )
    wrote_again = await repository.customer_wrote_since(conversation.id, send.resolved_at)
    # Reopened or ended again since: that later ending has its own send.
    moved_on = conversation.resolved_at != send.resolved_at
    if wrote_again or moved_on or not survey.active:
        send.skipped = True
        return send, Delivery.NOTHING
    if send.channel == SurveyChannel.EMAIL.value:
        return send, Delivery.EMAIL
    contact = await ContactRepository(session, workspace_id).get(conversation.contact_id)
    body = SURVEY_LINE.format(name=survey.name)
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
        content={"activity": "survey", "send_id": send.id, "name": survey.name},
    )
    send.sent_at = utcnow()
    return send, Delivery.WIDGET


def mark_sent(send: SurveySend) -> None:
    send.sent_at = utcnow()


def _checked_answers(questions: list[dict[str, Any]], answers: list[Any]) -> list[Any]:
    if len(answers) != len(questions):
        raise BadRequest(
            "This survey has {count} questions: send one answer for each (null to skip one).",
            values={"count": len(questions)},
        )
    checked: list[Any] = []
    for number, (question, answer) in enumerate(zip(questions, answers, strict=True), start=1):
        if isinstance(answer, str):
            answer = answer.strip() or None
        if answer is None:
            if question.get("required"):
                raise BadRequest("Question {number} needs an answer.", values={"number": number})
            checked.append(None)
            continue
        kind = question["kind"]
        if kind == QuestionKind.RATING.value and not isinstance(answer, int):
            raise BadRequest(
                "Question {number} is a rating: answer 1 to 5.", values={"number": number}
            )
        if kind == QuestionKind.CHOICE.value and answer not in question["options"]:
            raise BadRequest(
                "Question {number}: choose one of its options.", values={"number": number}
            )
        if kind == QuestionKind.TEXT.value and not isinstance(answer, str):
            raise BadRequest("Question {number} asks for text.", values={"number": number})
        checked.append(answer)
    return checked


async def answer_survey(
    session: AsyncSession, send: SurveySend, answers: list[Any]
) -> SurveyResponse:
    """The customer's one response to a send (``send`` is locked)."""
    if send.answered_at is not None:
        raise Conflict("This survey has already been answered. Thank you!", code="already_answered")
    if send.sent_at is None:
        raise Conflict("This survey has not been sent.", code="not_sent")
    repository = CsatRepository(session, send.workspace_id)
    survey = await repository.survey(send.survey_id)
    response = SurveyResponse(
        send_id=send.id,
        survey_id=survey.id,
        agent_id=send.agent_id,
        team_id=send.team_id,
        answers=_checked_answers(survey.questions, answers),
        created_at=utcnow(),
    )
    repository.add(response)
    send.answered_at = response.created_at
    await session.flush()
    return response


def _tally(questions: list[dict[str, Any]], answer_lists: list[list[Any]]) -> list[dict[str, Any]]:
    """Per question: how many answered, and the spread of ratings / choices (or the texts)."""
    results = []
    for index, question in enumerate(questions):
        given = [a[index] for a in answer_lists if index < len(a) and a[index] is not None]
        row: dict[str, Any] = {"question": question["text"], "kind": question["kind"]}
        row["answers"] = len(given)
        if question["kind"] == QuestionKind.RATING.value:
            scores = [int(a) for a in given if isinstance(a, int)]
            row["average"] = round(sum(scores) / len(scores), 2) if scores else None
            row["counts"] = {str(score): scores.count(score) for score in range(1, 6)}
        elif question["kind"] == QuestionKind.CHOICE.value:
            row["counts"] = {option: given.count(option) for option in question["options"]}
        else:
            row["texts"] = [str(a) for a in given[-50:]]
        results.append(row)
    return results


async def survey_results(
    session: AsyncSession,
    workspace_id: int,
    survey_id: int,
    span: tuple[dt.datetime, dt.datetime],
    by: str | None,
) -> dict[str, Any]:
    """Responses received in ``span``, per question, overall and by agent or team; ``sent``
    and ``answered`` count the sends that went out in ``span``."""
    repository = CsatRepository(session, workspace_id)
    survey = await repository.survey(survey_id)
    responses = await repository.responses(survey.id, *span)
    sent, answered = await repository.send_counts(survey.id, *span)
    result: dict[str, Any] = {
        "survey": {"id": survey.id, "name": survey.name},
        "sent": sent,
        "answered": answered,
        "responses": len(responses),
        "questions": _tally(survey.questions, [r.answers for r in responses]),
    }
    if by in ("agent", "team"):
        groups: dict[int | None, list[list[Any]]] = {}
        for response in responses:
            key = response.agent_id if by == "agent" else response.team_id
            groups.setdefault(key, []).append(response.answers)
        result["rows"] = [
            {"key": key, "responses": len(lists), "questions": _tally(survey.questions, lists)}
            for key, lists in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ]
    return result


async def open_link(session: AsyncSession, token: str) -> tuple[Survey, SurveySend]:
    """The survey and send of a one-time link (locked: two answers at once go one by one).
    The link is the credential: it names one send of one survey in one workspace."""
    send = await send_by_token(session, hash_token(token))
    if send is None or send.sent_at is None:
        raise NotFound("This survey link is not valid. Use the link from your email.")
    survey = await CsatRepository(session, send.workspace_id).survey(send.survey_id)
    return survey, send
