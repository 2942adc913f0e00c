from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sangdam.kit.input import Input, Text, Verbatim


class AgentOut(BaseModel):
    id: int
    name: str
    email: str
    role: str


Scope = Literal["read", "write", "admin"]


def _all_scopes() -> list[Scope]:
    return ["read", "write", "admin"]


class ApiTokenIn(Input):
    model_config = ConfigDict(extra="forbid")
    name: Text = Field(max_length=200)
    scopes: list[Scope] = Field(
        default_factory=_all_scopes,
        min_length=1,
        max_length=3,
        description="read: GET anything; write: change conversations, messages, contacts…; "
        "admin: act with the creator's role, settings included. Omitted: all three.",
    )
    # JSON has no datetime type: an ISO 8601 string with its time zone.
    expires_at: Annotated[AwareDatetime, Field(strict=False)] | None = Field(
        default=None, description="From then on the token is refused (401). Omitted: never."
    )


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None = Field(
        description="Recorded at most once a minute, so up to a minute behind."
    )


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="The secret. It is shown only this once.")


class WorkspaceSettingsIn(Input):
    """A workspace's general settings (also the company part of first-run setup)."""

    model_config = ConfigDict(extra="forbid")
    name: Text = Field(min_length=1, max_length=200)
    locale: Text = Field(default="ko", max_length=8)
    timezone: Text = Field(default="Asia/Seoul", max_length=64)
    # The company's website, where the widget goes ("www.example.com").
    website: Text | None = Field(default=None, max_length=300)
    # Off hours, which typed messages the bot hands to the team (queued for the next opening,
    # the team emailed, the customer told when): those it cannot answer, or every one.
    # Left out: unchanged.
    off_hours_to_team: Literal["unanswered", "every"] | None = None


class SetupIn(WorkspaceSettingsIn):
    """First run: the owner's account and the company's workspace."""

    owner_name: Text = Field(min_length=1, max_length=200)
    email: Text = Field(max_length=320)
    password: Verbatim = Field(max_length=1000)


class WorkspaceOut(BaseModel):
    id: int
    name: str
    locale: str
    timezone: str
    website: str | None
    off_hours_to_team: Literal["unanswered", "every"] = "unanswered"
    widget_key: str
    help_url: str | None


class SetupStatus(BaseModel):
    needed: bool = Field(description="True until the installation has its first account.")


class ChecklistOut(BaseModel):
    """The first steps of a new workspace, and which are done."""

    widget_installed: bool
    teammates_invited: bool
    hours_set: bool
    faq_added: bool
    snippet: str
