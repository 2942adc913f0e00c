from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sangdam.kit.input import Input, Text, Verbatim
from sangdam.workspaces.models import Role


class MemberOut(BaseModel):
    id: int
    user_id: int
    name: str
    email: str
    role: Role
    active: bool
    deactivated_at: dt.datetime | None
    joined_at: dt.datetime
    has_avatar: bool


# Strict inputs take an enum's value only as its exact string.
RoleName = Annotated[Role, Field(strict=False)]


class RoleIn(Input):
    model_config = ConfigDict(extra="forbid")
    role: RoleName


class DeactivatedOut(BaseModel):
    member: MemberOut
    requeued: int = Field(description="Open conversations that went back to their queue.")


class InvitationIn(Input):
    model_config = ConfigDict(extra="forbid")
    email: Text = Field(max_length=320)
    role: RoleName = Role.AGENT


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: Role
    created_at: dt.datetime
    sent_at: dt.datetime
    send_count: int
    expires_at: dt.datetime
    accepted_at: dt.datetime | None


class InvitationSent(InvitationOut):
    link: str = Field(
        description="The one-time link, shown only now: pass it on by hand if email is off."
    )
    emailed: bool


class InvitationPreview(BaseModel):
    """What the invitation page shows before accepting."""

    workspace_name: str
    email: str
    role: Role
    has_account: bool
    expires_at: dt.datetime


class AcceptIn(Input):
    model_config = ConfigDict(extra="forbid")
    # For a new account; an existing account keeps its name.
    name: Text | None = Field(default=None, max_length=200)
    # For a new account; an existing account is used by signing in with it first.
    password: Verbatim | None = Field(default=None, max_length=1000)


class AcceptedOut(BaseModel):
    workspace_id: int
    agent_id: int
