from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class MembershipOut(BaseModel):
    workspace_id: int
    workspace_name: str
    agent_id: int
    role: str


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    locale: str
    csrf_token: str
    workspaces: list[MembershipOut]


class LocaleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    locale: str


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)
