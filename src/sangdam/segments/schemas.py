"""Segment filters as data: conditions over customers, all of which must hold or any one,
with groups that combine the other way ("plan = premium and (seen in 10 days or did
order_failed)"). Stored as JSON and validated here on every save and every use; a
filter that does not validate is refused with the field that is wrong (422)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sangdam.kit.input import Id, Input, Int, Text

ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")
MAX_DAYS = 3650


class _Strict(Input):
    model_config = ConfigDict(extra="forbid")


AttributeType = Literal["text", "number", "date", "boolean"]
AttributeOp = Literal[
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "contains",
    "exists",
    "not_exists",
    "before",
    "after",
    "within_days",
    "more_than_days_ago",
]
OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "text": ("=", "!=", "contains", "exists", "not_exists"),
    "number": ("=", "!=", "<", "<=", ">", ">=", "exists", "not_exists"),
    "date": ("=", "before", "after", "within_days", "more_than_days_ago", "exists", "not_exists"),
    "boolean": ("=", "exists", "not_exists"),
}


class AttributeCondition(_Strict):
    type: Literal["attribute"]
    # A key of the customer's profile attributes (``Sangdam.boot`` profile), e.g. plan.
    key: Text = Field(min_length=1, max_length=100, pattern=ATTRIBUTE_KEY.pattern)
    # What the value is: only values of that JSON type match (a "3" text is not the number 3).
    # Dates are ISO texts ("2026-11-30" or a full timestamp), compared by their day.
    value_type: AttributeType = "text"
    op: AttributeOp
    value: Text | float | bool | None = None
    # Only values the company's backend signed (a verified member's), not what a browser claimed.
    signed_only: bool = False

    def problem(self) -> str | None:
        """What is wrong with the operator or the value for this type, or None; fixes the
        value's type on the way (numbers as floats, dates and texts as texts). A business
        rule beyond the schema: the service answers it with a 400."""
        allowed = OPS_BY_TYPE[self.value_type]
        if self.op not in allowed:
            return (
                f"operator {self.op!r} does not apply to {self.value_type} values "
                f"(use one of {', '.join(allowed)})"
            )
        if self.op in ("exists", "not_exists"):
            self.value = None
            return None
        if self.value is None:
            return f"operator {self.op!r} needs a value"
        if self.value_type == "number" or self.op in ("within_days", "more_than_days_ago"):
            if isinstance(self.value, bool):
                return f"{self.value!r} is not a number"
            try:
                number = float(self.value)
            except (TypeError, ValueError):
                return f"{self.value!r} is not a number"
            if self.op in ("within_days", "more_than_days_ago") and not 0 <= number <= MAX_DAYS:
                return f"days must be between 0 and {MAX_DAYS}"
            self.value = number
        elif self.value_type == "date":
            try:
                dt.date.fromisoformat(str(self.value))
            except ValueError:
                return f"{self.value!r} is not a date like 2026-11-30"
            self.value = str(self.value)
        elif self.value_type == "boolean":
            if not isinstance(self.value, bool):
                return "a boolean attribute compares with true or false"
        elif isinstance(self.value, bool):
            self.value = "true" if self.value else "false"
        else:
            self.value = str(self.value)
        return None


class TagCondition(_Strict):
    type: Literal["tag"]
    # A tag of the customer (contact tags, not conversation tags).
    tag_id: Id
    # false: customers without the tag.
    present: bool = True


class EventCondition(_Strict):
    type: Literal["event"]
    # A ``Sangdam.track`` event name, e.g. order_failed.
    name: Text = Field(min_length=1, max_length=80)
    within_days: Int = Field(ge=1, le=MAX_DAYS)
    # false: customers who did not do it in that time.
    did: bool = True


class PageViewCondition(_Strict):
    type: Literal["page_view"]
    # Part of the page's address, e.g. /pricing.
    url_contains: Text = Field(min_length=1, max_length=500)
    within_days: Int = Field(ge=1, le=MAX_DAYS)
    did: bool = True


class LastSeenCondition(_Strict):
    type: Literal["last_seen"]
    op: Literal["within_days", "more_than_days_ago"]
    days: Int = Field(ge=0, le=MAX_DAYS)


class LanguageCondition(_Strict):
    type: Literal["language"]
    # Languages (ko, en, ja…), matched on the browser locale's prefix.
    any_of: list[Annotated[Text, Field(min_length=2, max_length=8)]] = Field(
        min_length=1, max_length=20
    )


class VisitsCondition(_Strict):
    type: Literal["visits"]
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    value: Int = Field(ge=0, le=10**9)


class MemberCondition(_Strict):
    type: Literal["member"]
    # true: identified members (a verified boot); false: anonymous visitors and claims.
    identified: bool = True


Simple = Annotated[
    AttributeCondition
    | TagCondition
    | EventCondition
    | PageViewCondition
    | LastSeenCondition
    | LanguageCondition
    | VisitsCondition
    | MemberCondition,
    Field(discriminator="type"),
]

Match = Literal["all", "any"]


class GroupCondition(_Strict):
    """Conditions inside a filter that hold together ("all") or one of which is enough
    ("any"): "A and (B or C)". Groups don't nest."""

    type: Literal["group"]
    match: Match = "any"
    conditions: list[Simple] = Field(min_length=1, max_length=20)


Condition = Annotated[Simple | GroupCondition, Field(discriminator="type")]


class SegmentFilter(_Strict):
    match: Match = "all"
    # No conditions: every customer of the workspace.
    conditions: list[Condition] = Field(default_factory=list, max_length=30)


class SegmentIn(_Strict):
    name: Text = Field(min_length=1, max_length=200)
    filter: SegmentFilter


class SegmentOut(BaseModel):
    id: int
    name: str
    filter: SegmentFilter
    created_at: dt.datetime
    updated_at: dt.datetime


class PreviewContact(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str | None
    email: str | None
    locale: str | None
    member_id: str | None
    last_seen_at: dt.datetime


class SegmentPreview(BaseModel):
    count: int
    # The most recently seen customers who match (at most 20).
    contacts: list[PreviewContact]
