from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sangdam.kit.input import Id, Input
from sangdam.kit.input import Text as FreeText


class Text(Input):
    """A line the bot says, in both languages."""

    model_config = ConfigDict(extra="forbid")
    ko: FreeText = Field(min_length=1, max_length=1000)
    en: FreeText = Field(min_length=1, max_length=1000)

    def get(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en


class CategoryButton(Input):
    model_config = ConfigDict(extra="forbid")
    # Matches FaqEntry.category.
    key: FreeText = Field(min_length=1, max_length=100)
    label: Text


class FlowDefinition(Input):
    """A button flow: greeting → categories → questions → answer → helpful? → a person."""

    model_config = ConfigDict(extra="forbid")

    greeting: Text = Text(
        ko="안녕하세요! 무엇이 궁금하신가요? 아래에서 고르시거나 질문을 입력해 주세요.",
        en="Hi! What would you like to know? Pick a topic below or type your question.",
    )
    categories: list[CategoryButton] = Field(default_factory=list, max_length=12)
    pick_question: Text = Text(
        ko="궁금하신 내용을 골라 주세요.", en="Which of these is your question?"
    )
    ask_feedback: Text = Text(ko="도움이 되었나요?", en="Did this help?")
    thanks: Text = Text(
        ko="도움이 되어 기뻐요! 더 궁금한 점이 있으면 언제든 물어보세요.",
        en="Glad it helped! Ask anytime if anything else comes up.",
    )
    offer_human: Text = Text(
        ko="죄송해요. 상담원과 이야기하시겠어요? 다른 주제를 고르셔도 돼요.",
        en="Sorry about that. Would you like to talk to a person? You can also pick another topic.",
    )
    unsure: Text = Text(
        ko="정확히 모르겠어요. 혹시 이 중에 있을까요?",
        en="I'm not sure I got that. Is it one of these?",
    )
    handoff: Text = Text(
        ko="상담원을 연결해 드릴게요. 잠시만 기다려 주세요.",
        en="I'm connecting you with a person. One moment, please.",
    )
    # Handing off outside business hours: nobody answers live, the reply goes by email.
    # {when} becomes the next opening, in the customer's own time zone in the widget.
    handoff_away: Text = Text(
        ko="지금은 상담 시간이 아니에요. {when}부터 상담원이 확인하고, 답변은 이메일로 보내드릴게요.",
        en="We're away right now and back {when}. We'll answer your message by email.",
    )
    # The same when the next opening is more than three weeks away or unknown.
    handoff_away_later: Text = Text(
        ko="지금은 상담 시간이 아니에요. 상담 시간이 되면 상담원이 확인하고, 답변은 이메일로 보내드릴게요.",
        en="We're away right now. We'll answer your message by email as soon as we're back.",
    )
    yes_label: Text = Text(ko="네, 해결됐어요", en="Yes, thanks")
    no_label: Text = Text(ko="아니요", en="Not really")
    human_label: Text = Text(ko="상담원 연결", en="Talk to a person")
    more_label: Text = Text(ko="자세히 보기", en="Read more")


class FlowIn(Input):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    definition: FlowDefinition


class FlowOut(BaseModel):
    inbox_id: int | None
    enabled: bool
    definition: FlowDefinition
    # True when no flow was saved yet and this one was derived from the FAQ categories.
    derived: bool


class BotStep(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    data: dict[str, Any]
    created_at: dt.datetime


class BotPath(BaseModel):
    category: str | None
    handed_off_at: dt.datetime | None
    steps: list[BotStep]


class BotOutcomes(BaseModel):
    conversations: int
    answered: int
    helpful: int
    not_helpful: int
    handed_off: int
    no_answer: int


class UnansweredQuestion(BaseModel):
    text: str  # the latest wording; questions differing only in case, spaces or punctuation are one
    count: int
    last_at: dt.datetime


class UnansweredCluster(BaseModel):
    """Unanswered questions that ask the same thing in other words (most asked first):
    one FAQ entry with them as its question and paraphrases would answer them all."""

    questions: list[str]
    count: int


class LearnOffer(BaseModel):
    """After an agent answers a handed-off conversation: the customer's question the bot
    could not answer (None when there is none), and whether this agent may edit the FAQ."""

    question: str | None
    can_edit_faq: bool


class LearnIn(Input):
    """Teach the bot the conversation's unanswered question: add it to the FAQ entry
    ``faq_id`` as a paraphrase, or make a new entry that answers it with ``answer``."""

    model_config = ConfigDict(extra="forbid")
    conversation_id: Id
    faq_id: Id | None = None
    answer: FreeText | None = Field(default=None, min_length=1, max_length=20000)


class FaqFeedback(BaseModel):
    key: str
    question: str
    answered: int
    helpful: int
    not_helpful: int


class BotReport(BaseModel):
    """What the bot did, and what to improve in the FAQ: the questions it could not
    answer, and the answers customers said did not help."""

    days: int
    outcomes: BotOutcomes
    unanswered: list[UnansweredQuestion]
    faqs: list[FaqFeedback]
    clusters: list[UnansweredCluster] = Field(default_factory=list)
