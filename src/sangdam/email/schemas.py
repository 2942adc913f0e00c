from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sangdam.kit.input import Input, Text


class EmailInboxIn(Input):
    model_config = ConfigDict(extra="forbid")
    address: Text = Field(
        max_length=320,
        description="The support address whose mail reaches Sangdam's listener, e.g. "
        "support@mail.example.com; email to it that answers no conversation opens a new one.",
    )
    name: Text = Field(default="Email", min_length=1, max_length=200)


class EmailInboxOut(BaseModel):
    id: int
    name: str
    address: str
