from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sangdam.kit.input import Id, Input, Text

Scope = Literal["personal", "team", "workspace"]


class CannedIn(Input):
    model_config = ConfigDict(extra="forbid")

    scope: Scope = Field(
        default="personal",
        description="personal: only you; team: the members of `team_id`; workspace: everyone. "
        "Team and workspace ones are managed by admins.",
    )
    team_id: Id | None = Field(default=None, description="Required for scope `team`.")
    lang: Literal["ko", "en"] | None = Field(
        default=None, description="The customer language it is written in; null for any."
    )
    shortcut: Text = Field(
        min_length=1,
        max_length=50,
        pattern=r"^[^\s/]+$",
        description="Typed after '/' in the reply box: 환불, refund, greeting… (no spaces).",
    )
    title: Text = Field(min_length=1, max_length=200)
    body: Text = Field(
        min_length=1,
        max_length=20_000,
        description="Plain text. Variables: {{contact.name}}, {{contact.email}}, {{agent.name}}, "
        "{{workspace.name}}, {{conversation.id}}; a fallback after '|': {{contact.name | 고객}}.",
    )

    @model_validator(mode="after")
    def _team(self) -> CannedIn:
        if self.scope == "team" and self.team_id is None:
            raise ValueError("a team canned response needs team_id")
        if self.scope != "team":
            self.team_id = None
        return self


class CannedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    scope: str
    agent_id: int | None
    team_id: int | None
    lang: str | None
    shortcut: str
    title: str
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


class RenderIn(Input):
    model_config = ConfigDict(extra="forbid")

    conversation_id: Id


class RenderOut(BaseModel):
    body: str = Field(description="Plain text, ready to send as the message body.")
    html: str = Field(description="The same text as escaped HTML, for previews.")
    unknown: list[str] = Field(description="Variables Sangdam doesn't know, left as typed.")
    empty: list[str] = Field(description="Known variables without a value for this conversation.")
