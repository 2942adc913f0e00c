from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sangdam.csat.models import RatingScale
from sangdam.kit.input import Input, Int, Text


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
