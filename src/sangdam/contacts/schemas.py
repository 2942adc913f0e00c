from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    computed_field,
    field_validator,
)

from sangdam.db import utcnow
from sangdam.kit.input import Input, JsonObject, Text, Verbatim, clean_json

# Custom attributes: limits that keep one contact's profile a profile, not a blob store.
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_TEXT = 1000
MAX_PROFILE_BYTES = 8 * 1024
MAX_EVENT_PROPS = 20
MAX_EVENT_PROPS_BYTES = 2 * 1024
KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
EVENT_NAME_PATTERN = re.compile(r"^[^\x00-\x1f\x7f]{1,80}$")
# name, email and memberId have their own fields; a profile key can't shadow them.
RESERVED_KEYS = frozenset({"name", "email", "memberId", "member_id"})
# The signed attribute a tenure ("customer for 14 months") is counted from.
SIGNED_UP_KEYS = ("signedUpAt", "signed_up_at")

Scalar = str | int | float | bool | None


def check_flat_object(
    value: Any, *, what: str, max_keys: int, max_bytes: int, max_text: int
) -> dict[str, Scalar]:
    """A flat JSON object of scalars with sane keys and sizes, or a clear error."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object of key: value pairs")
    value = clean_json(value)
    if len(value) > max_keys:
        raise ValueError(f"{what} has {len(value)} keys; the limit is {max_keys}")
    clean: dict[str, Scalar] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            raise ValueError(
                f"{what} key {str(key)[:70]!r} must be letters, digits or _ (at most 64)"
            )
        if key in RESERVED_KEYS:
            raise ValueError(f"{what} key {key!r} is reserved; pass it as its own field")
        if isinstance(item, bool) or item is None:
            clean[key] = item
        elif isinstance(item, int | float):
            if isinstance(item, float) and not math.isfinite(item):
                raise ValueError(f"{what}.{key} must be a finite number")
            clean[key] = item
        elif isinstance(item, str):
            if len(item) > max_text:
                raise ValueError(f"{what}.{key} is longer than {max_text} characters")
            clean[key] = item
        else:
            raise ValueError(f"{what}.{key} must be text, a number, true/false or null")
    if len(json.dumps(clean, ensure_ascii=False).encode()) > max_bytes:
        raise ValueError(f"{what} is larger than {max_bytes // 1024} KB")
    return clean


def flat_object_schema(what: str, *, max_keys: int, max_text: int) -> WithJsonSchema:
    """What ``check_flat_object`` takes, as JSON Schema (the byte limit aside)."""
    scalar = [
        {"type": "string", "maxLength": max_text},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]
    flat = {
        "type": "object",
        "maxProperties": max_keys,
        "propertyNames": {"pattern": KEY_PATTERN.pattern, "not": {"enum": sorted(RESERVED_KEYS)}},
        "additionalProperties": {"anyOf": scalar},
    }
    return WithJsonSchema(
        {"anyOf": [flat, {"type": "null"}], "description": f"{what}: flat key: value pairs"}
    )


class PageContext(Input):
    """What the widget reports about where the visitor is."""

    model_config = ConfigDict(extra="ignore")

    url: Text | None = Field(default=None, max_length=2048)
    title: Text | None = Field(default=None, max_length=300)
    referrer: Text | None = Field(default=None, max_length=2048)
    locale: Text | None = Field(default=None, max_length=35)
    timezone: Text | None = Field(default=None, max_length=64)

    @field_validator("url", "referrer")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        # Only web addresses: a javascript: URL would become a link in the inbox.
        if value and not value.lower().startswith(("http://", "https://")):
            return None
        return value or None


def _parse_moment(value: Any) -> dt.datetime | None:
    """An ISO date/time or Unix seconds, as the company's backend may send signedUpAt."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(value, dt.UTC)
        if isinstance(value, str):
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def tenure(
    attributes: dict[str, Any], signed_keys: list[str], first_seen_at: dt.datetime
) -> dict[str, Any]:
    """How long they have been a customer: from a signed signedUpAt, else first seen."""
    since, source = first_seen_at, "first_seen"
    for key in SIGNED_UP_KEYS:
        if key in signed_keys and (moment := _parse_moment(attributes.get(key))) is not None:
            since, source = moment, key
            break
    now = utcnow()
    months = (now.year - since.year) * 12 + now.month - since.month - (now.day < since.day)
    return {
        "since": since.isoformat(),
        "months": max(months, 0),
        "days": max((now - since).days, 0),
        "source": source,
    }


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str | None
    email: str | None
    # Set only when the company's backend signed the identity (memberHash / memberToken).
    member_id: str | None = None
    verified_at: dt.datetime | None = None
    # What an unverified boot claimed; agents see it marked as unverified.
    claimed_member_id: str | None = None
    # Which of name, email and the attributes were signed; the rest are claims.
    signed_keys: list[str] | None = None
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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verified(self) -> bool:
        return self.member_id is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tenure(self) -> dict[str, Any]:
        return tenure(self.attributes or {}, self.signed_keys or [], self.first_seen_at)


