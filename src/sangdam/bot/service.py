"""The support bot: button flows and free-text answers from the FAQ, then a person.

The bot runs inside the transaction that stores the customer's message, so the
customer's message, the bot's reply and the recorded path commit together. It
speaks only while the conversation's status is ``bot``; a handoff or an agent's
reply ends that for good.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.bot.matching.clusters import group_questions
from sangdam.bot.matching.text import normalize
from sangdam.bot.models import BotEvent, BotEventKind
from sangdam.bot.repository import BotRepository
from sangdam.bot.schemas import (
    BotOutcomes,
    BotReport,
    CategoryButton,
    FaqFeedback,
    FlowDefinition,
    Text,
    UnansweredCluster,
    UnansweredQuestion,
)
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.db import utcnow
from sangdam.inboxes.models import Inbox
from sangdam.kit.errors import BadRequest, Conflict
from sangdam.kit.markdown import render_markdown
from sangdam.knowledge.models import FaqEntry
from sangdam.knowledge.repository import KnowledgeRepository
from sangdam.knowledge.service import (
    PassageAnswer,
    add_question,
    answer_from_articles,
    faq_from_answer,
    index_cache,
)
from sangdam.messages.models import Message, SenderType
from sangdam.messages.service import emit_conversation_updated, send_message
from sangdam.reactions.schemas import HandedOff
from sangdam.reactions.service import react
from sangdam.routing import service as routing
from sangdam.workspaces.models import Workspace

HUMAN = "human"
HELPFUL_YES = "helpful:yes"
HELPFUL_NO = "helpful:no"
# Bot answers may be longer than what a customer may type.
BOT_MAX_CHARS = 20_000
SUGGESTIONS = 3
# Questions listed under one topic button; more than this and the topic should be split.
TOPIC_QUESTIONS = 12


@dataclass(frozen=True)
class Flow:
    definition: FlowDefinition
    enabled: bool
    derived: bool


def bot_lang(locale: str | None) -> str:
    return "ko" if (locale or "ko").lower().startswith("ko") else "en"


async def flow_for(session: AsyncSession, workspace_id: int, inbox_id: int | None) -> Flow:
    """The entry point's own flow, else the workspace default, else one made from the FAQ."""
    repository = BotRepository(session, workspace_id)
    row = None
    if inbox_id is not None:
        row = await repository.flow(inbox_id)
    if row is None:
        row = await repository.flow(None)
    if row is not None:
        return Flow(FlowDefinition.model_validate(row.definition), row.enabled, derived=False)
    categories = [
        CategoryButton(key=c, label=Text(ko=c, en=c)) for c in await repository.categories()
    ]
    return Flow(FlowDefinition(categories=categories), enabled=True, derived=True)


async def is_active(session: AsyncSession, flow: Flow, workspace_id: int) -> bool:
    return flow.enabled and await BotRepository(session, workspace_id).has_faqs()


def welcome_buttons(flow: FlowDefinition, lang: str) -> list[dict[str, str]]:
    buttons = [{"id": f"cat:{c.key}", "label": c.label.get(lang)} for c in flow.categories]
    return [*buttons, {"id": HUMAN, "label": flow.human_label.get(lang)}]


async def welcome(session: AsyncSession, inbox: Inbox, lang: str) -> dict[str, Any] | None:
    """What the widget shows before a conversation exists: greeting and topic buttons."""
    flow = await flow_for(session, inbox.workspace_id, inbox.id)
    if not await is_active(session, flow, inbox.workspace_id):
        return None
    return {
        "greeting": flow.definition.greeting.get(lang),
        "buttons": welcome_buttons(flow.definition, lang),
    }


async def initial_state(session: AsyncSession, inbox: Inbox, lang: str) -> dict[str, Any] | None:
    """The bot state for a new conversation, or None when the bot is off for this inbox."""
    flow = await flow_for(session, inbox.workspace_id, inbox.id)
    if not await is_active(session, flow, inbox.workspace_id):
        return None
    return {
        "lang": lang,
        "offered": {b["id"]: b["label"] for b in welcome_buttons(flow.definition, lang)},
    }


