from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PageContext(BaseModel):
    """What the widget reports about where the visitor is."""

    model_config = ConfigDict(extra="ignore")

    url: str | None = Field(default=None, max_length=2048)
    title: str | None = Field(default=None, max_length=300)
    referrer: str | None = Field(default=None, max_length=2048)
    locale: str | None = Field(default=None, max_length=35)
    timezone: str | None = Field(default=None, max_length=64)

    @field_validator("url", "referrer")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        # Only web addresses: a javascript: URL would become a link in the inbox.
        if value and not value.lower().startswith(("http://", "https://")):
            return None
        return value or None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str | None
    email: str | None
    locale: str | None
    timezone: str | None
    device: str | None
    os: str | None
    browser: str | None
    current_url: str | None
    current_title: str | None
    referrer: str | None
    visits: int
    attributes: dict[str, Any]
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime


class VisitorContactOut(BaseModel):
    """What a visitor may know about themselves."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str | None
    email: str | None