class VisitorContactOut(BaseModel):
    """What a visitor may know about themselves."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str | None
    email: str | None


class IdentifyIn(Input):
    """What ``Sangdam.boot({...})`` passes on, from the host page."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    member_id: Verbatim | None = Field(default=None, alias="memberId", min_length=1, max_length=200)
    member_hash: Verbatim | None = Field(default=None, alias="memberHash", max_length=128)
    # Optional, expiring: base64url(JSON {memberId, name, email, profile, exp}) "." hex HMAC.
    member_token: Verbatim | None = Field(default=None, alias="memberToken", max_length=16 * 1024)
    name: Text | None = Field(default=None, max_length=200)
    email: Text | None = Field(default=None, max_length=320)
    profile: Annotated[
        JsonObject,
        flat_object_schema(
            "Profile attributes", max_keys=MAX_ATTRIBUTES, max_text=MAX_ATTRIBUTE_TEXT
        ),
    ] = Field(default_factory=dict)

    @field_validator("profile", mode="before")
    @classmethod
    def _profile(cls, value: Any) -> dict[str, Scalar]:
        return check_flat_object(
            value,
            what="profile",
            max_keys=MAX_ATTRIBUTES,
            max_bytes=MAX_PROFILE_BYTES,
            max_text=MAX_ATTRIBUTE_TEXT,
        )


class IdentifyOut(BaseModel):
    # A new visitor token when the browser now speaks for another contact; keep it.
    token: str | None
    contact: VisitorContactOut
    verified: bool
    # Why the identity was not verified (missing_hash, bad_hash, bad_token, expired_token,
    # token_required: the workspace accepts only memberToken).
    problem: str | None = None


class TrackIn(Input):
    model_config = ConfigDict(extra="forbid")

    event: Text = Field(
        description="What happened, e.g. 'checkout_started' (at most 80 chars).",
        json_schema_extra={"pattern": r"^\s*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]{0,79}\s*$"},
    )
    props: Annotated[
        JsonObject, flat_object_schema("Event properties", max_keys=MAX_EVENT_PROPS, max_text=500)
    ] = Field(default_factory=dict)
    context: PageContext = Field(default_factory=PageContext)

    @field_validator("event")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not EVENT_NAME_PATTERN.match(value):
            raise ValueError("the event name must be 1 to 80 printable characters")
        return value

    @field_validator("props", mode="before")
    @classmethod
    def _props(cls, value: Any) -> dict[str, Scalar]:
        return check_flat_object(
            value,
            what="props",
            max_keys=MAX_EVENT_PROPS,
            max_bytes=MAX_EVENT_PROPS_BYTES,
            max_text=500,
        )


class ContactEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    props: dict[str, Any]
    url: str | None
    title: str | None
    created_at: dt.datetime


class ContactEventPage(BaseModel):
    events: list[ContactEventOut]
    next_before: int | None = Field(description="Pass as `before` for older events.")


class ContactPage(BaseModel):
    contacts: list[ContactOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null when there is none."
    )


class IdentitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    require_member_token: bool = Field(
        description="Only a signed, expiring memberToken verifies a member; a bare "
        "memberHash is treated as a claim."
    )


class IdentitySecretOut(BaseModel):
    secret: str = Field(description="Signs memberHash: hex HMAC-SHA256(memberId, secret).")