def button_label(offered: dict[str, str], button: str) -> str:
    """The label of a button the bot offered; anything else is refused before it is stored."""
    if button not in offered:
        raise BadRequest(
            "That button is not available any more. Type your question instead.",
            code="stale_button",
        )
    return offered[button]


def names_the_question(button: str) -> bool:
    """Whether pressing ``button`` says what the customer wants (a topic, an FAQ question)
    rather than steering the bot (a person, yes/no): only those become the list's preview."""
    return button.startswith(("cat:", "faq:"))


def offered_buttons(conversation: Conversation) -> dict[str, str]:
    if conversation.status != Status.BOT.value:
        return {}
    return dict((conversation.bot_state or {}).get("offered", {}))


class _Turn:
    """One reply of the bot to one customer message."""

    def __init__(
        self,
        session: AsyncSession,
        conversation: Conversation,
        contact: Contact,
        flow: FlowDefinition,
        bot_name: str,
    ) -> None:
        self.session = session
        self.conversation = conversation
        self.contact = contact
        self.flow = flow
        self.bot_name = bot_name
        self.lang: str = conversation.bot_state.get("lang", "ko")

    def record(self, kind: BotEventKind, **data: Any) -> None:
        self.session.add(
            BotEvent(
                workspace_id=self.conversation.workspace_id,
                conversation_id=self.conversation.id,
                kind=kind.value,
                data=data,
            )
        )

    async def say(
        self, body: str, buttons: list[dict[str, str]] | None = None, **content: Any
    ) -> Message:
        buttons = buttons or []
        if buttons:
            content["buttons"] = buttons
        message, _ = await send_message(
            self.session,
            self.conversation,
            self.contact,
            sender_type=SenderType.BOT,
            sender_id=None,
            sender_name=self.bot_name,
            body=body,
            client_id=None,
            max_chars=BOT_MAX_CHARS,
            content=content,
        )
        # Only the newest message's buttons can be pressed.
        self.conversation.bot_state = {
            **self.conversation.bot_state,
            "offered": {b["id"]: b["label"] for b in buttons},
        }
        return message

    def text(self, line: Text) -> str:
        return line.get(self.lang)

    def faq_buttons(self, entries: list[FaqEntry]) -> list[dict[str, str]]:
        buttons = [{"id": f"faq:{e.key}", "label": e.question} for e in entries]
        return [*buttons, {"id": HUMAN, "label": self.text(self.flow.human_label)}]

    async def answer(
        self, entry: FaqEntry, *, via: str, confidence: float | None, help_url: str
    ) -> None:
        self.conversation.category = entry.category
        content: dict[str, Any] = {"faq": entry.key, "html": render_markdown(entry.answer)}
        if entry.article_id is not None:
            article = await KnowledgeRepository(self.session, entry.workspace_id).article(
                entry.article_id
            )
            content["link"] = {
                "url": f"{help_url}/{article.lang}/{article.slug}",
                "label": self.text(self.flow.more_label),
            }
        await self.say(entry.answer, **content)
        self.record(
            BotEventKind.ANSWERED,
            faq=entry.key,
            question=entry.question,
            via=via,
            confidence=confidence,
        )
        await self.ask_feedback()

    async def answer_passage(self, passage: PassageAnswer, *, help_url: str) -> None:
        """Answer with a section of a help-center article: its heading, its text and a link."""
        article = passage.article
        body = f"**{passage.heading}**\n\n{passage.markdown}"
        await self.say(
            body,
            html=render_markdown(body),
            article=article.slug,
            link={
                "url": f"{help_url}/{article.lang}/{article.slug}",
                "label": self.text(self.flow.more_label),
            },
        )
        self.record(
            BotEventKind.ANSWERED,
            article=article.slug,
            question=article.title,
            section=passage.heading,
            via="article",
            confidence=round(passage.confidence, 3),
        )
        await self.ask_feedback()

    async def ask_feedback(self) -> None:
        await self.say(
            self.text(self.flow.ask_feedback),
            [
                {"id": HELPFUL_YES, "label": self.text(self.flow.yes_label)},
                {"id": HELPFUL_NO, "label": self.text(self.flow.no_label)},
            ],
        )

    async def hand_off(self, reason: str) -> None:
        hours = await routing.open_now(
            self.session, self.conversation.workspace_id, self.conversation.team_id
        )
        if hours.open:
            await self.say(self.text(self.flow.handoff))
        else:
            await self._say_away(hours)
        self.record(BotEventKind.HANDED_OFF, reason=reason, category=self.conversation.category)
        now = utcnow()
        self.conversation.status = Status.OPEN.value
        self.conversation.handed_off_at = now
        self.conversation.waiting_since = self.conversation.waiting_since or now
        self.conversation.bot_state = {}
        self.conversation.version += 1
        emit_conversation_updated(self.session, self.conversation, self.contact)
        # Before queueing, so a rule's team or priority decides where it waits.
        await react(self.session, HandedOff(self.conversation, self.contact))
        await routing.enqueue(self.session, self.conversation, self.contact)

    async def _say_away(self, hours: routing.OpenNow) -> None:
        """Nobody answers live: say so, when people are back, and that the answer comes by
        email; the conversation becomes an offline message (answered by email once the
        customer leaves an address in the widget)."""
        if hours.next_open is not None:
            template = self.text(self.flow.handoff_away)
            body = template.replace(
                "{when}", opening_text(hours.next_open, hours.timezone, self.lang)
            )
        else:
            template = body = self.text(self.flow.handoff_away_later)
        next_open = hours.next_open.isoformat() if hours.next_open else None
        # The widget writes {when} in the customer's own time zone and language.
        await self.say(body, away={"next_open": next_open, "template": template})
        origin = {**self.conversation.origin, "offline": True, "next_open": next_open}
        if self.contact.email:
            origin["email"] = self.contact.email
        self.conversation.origin = {key: value for key, value in origin.items() if value}


_WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def opening_text(at: dt.datetime, timezone: str, lang: str) -> str:
    """When people are back, as the bot says it (the team's time zone): "12월 8일 (월) 오전
    9:00" or "Mon, Dec 8, 9:00 AM" (what the widget's Intl formatting shows)."""
    local = at.astimezone(ZoneInfo(timezone))
    hour = local.hour % 12 or 12
    if lang == "ko":
        half = "오전" if local.hour < 12 else "오후"
        weekday = _WEEKDAYS["ko"][local.weekday()]
        return f"{local.month}월 {local.day}일 ({weekday}) {half} {hour}:{local.minute:02d}"
    half = "AM" if local.hour < 12 else "PM"
    weekday = _WEEKDAYS["en"][local.weekday()]
    return f"{weekday}, {_MONTHS[local.month - 1]} {local.day}, {hour}:{local.minute:02d} {half}"


async def respond(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    message: Message,
    *,
    button: str | None,
    base_url: str,
) -> None:
    """Let the bot answer ``message`` if the conversation is still the bot's."""
    if conversation.status != Status.BOT.value or not conversation.bot_state:
        return
    workspace = await session.get(Workspace, conversation.workspace_id)
    assert workspace is not None
    help_url = f"{base_url}/help/{workspace.slug}"
    flow = await flow_for(session, conversation.workspace_id, conversation.inbox_id)
    turn = _Turn(session, conversation, contact, flow.definition, bot_name=workspace.name)
    knowledge = KnowledgeRepository(session, conversation.workspace_id)
    if button is not None:
        turn.record(BotEventKind.BUTTON, button=button, label=message.body)
        await _press(turn, knowledge, button, help_url)
        return
    turn.record(BotEventKind.QUESTION, text=message.body)
    index, entries = await index_cache.get(session, conversation.workspace_id)
    result = await asyncio.to_thread(index.match, message.body)
    if result.wants_human or result.decision == "human":
        await turn.hand_off("requested")
    elif result.decision == "small_talk":
        # "감사합니다" right after "Did this help?" is a yes.
        thanked_for_answer = result.small_talk == "thanks" and HELPFUL_YES in offered_buttons(
            conversation
        )
        turn.record(BotEventKind.SMALL_TALK, said=result.small_talk)
        if thanked_for_answer:
            turn.record(BotEventKind.HELPFUL, via="text")
        reply = turn.flow.thanks if result.small_talk == "thanks" else turn.flow.greeting
        await turn.say(turn.text(reply), welcome_buttons(turn.flow, turn.lang))
    elif result.decision == "answer" and result.best in entries:
        await turn.answer(
            entries[result.best],
            via="text",
            confidence=round(result.confidence, 3),
            help_url=help_url,
        )
    elif (
        result.decision in ("suggest", "out_of_scope")
        and (
            passage := await answer_from_articles(
                session,
                conversation.workspace_id,
                message.body,
                lang=turn.lang,
                faq_similarity=result.similarity,
            )
        )
        is not None
    ):
        # No FAQ entry answers it directly, but a section of an article does.
        await turn.answer_passage(passage, help_url=help_url)
    elif result.decision == "suggest":
        suggested = [entries[key] for key, _ in result.suggestions[:SUGGESTIONS] if key in entries]
        turn.record(
            BotEventKind.SUGGESTED,
            faqs=[e.key for e in suggested],
            confidence=round(result.confidence, 3),
        )
        await turn.say(turn.text(turn.flow.unsure), turn.faq_buttons(suggested))
    else:
        turn.record(
            BotEventKind.NO_ANSWER, text=message.body, confidence=round(result.confidence, 3)
        )
        await turn.hand_off("out_of_scope")


