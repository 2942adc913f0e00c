from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(BaseModel):
    """When people answer: a weekly schedule (with breaks), public holidays, closed dates."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "Asia/Seoul"
    # Day -> open intervals, e.g. {"mon": [["09:00", "12:00"], ["13:00", "18:00"]]}.
    weekly: dict[str, list[tuple[dt.time, dt.time]]] = Field(default_factory=dict)
    # Country whose public holidays close the team ("KR"), or null.
    holidays: str | None = "KR"
    closed_dates: list[dt.date] = Field(default_factory=list, max_length=366)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("use an IANA time zone such as Asia/Seoul") from None
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
        if value is not None:
            import holidays

            if value.upper() not in holidays.list_supported_countries():
                raise ValueError(f"no public-holiday calendar for {value!r} (try KR)")
            return value.upper()
        return value


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    auto_assign: bool = False
    no_answer_minutes: int = Field(default=5, ge=1, le=24 * 60)
    member_ids: list[int] = Field(default_factory=list, max_length=500)


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


class SlackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=500, description="A Slack incoming-webhook URL")
    business_hours_only: bool = False


class CapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_concurrent: int = Field(ge=0, le=100)


class AvailabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    availability: Literal["online", "away", "offline"]
    max_concurrent: int | None = Field(default=None, ge=0, le=100)


class AgentStatusOut(BaseModel):
    id: int
    name: str
    availability: str
    present: bool
    max_concurrent: int
    load: int


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team_id: int
    note: str | None = Field(default=None, max_length=5000)


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
