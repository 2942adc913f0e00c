from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    auto_assign: bool = False
    no_answer_minutes: int = Field(default=5, ge=1, le=24 * 60)
    member_ids: list[int] = Field(default_factory=list, max_length=500)


class TeamOut(BaseModel):
    id: int
    name: str
    everyone: bool
    auto_assign: bool
    no_answer_minutes: int
    member_ids: list[int]
    queue_size: int


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
    agent_id: int | None
    team_id: int | None
    candidates: list[dict[str, Any]]
    created_at: dt.datetime


class QueueOut(BaseModel):
    position: int
    eta_minutes: int