async def hand_off(
    session: AsyncSession, conversation: Conversation, contact: Contact, *, reason: str
) -> None:
    """Hand a bot conversation to people now, in the bot's voice (off hours: when people are
    back and that the answer comes by email)."""
    workspace = await session.get(Workspace, conversation.workspace_id)
    assert workspace is not None
    flow = await flow_for(session, conversation.workspace_id, conversation.inbox_id)
    turn = _Turn(session, conversation, contact, flow.definition, bot_name=workspace.name)
    await turn.hand_off(reason)


async def _press(turn: _Turn, knowledge: KnowledgeRepository, button: str, help_url: str) -> None:
    if button == HUMAN:
        await turn.hand_off("requested")
    elif button == HELPFUL_YES:
        turn.record(BotEventKind.HELPFUL)
        await turn.say(turn.text(turn.flow.thanks), welcome_buttons(turn.flow, turn.lang))
    elif button == HELPFUL_NO:
        turn.record(BotEventKind.NOT_HELPFUL)
        await turn.say(turn.text(turn.flow.offer_human), welcome_buttons(turn.flow, turn.lang))
    elif button.startswith("cat:"):
        category = button.removeprefix("cat:")
        turn.conversation.category = category
        entries = await knowledge.faqs(lang=turn.lang, category=category) or await knowledge.faqs(
            category=category
        )
        await turn.say(
            turn.text(turn.flow.pick_question), turn.faq_buttons(entries[:TOPIC_QUESTIONS])
        )
    elif button.startswith("faq:"):
        entry = await knowledge.faq_by_key(button.removeprefix("faq:"))
        if entry is None:  # deleted since it was offered
            await turn.hand_off("missing_faq")
        else:
            await turn.answer(entry, via="button", confidence=None, help_url=help_url)


# ---- the report: what to improve in the FAQ --------------------------------------------


async def outcomes(session: AsyncSession, workspace_id: int, days: int) -> BotOutcomes:
    """How many conversations the bot saw over the last ``days``, and what it did."""
    since = utcnow() - dt.timedelta(days=days)
    counts = await BotRepository(session, workspace_id).outcome_counts(since)
    return BotOutcomes(
        conversations=counts.get("conversations", 0),
        answered=counts.get("answered", 0),
        helpful=counts.get("helpful", 0),
        not_helpful=counts.get("not_helpful", 0),
        handed_off=counts.get("handed_off", 0),
        no_answer=counts.get("no_answer", 0),
    )


