from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sangdam.kit.input import Input, Text

LANGS = ("ko", "en")
# Any visible text without spaces at the ends: ids come from other systems (e.g. "card_arrival?").
KEY_PATTERN = re.compile(r"^[^\s\x00-\x1f](?:[^\x00-\x1f]{0,98}[^\s\x00-\x1f])?$")
# Words of any script (Korean companies use Korean URLs), lowercase where letters have case,
# joined by hyphens; links percent-encode it. \w without "_": letters and digits only.
# The API description carries the pattern (Python's Unicode \w); ASCII capitals are refused
# there, other scripts' capitals are lowered by the validator (e.g. "É" → "é").
SLUG_PATTERN = re.compile(r"^[^\W_A-Z]+(?:-[^\W_A-Z]+)*$")


Lang = Literal["ko", "en"]


class FaqIn(Input):
    """One FAQ entry, as in the JSONL import format."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    key: Text = Field(
        alias="id",
        description="Your id for the entry, e.g. 'refund'.",
        json_schema_extra={"pattern": KEY_PATTERN.pattern},
    )
    category: Text = Field(min_length=1, max_length=100)
    question: Text = Field(min_length=1, max_length=500)
    paraphrases: list[Text] = Field(default_factory=list, max_length=100)
    answer: Text = Field(min_length=1, max_length=20000)
    lang: Lang = "ko"
    article: Text | None = Field(default=None, description="Slug of a help-center article")

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not KEY_PATTERN.fullmatch(value):
            raise ValueError("must be 1-100 characters without line breaks or spaces at the ends")
        return value

    @field_validator("paraphrases")
    @classmethod
    def _paraphrases(cls, value: list[str]) -> list[str]:
        cleaned = [p.strip() for p in value if p.strip()]
        if any(len(p) > 500 for p in cleaned):
            raise ValueError("each paraphrase must be at most 500 characters")
        return cleaned


class FaqOut(BaseModel):
    id: int
    key: str
    category: str
    question: str
    paraphrases: list[str]
    answer: str
    answer_html: str
    lang: str
    article_id: int | None
    updated_at: dt.datetime


class ImportResult(BaseModel):
    created: int
    updated: int
    deleted: int
    total: int


class ArticleIn(Input):
    model_config = ConfigDict(extra="forbid")

    slug: Text = Field(
        min_length=1, max_length=120, json_schema_extra={"pattern": SLUG_PATTERN.pattern}
    )
    lang: Lang = "ko"
    title: Text = Field(min_length=1, max_length=200)
    description: Text = Field(default="", max_length=300)
    body: Text = Field(min_length=1, max_length=100_000)
    category: Text | None = Field(default=None, max_length=100)
    published: bool = True

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        value = unicodedata.normalize("NFC", value)
        if SLUG_PATTERN.fullmatch(value):
            value = unicodedata.normalize("NFC", value.lower())
        if not SLUG_PATTERN.fullmatch(value):
            raise ValueError(
                "use lowercase letters (any language), digits and hyphens, e.g. "
                "'refund-policy' or '환불-정책'"
            )
        return value


class ArticleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    lang: str
    title: str
    description: str
    body: str
    category: str | None
    published: bool
    url: str = ""
    updated_at: dt.datetime


class SearchHit(BaseModel):
    kind: str  # "faq" or "article"
    id: int
    key: str
    title: str
    category: str | None
    lang: str
    # Plain-text answer to insert into a reply, and a link when there is an article.
    text: str
    url: str | None = None
    score: float


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit]
