from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sangdam.csat.models import QuestionKind, RatingScale, SurveyChannel
from sangdam.kit.input import Input, Int, Text, whole_number


class RatingIn(Input):
    model_config = ConfigDict(extra="forbid")
    score: Int = Field(
        ge=1, le=5, description="1 to 5; on the good/bad scale 5 is good and 1 is bad."
    )
    comment: Text | None = Field(default=None, max_length=1000)


class RatingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    agent_id: int | None
    team_id: int | None
    scale: RatingScale
    score: int
    comment: str | None
    satisfied: bool
    resolved_at: dt.datetime
    created_at: dt.datetime


class CsatSettingsIn(Input):
    model_config = ConfigDict(extra="forbid")
    rating_scale: Literal["five", "good_bad", "off"] = Field(
        description="five: 1–5 stars; good_bad: thumbs up or down; off: ask nothing."
    )
    ask_comment: bool = True


class CsatSettingsOut(BaseModel):
    """What the widget asks when a chat ends."""

    rating_scale: RatingScale
    ask_comment: bool


# ---- surveys ------------------------------------------------------------------------------

QuestionKindName = Literal["rating", "choice", "text"]


class QuestionIn(Input):
    model_config = ConfigDict(extra="forbid")
    kind: QuestionKindName = Field(
        description="rating: 1 to 5; choice: one of `options`; text: free text."
    )
    text: Text = Field(min_length=1, max_length=300)
    options: list[Annotated[Text, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=10, description="The choices of a choice question."
    )
    required: bool = False


class SurveyIn(Input):
    model_config = ConfigDict(extra="forbid")
    name: Text = Field(min_length=1, max_length=200)
    questions: list[QuestionIn] = Field(min_length=1, max_length=10)
    send_after_hours: Int = Field(
        default=0, ge=0, le=24 * 14, description="0: when the conversation is resolved."
    )
    channel: Literal["widget", "email", "both"] = Field(
        default="both",
        description="widget: live chats; email: conversations answered by email; both.",
    )
    active: bool = True


class QuestionOut(BaseModel):
    kind: QuestionKind
    text: str
    options: list[str]
    required: bool


class SurveyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    questions: list[QuestionOut]
    send_after_hours: int
    channel: SurveyChannel
    active: bool
    created_at: dt.datetime


Answer = (
    Annotated[int, Field(ge=1, le=5), BeforeValidator(whole_number)]
    | Annotated[Text, Field(max_length=2000)]
    | None
)


class SurveyAnswerIn(Input):
    model_config = ConfigDict(extra="forbid")
    answers: list[Answer] = Field(
        max_length=10,
        description="One per question, in order: 1–5 for a rating, an option's text for a "
        "choice, text for a text question, null to leave an optional question out.",
    )


class SurveyFormOut(BaseModel):
    """What the customer is asked (the public page and the widget card)."""

    send_id: int
    name: str
    questions: list[QuestionOut]
    answered: bool


class SurveyResponseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    survey_id: int
    send_id: int
    agent_id: int | None
    team_id: int | None
    answers: list[Any]
    created_at: dt.datetime


class SurveySendOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    survey_id: int
    conversation_id: int
    channel: str
    due_at: dt.datetime
    sent_at: dt.datetime | None
    skipped: bool
    answered_at: dt.datetime | None