async def report(session: AsyncSession, workspace_id: int, days: int) -> BotReport:
    """Outcomes over the last ``days``, the questions the bot could not answer (most
    asked first) and, per FAQ entry it answered, how often customers said it helped."""
    since = utcnow() - dt.timedelta(days=days)
    repository = BotRepository(session, workspace_id)
    kinds = (
        BotEventKind.NO_ANSWER,
        BotEventKind.ANSWERED,
        BotEventKind.HELPFUL,
        BotEventKind.NOT_HELPFUL,
    )
    events = await repository.events_since(since, tuple(kind.value for kind in kinds))
    unanswered: dict[str, UnansweredQuestion] = {}
    feedback: dict[str, FaqFeedback] = {}
    # Oldest first, so feedback goes to the answer shown just before it in its conversation.
    last_answer: dict[int, str] = {}
    for event in reversed(events):
        if event.kind == BotEventKind.NO_ANSWER:
            text = str(event.data.get("text") or "").strip()
            key = normalize(text)
            if not key:
                continue
            seen = unanswered.get(key)
            unanswered[key] = UnansweredQuestion(
                text=text,
                count=(seen.count if seen else 0) + 1,
                last_at=event.created_at,
            )
        elif event.kind == BotEventKind.ANSWERED:
            faq = str(event.data.get("faq") or "")
            if not faq:  # a passage of an article, not an FAQ entry
                last_answer.pop(event.conversation_id, None)
                continue
            last_answer[event.conversation_id] = faq
            row = feedback.setdefault(
                faq,
                FaqFeedback(
                    key=faq,
                    question=str(event.data.get("question") or faq),
                    answered=0,
                    helpful=0,
                    not_helpful=0,
                ),
            )
            row.answered += 1
        elif event.conversation_id in last_answer:
            row = feedback[last_answer[event.conversation_id]]
            if event.kind == BotEventKind.HELPFUL:
                row.helpful += 1
            else:
                row.not_helpful += 1
    questions = sorted(unanswered.values(), key=lambda q: (-q.count, q.text))
    return BotReport(
        days=days,
        outcomes=await outcomes(session, workspace_id, days),
        unanswered=questions[:20],
        faqs=sorted(feedback.values(), key=lambda f: (-f.not_helpful, -f.answered, f.key))[:20],
        clusters=await _clusters(questions[:CLUSTERED_QUESTIONS]),
    )


# The report groups at most this many of the most asked unanswered questions.
CLUSTERED_QUESTIONS = 200


async def _clusters(questions: list[UnansweredQuestion]) -> list[UnansweredCluster]:
    """Unanswered questions that ask the same thing in other words, biggest group first
    (groups of two or more distinct wordings)."""
    if len(questions) < 2:
        return []
    groups = await asyncio.to_thread(group_questions, [q.text for q in questions])
    clusters = [
        UnansweredCluster(
            questions=[questions[i].text for i in group],
            count=sum(questions[i].count for i in group),
        )
        for group in groups
        if len(group) > 1
    ]
    return sorted(clusters, key=lambda c: (-c.count, c.questions[0]))[:20]


# ---- the bot learns from the team --------------------------------------------------


async def unanswered_question(
    session: AsyncSession, workspace_id: int, conversation_id: int
) -> str | None:
    """The customer's last question to the bot in this conversation, unless the bot
    answered it (an answer the customer said did not help counts as unanswered)."""
    question: str | None = None
    answered = False
    for step in await BotRepository(session, workspace_id).path(conversation_id):
        if step.kind == BotEventKind.QUESTION:
            question, answered = str(step.data.get("text") or "").strip() or None, False
        elif step.kind == BotEventKind.ANSWERED:
            answered = True
        elif step.kind == BotEventKind.NOT_HELPFUL:
            answered = False
    return None if answered else question


async def learn(
    session: AsyncSession,
    workspace_id: int,
    conversation: Conversation,
    *,
    faq_id: int | None,
    answer: str | None,
) -> FaqEntry:
    """Teach the bot the conversation's unanswered question: a paraphrase of the FAQ entry
    ``faq_id``, or a new entry answering it with ``answer`` (what the agent replied)."""
    question = await unanswered_question(session, workspace_id, conversation.id)
    if question is None:
        raise Conflict(
            "This conversation has no question the bot could not answer, so there is "
            "nothing to add to the FAQ."
        )
    if faq_id is not None:
        return await add_question(session, workspace_id, faq_id, question)
    if answer is None:
        raise BadRequest("Choose an FAQ entry for the question, or give the answer for a new one.")
    return await faq_from_answer(
        session, workspace_id, [question], answer, category=conversation.category
    )
