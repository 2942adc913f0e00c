from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sangdam.kit.input import Id, Input, Text

COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"


class TagIn(Input):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=50, description="불만, 개선 아이디어, VIP…")
    color: str = Field(default="#64748b", pattern=COLOR_PATTERN, description="#rrggbb")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("the tag needs a name")
        return value


class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    color: str
    created_at: dt.datetime


class TagRef(Input):
    model_config = ConfigDict(extra="forbid")

    tag_id: Id


class ContactTagsOut(BaseModel):
    contact_id: int
    tag_ids: list[int]
