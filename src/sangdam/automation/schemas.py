"""Automation rules as data: a trigger, conditions (all must hold, or any one; groups of
them combine the other way) and actions.

Stored as JSON and validated here, on every save (4xx with the field that is
wrong) and again when a rule runs (a rule that no longer validates is skipped).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sangdam.kit.input import Id, Input, Int, Text

Event = Literal[
    "conversation_created",
    "message_received",
    "handed_off",
    "tagged",
    "attribute_changed",
    "rated",
]
EVENTS: tuple[str, ...] = get_args(Event)


class _Strict(Input):
    model_config = ConfigDict(extra="forbid")


class Trigger(_Strict):
    event: Event
    # "tagged": only this tag (any tag when null).
    tag_id: Id | None = None
    # "attribute_changed": only this attribute (any when null).
    attribute: Text | None = Field(default=None, max_length=100)
    # "rated": only bad ratings (1-2 of 5, or thumbs down) or only good ones (4-5, thumbs
    # up); any rating when null.
    rating: Literal["good", "bad"] | None = None


# ---- conditions -------------------------------------------------------------


class ChannelCondition(_Strict):
    type: Literal["channel"]
    # Inbox channel types: web_widget, email, api.
    any_of: list[Text] = Field(min_length=1, max_length=10)


class LanguageCondition(_Strict):
    type: Literal["language"]
    # The customer's language (ko, en, ja…), matched on the browser locale's prefix.
    any_of: list[Text] = Field(min_length=1, max_length=20)


class TextContainsCondition(_Strict):
    type: Literal["text_contains"]
    # The message that triggered the rule contains any of these (case-insensitive).
    any_of: list[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=50
    )


class BotCategoryCondition(_Strict):
    type: Literal["bot_category"]
    # The category the customer picked or the bot recognised (제품기능, 이용가격…).
    any_of: list[Text] = Field(min_length=1, max_length=50)


Operator = Literal["=", "!=", "<", "<=", ">", ">=", "contains", "exists", "not_exists"]


class AttributeCondition(_Strict):
    type: Literal["attribute"]
    # A key of the customer's profile attributes, e.g. app_version or plan.
    key: Text = Field(min_length=1, max_length=100)
    op: Operator
    value: Text | float | bool | None = None
    # How values compare: as text, as numbers, or as versions ("3.10.0" > "3.9.2").
    compare: Literal["text", "number", "version"] = "text"

    @model_validator(mode="after")
    def _shape(self) -> AttributeCondition:
        if self.op in ("exists", "not_exists"):
            return self
        if self.value is None:
            raise ValueError(f"operator {self.op!r} needs a value")
        if self.op in ("<", "<=", ">", ">=") and self.compare == "text":
            raise ValueError(
                f"operator {self.op!r} needs compare 'number' or 'version' "
                "(e.g. app_version < \"3.2.0\" is compare 'version')"
            )
        if self.compare == "version" and parse_version(str(self.value)) is None:
            raise ValueError(f"{self.value!r} is not a version like 3.2.0")
        if self.compare == "number":
            try:
                float(self.value)
            except (TypeError, ValueError):
                raise ValueError(f"{self.value!r} is not a number") from None
        return self


class BusinessHoursCondition(_Strict):
    type: Literal["business_hours"]
    # true: only while the conversation's team (or the workspace) is open; false: while closed.
    open: bool


class HasTagCondition(_Strict):
    type: Literal["has_tag"]
    tag_id: Id
    on: Literal["conversation", "contact"] = "conversation"
    # false: the rule needs the tag to be absent.
    present: bool = True


Match = Literal["all", "any"]

# One condition of a rule or of a group.
Simple = Annotated[
    ChannelCondition
    | LanguageCondition
    | TextContainsCondition
    | BotCategoryCondition
    | AttributeCondition
    | BusinessHoursCondition
    | HasTagCondition,
    Field(discriminator="type"),
]


class GroupCondition(_Strict):
    """Conditions that hold together ("all") or one of which is enough ("any"), inside a
    rule's conditions: "A and (B or C)", "(A and B) or (C and D)". Groups don't nest."""

    type: Literal["group"]
    match: Match = "all"
    conditions: list[Simple] = Field(min_length=1, max_length=20)


Condition = Annotated[Simple | GroupCondition, Field(discriminator="type")]


# ---- actions ----------------------------------------------------------------


class AddTagAction(_Strict):
    type: Literal["add_tag"]
    tag_id: Id
    on: Literal["conversation", "contact"] = "conversation"


class AssignTeamAction(_Strict):
    type: Literal["assign_team"]
    team_id: Id


class AssignAgentAction(_Strict):
    type: Literal["assign_agent"]
    agent_id: Id


class SetPriorityAction(_Strict):
    type: Literal["set_priority"]
    # Higher is served first in the queue (0 normal).
    priority: Int = Field(ge=0, le=10)


class SendCannedReplyAction(_Strict):
    type: Literal["send_canned_reply"]
    # A team or workspace canned response (personal ones belong to one agent).
    canned_response_id: Id


class AddNoteAction(_Strict):
    type: Literal["add_note"]
    # Internal note text; the canned-response variables work here too.
    body: Text = Field(min_length=1, max_length=5000)
    # Also notify the assignee (a reminder), not just leave the note.
    remind: bool = False


class NotifySlackAction(_Strict):
    type: Literal["notify_slack"]
    # A Slack incoming-webhook URL.
    url: Text = Field(max_length=2048)
    # The message; variables allowed. Empty: a default summary.
    text: Text | None = Field(default=None, max_length=2000)


class CallWebhookAction(_Strict):
    type: Literal["call_webhook"]
    url: Text = Field(max_length=2048)


Action = Annotated[
    AddTagAction
    | AssignTeamAction
    | AssignAgentAction
    | SetPriorityAction
    | SendCannedReplyAction
    | AddNoteAction
    | NotifySlackAction
    | CallWebhookAction,
    Field(discriminator="type"),
]


class RuleDefinition(_Strict):
    trigger: Trigger
    # How the conditions combine: all must hold (rules saved before groups), or any one.
    match: Match = "all"
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    actions: list[Action] = Field(min_length=1, max_length=10)


class RuleIn(RuleDefinition):
    name: Text = Field(min_length=1, max_length=200)
    enabled: bool = True
    position: Int = Field(default=0, ge=0, le=10_000)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the rule needs a name")
        return value


class RuleOut(BaseModel):
    id: int
    name: str
    enabled: bool
    position: int
    trigger: dict[str, Any]
    match: Match
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    webhook_secret: str = Field(
        description="Webhook calls carry X-Sangdam-Signature: sha256=HMAC-SHA256(secret, "
        "timestamp + '.' + body) and X-Sangdam-Timestamp."
    )
    run_count: int
    last_run_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RulesImported(BaseModel):
    created: int
    deleted: int


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: int
    conversation_id: int | None
    event: str
    actions: list[dict[str, Any]]
    created_at: dt.datetime


def parse_version(text: str) -> tuple[int, ...] | None:
    """ "3.2.0" -> (3, 2, 0); "v3.10" -> (3, 10); "3.2.0-beta" -> (3, 2, 0); junk -> None."""
    text = text.strip().lstrip("vV")
    parts: list[int] = []
    for piece in text.split("."):
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break  # "0-beta": the rest is a suffix
    if not parts:
        return None
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()  # 3.2 == 3.2.0
    return tuple(parts)
