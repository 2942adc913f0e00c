from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from sangdam.kit.input import Input, Text, Verbatim, clean_text

REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
# As documented: spaces around owner/name are trimmed.
REPO_SCHEMA: JsonDict = {"pattern": r"^\s*[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}\s*$"}


def _web_url(value: str | None) -> str | None:
    # Only web addresses become links in the inbox; javascript: and friends are dropped.
    if value and value.lower().startswith(("https://", "http://")):
        return value
    return None


def _text(value: Any, limit: int) -> str:
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("must be text or a number")
    return clean_text(value[:limit])


# ---- the external data card -------------------------------------------------------------


class ExternalDataIn(Input):
    model_config = ConfigDict(extra="forbid")

    url: Text = Field(max_length=2048, description="The company's https endpoint.")
    enabled: bool = True
    # The company's own CA certificates (PEM), trusted for this endpoint only. Omitted: keep
    # the stored ones; empty: trust only the public CAs again.
    ca_bundle: Verbatim | None = Field(default=None, max_length=256 * 1024)


class ExternalDataOut(BaseModel):
    url: str | None
    enabled: bool
    # Certificates are public: shown back so the admin sees which CA is trusted.
    ca_bundle: str | None = None
    # Sangdam signs each call with it; the company's endpoint checks the signature.
    signing_secret: str | None


class CardField(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str
    value: str

    @field_validator("label", mode="before")
    @classmethod
    def _label(cls, value: Any) -> str:
        return _text(value, 80)

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: Any) -> str:
        return _text(value, 500)


class CardItem(BaseModel):
    """One order (or ticket, booking...): title, status, amount, date and a link."""

    model_config = ConfigDict(extra="ignore")

    title: str
    status: str | None = None
    amount: str | None = None
    date: str | None = None
    url: str | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        return _text(value, 200)

    @field_validator("status", "amount", "date", mode="before")
    @classmethod
    def _short(cls, value: Any) -> str | None:
        return None if value is None else _text(value, 60)

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> str | None:
        return _web_url(_text(value, 2048)) if value is not None else None


class CardLink(BaseModel):
    label: str = Field(max_length=80)
    url: str

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> str:
        url = _web_url(_text(value, 2048))
        if url is None:
            raise ValueError("must be an http(s) address")
        return url


class ExternalCard(BaseModel):
    """What the company's endpoint answers (docs/customers.md has an example)."""

    model_config = ConfigDict(extra="ignore")

    title: str
    fields: list[CardField] = Field(default_factory=list, max_length=20)
    orders: list[CardItem] = Field(default_factory=list, max_length=20)
    link: CardLink | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        return _text(value, 100)


class ExternalDataResult(BaseModel):
    status: Literal["ok", "not_configured", "not_verified", "error"]
    card: ExternalCard | None = None
    # For people: why there is no card ("The endpoint answered 500", ...).
    message: str | None = None
    fetched_at: dt.datetime | None = None


# ---- GitHub ------------------------------------------------------------------------------


class GithubConfigIn(Input):
    model_config = ConfigDict(extra="forbid")

    api_url: Text = Field(
        default="https://api.github.com",
        max_length=500,
        description="https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise.",
    )
    repo: Text = Field(
        max_length=201,
        description="owner/name of the default repository.",
        json_schema_extra=REPO_SCHEMA,
    )
    # Omitted: keep the stored token. Empty: remove it (prefilled links only).
    token: Verbatim | None = Field(default=None, max_length=500)

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str) -> str:
        value = value.strip()
        if not REPO_PATTERN.fullmatch(value):
            raise ValueError("write the repository as owner/name, e.g. cloudgate/app")
        return value


class GithubConfigOut(BaseModel):
    api_url: str | None
    repo: str | None
    web_url: str | None
    has_token: bool
    # The token's last four characters, so an admin can tell which one is stored.
    token_hint: str | None


class GithubIssueIn(Input):
    model_config = ConfigDict(extra="forbid")

    title: Text = Field(min_length=1, max_length=256)
    body: Text = Field(default="", max_length=60000)
    repo: Text | None = Field(default=None, max_length=201, json_schema_extra=REPO_SCHEMA)

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str | None) -> str | None:
        if value is not None and not REPO_PATTERN.fullmatch(value.strip()):
            raise ValueError("write the repository as owner/name, e.g. cloudgate/app")
        return value.strip() if value else None


class GithubIssueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    repo: str
    number: int
    html_url: str
    title: str
    created_at: dt.datetime


class GithubIssueLink(BaseModel):
    """A prefilled "new issue" page: works without a token, the agent submits it on GitHub."""

    url: str | None
    title: str
    body: str
    issues: list[GithubIssueOut]
    # A repository is set: the inbox shows GitHub at all (else only issues made before).
    configured: bool = False
    # A token is saved too: Sangdam can create the issue itself, not only prefill a link.
    can_create: bool = False
