from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sangdam.kit.input import Input, Text, Verbatim


class LoginIn(Input):
    model_config = ConfigDict(extra="forbid")
    email: Text = Field(max_length=320)
    password: Verbatim = Field(max_length=1000)


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


class LocaleIn(Input):
    model_config = ConfigDict(extra="forbid")
    locale: Text = Field(max_length=35)


class PasswordIn(Input):
    model_config = ConfigDict(extra="forbid")
    current_password: Verbatim = Field(max_length=1000)
    new_password: Verbatim = Field(max_length=1000)


class ProfileIn(Input):
    model_config = ConfigDict(extra="forbid")
    name: Text = Field(max_length=200)


class ResetRequestIn(Input):
    model_config = ConfigDict(extra="forbid")
    email: Text = Field(max_length=320)


class ResetIn(Input):
    model_config = ConfigDict(extra="forbid")
    password: Verbatim = Field(max_length=1000)
