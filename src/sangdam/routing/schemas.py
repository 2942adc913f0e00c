from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args
from zoneinfo import available_timezones

import holidays as holidays_package
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)

from sangdam.kit.input import Id, Input, Int, Text, whole_number

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = get_args(Day)


def _text_only(value: Any) -> Any:
    # "09:00" and "2026-01-01" as the schema says, not a number of seconds.
    if not isinstance(value, str | dt.time | dt.date):
        raise ValueError("must be text like 09:00 or 2026-01-01")
    return value


_Time = Annotated[dt.time, BeforeValidator(_text_only)]
_Date = Annotated[dt.date, BeforeValidator(_text_only)]
_COUNTRIES: list[JsonValue] = [*sorted(holidays_package.list_supported_countries())]
_TIMEZONES: list[JsonValue] = [*sorted(available_timezones())]


class BusinessHours(Input):
    """When people answer: a weekly schedule (with breaks), public holidays, closed dates."""

    # Times and dates arrive as JSON strings ("09:00", "2026-01-01"): read them leniently.
    model_config = ConfigDict(extra="forbid", strict=False)

    timezone: Text = Field(default="Asia/Seoul", json_schema_extra={"enum": _TIMEZONES})
    # Day -> open intervals, e.g. {"mon": [["09:00", "12:00"], ["13:00", "18:00"]]}.
    weekly: dict[Day, list[tuple[_Time, _Time]]] = Field(default_factory=dict)
    # Country whose public holidays close the team ("KR"), or null.
    holidays: Text | None = Field(default="KR", json_schema_extra={"enum": _COUNTRIES})
    closed_dates: list[_Date] = Field(default_factory=list, max_length=366)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("use an IANA time zone such as Asia/Seoul")
        return value

    @field_validator("weekly")
    @classmethod
    def _weekly(
        cls, value: dict[str, list[tuple[dt.time, dt.time]]]
    ) -> dict[str, list[tuple[dt.time, dt.time]]]:
        for day, intervals in value.items():
            if day not in DAYS:
                raise ValueError(f"days are {', '.join(DAYS)}; got {day!r}")
            for start, end in intervals:
                if start >= end:
                    raise ValueError(f"{day}: {start:%H:%M} is not before {end:%H:%M}")
        return value

    @field_validator("holidays")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and value not in _COUNTRIES:
            raise ValueError(f"no public-holiday calendar for {value!r} (try KR)")
        return value


class TeamIn(Input):
    model_config = ConfigDict(extra="forbid")
    name: Text = Field(min_length=1, max_length=100)
    auto_assign: bool = False
    no_answer_minutes: Int = Field(default=5, ge=1, le=24 * 60)
    member_ids: list[Id] = Field(default_factory=list, max_length=500)


class SlackOut(BaseModel):
    """Whether Slack is on; the webhook URL is a credential, so only a hint of it is shown."""

    url_hint: str
    business_hours_only: bool


class TeamOut(BaseModel):
    id: int
    name: str
    everyone: bool
    auto_assign: bool
    no_answer_minutes: int
    member_ids: list[int]
    queue_size: int
    hours: BusinessHours | None = None
    open_now: bool = True
    slack: SlackOut | None = None


class SlackIn(Input):
    model_config = ConfigDict(extra="forbid")
    url: Text = Field(max_length=500, description="A Slack incoming-webhook URL")
    business_hours_only: bool = False


class CapIn(Input):
    model_config = ConfigDict(extra="forbid")
    max_concurrent: Int = Field(ge=0, le=100)


class AvailabilityIn(Input):
    model_config = ConfigDict(extra="forbid")
    availability: Literal["online", "away", "offline"]
    max_concurrent: Annotated[int, Field(ge=0, le=100), BeforeValidator(whole_number)] | None = None


class AgentStatusOut(BaseModel):
    id: int
    name: str
    availability: str
    present: bool
    max_concurrent: int
    load: int
    # False once deactivated: kept for history, never given conversations.
    active: bool = True


class TransferIn(Input):
    """To a colleague (``agent_id``) or to a team's queue (``team_id``): one of the two."""

    model_config = ConfigDict(extra="forbid")
    team_id: Id | None = None
    agent_id: Id | None = None
    note: Text | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if (self.team_id is None) == (self.agent_id is None):
            raise ValueError("give either agent_id (a colleague) or team_id (a team's queue)")
        return self


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    reason: str
    # The reason's key and values ({"key": "claimed_by", "params": {"name": "김민아"}}).
    detail: dict[str, Any]
    agent_id: int | None
    team_id: int | None
    candidates: list[dict[str, Any]]
    created_at: dt.datetime


class QueueOut(BaseModel):
    position: int
    eta_minutes: int
