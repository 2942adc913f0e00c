from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class AgentOut(BaseModel):
    id: int
    name: str
    email: str
    role: str


class ApiTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="The secret. It is shown only this once.")
