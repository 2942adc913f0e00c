"""Segments: one evaluator that compiles a filter to SQL over ``contacts``.

The same filter gives the same customers on SQLite and PostgreSQL: attribute values are
compared only when their JSON type is the condition's type (``json_type`` /
``jsonb_typeof``), numbers are cast only inside that check (PostgreSQL does not promise
to evaluate ``AND`` left to right), dates compare by their ISO day as text, and every
"in the last N days" is measured from one ``now`` passed in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.contacts.models import Contact, ContactEvent
from sangdam.db import utcnow
from sangdam.kit.errors import BadRequest
from sangdam.segments.models import Segment
from sangdam.segments.repository import SegmentRepository
from sangdam.segments.schemas import (
    AttributeCondition,
    EventCondition,
    GroupCondition,
    LanguageCondition,
    LastSeenCondition,
    MemberCondition,
    PageViewCondition,
    PreviewContact,
    SegmentFilter,
    SegmentIn,
    SegmentPreview,
    TagCondition,
    VisitsCondition,
)
from sangdam.tags.models import ContactTag, Tag

PREVIEW_LIMIT = 20
# JSON types by dialect: what json_type (SQLite) / jsonb_typeof (PostgreSQL) answer.
_JSON_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "sqlite": {"text": ("text",), "number": ("integer", "real"), "boolean": ("true", "false")},
    "postgresql": {"text": ("string",), "number": ("number",), "boolean": ("boolean",)},
}


class _Attribute:
    """SQL for one attribute key of ``contacts.attributes`` on one dialect."""

    def __init__(self, dialect: str, key: str) -> None:
        self.dialect = dialect
        self.key = key

    def json_type(self) -> ColumnElement[Any]:
        if self.dialect == "postgresql":
            return func.jsonb_typeof(type_coerce(Contact.attributes, JSONB)[self.key])
        return func.json_type(Contact.attributes, f'$."{self.key}"')

    def is_type(self, value_type: str) -> ColumnElement[bool]:
        return self.json_type().in_(_JSON_TYPES[self.dialect][value_type])

    def text(self) -> ColumnElement[Any]:
        if self.dialect == "postgresql":
            element: Any = type_coerce(Contact.attributes, JSONB)[self.key]
            return element.astext  # type: ignore[no-any-return]
        return cast(func.json_extract(Contact.attributes, f'$."{self.key}"'), String)

    def number(self) -> ColumnElement[Any]:
        # Cast only where the value is a number: a CASE, not an AND, keeps the order.
        if self.dialect == "postgresql":
            raw: ColumnElement[Any] = cast(self.text(), Float)
        else:
            raw = cast(func.json_extract(Contact.attributes, f'$."{self.key}"'), Float)
        return case((self.is_type("number"), raw), else_=None)

    def boolean(self, wanted: bool) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            return and_(self.is_type("boolean"), self.text() == ("true" if wanted else "false"))
        return self.json_type() == ("true" if wanted else "false")

    def day(self) -> ColumnElement[Any]:
        """The ISO day of a date text, or NULL for anything else."""
        text = self.text()
        return case(
            (and_(self.is_type("text"), text.like("____-__-__%")), func.substr(text, 1, 10)),
            else_=None,
        )

    def signed(self) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            return type_coerce(Contact.signed_keys, JSONB).contains([self.key])
        keys = func.json_each(Contact.signed_keys).table_valued("value")
        return exists(select(literal(1)).select_from(keys).where(keys.c.value == self.key))


def _days_ago(now: dt.datetime, days: float) -> str:
    return (now - dt.timedelta(days=days)).date().isoformat()


def _attribute(
    dialect: str, condition: AttributeCondition, now: dt.datetime
) -> ColumnElement[bool]:
    attribute = _Attribute(dialect, condition.key)
    op, value, kind = condition.op, condition.value, condition.value_type
    clause: ColumnElement[bool]
    if op == "exists":
        clause = attribute.is_type(kind)
    elif op == "not_exists":
        clause = or_(attribute.json_type().is_(None), not_(attribute.is_type(kind)))
    elif kind == "boolean":
        clause = attribute.boolean(bool(value))
    elif kind == "number":
        number = attribute.number()
        clause = {
            "=": number == value,
            "!=": number != value,
            "<": number < value,
            "<=": number <= value,
            ">": number > value,
            ">=": number >= value,
        }[op]
    elif kind == "date":
        day = attribute.day()
        today = now.date().isoformat()
        if op == "=":
            clause = day == value
        elif op == "before":
            clause = day < value
        elif op == "after":
            clause = day > value
        elif op == "within_days":
            clause = and_(day >= _days_ago(now, float(value or 0)), day <= today)
        else:  # more_than_days_ago
            clause = day < _days_ago(now, float(value or 0))
    else:
        text = case((attribute.is_type("text"), attribute.text()), else_=None)
        if op == "=":
            clause = text == value
        elif op == "!=":
            clause = text != value
        else:  # contains, case-insensitive on both engines
            clause = func.lower(text).contains(str(value).lower(), autoescape=True)
    if condition.signed_only and op != "not_exists":
        clause = and_(attribute.signed(), clause)
    return clause


def _events(
    workspace_id: int, kind: str, now: dt.datetime, days: int, *criteria: ColumnElement[bool]
) -> ColumnElement[bool]:
    events = ContactEvent.__table__.c
    return exists().where(
        events.workspace_id == workspace_id,
        events.contact_id == Contact.id,
        events.kind == kind,
        events.created_at >= now - dt.timedelta(days=days),
        *criteria,
    )


def _simple(
    dialect: str, workspace_id: int, condition: Any, now: dt.datetime
) -> ColumnElement[bool]:
    if isinstance(condition, AttributeCondition):
        return _attribute(dialect, condition, now)
    if isinstance(condition, TagCondition):
        tagged = exists().where(
            ContactTag.workspace_id == workspace_id,
            ContactTag.contact_id == Contact.id,
            ContactTag.tag_id == condition.tag_id,
        )
        return tagged if condition.present else not_(tagged)
    if isinstance(condition, EventCondition):
        did = _events(
            workspace_id,
            "event",
            now,
            condition.within_days,
            ContactEvent.__table__.c.name == condition.name,
        )
        return did if condition.did else not_(did)
    if isinstance(condition, PageViewCondition):
        viewed = _events(
            workspace_id,
            "page_view",
            now,
            condition.within_days,
            ContactEvent.__table__.c.url.contains(condition.url_contains, autoescape=True),
        )
        return viewed if condition.did else not_(viewed)
    if isinstance(condition, LastSeenCondition):
        since = now - dt.timedelta(days=condition.days)
        if condition.op == "within_days":
            return Contact.last_seen_at >= since
        return Contact.last_seen_at < since
    if isinstance(condition, LanguageCondition):
        locale = func.lower(func.coalesce(Contact.locale, ""))
        return or_(
            *(
                or_(locale == code.lower(), locale.like(f"{code.lower()}-%"))
                for code in condition.any_of
            )
        )
    if isinstance(condition, VisitsCondition):
        visits, value = Contact.visits, condition.value
        return {
            "=": visits == value,
            "!=": visits != value,
            "<": visits < value,
            "<=": visits <= value,
            ">": visits > value,
            ">=": visits >= value,
        }[condition.op]
    if isinstance(condition, MemberCondition):
        member = and_(Contact.member_id.is_not(None), Contact.verified_at.is_not(None))
        return member if condition.identified else not_(member)
    raise AssertionError(f"unknown condition {condition!r}")


def _combine(match: str, clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    if not clauses:
        return true()
    return and_(*clauses) if match == "all" else or_(*clauses)


def compile_filter(
    dialect: str, workspace_id: int, segment_filter: SegmentFilter, now: dt.datetime
) -> ColumnElement[bool]:
    """The WHERE clause over ``contacts`` for a filter (the workspace scope is the caller's)."""
    clauses: list[ColumnElement[bool]] = []
    for condition in segment_filter.conditions:
        if isinstance(condition, GroupCondition):
            inner = [_simple(dialect, workspace_id, c, now) for c in condition.conditions]
            clauses.append(_combine(condition.match, inner))
        else:
            clauses.append(_simple(dialect, workspace_id, condition, now))
    clause = _combine(segment_filter.match, clauses)
    return clause if clauses or segment_filter.match == "all" else false()


def _simple_conditions(segment_filter: SegmentFilter) -> list[Any]:
    found: list[Any] = []
    for condition in segment_filter.conditions:
        found.extend(condition.conditions if isinstance(condition, GroupCondition) else [condition])
    return found


def check_values(segment_filter: SegmentFilter) -> None:
    """Refuse an operator or value the attribute's type can't take (the schema can't say it)."""
    for condition in _simple_conditions(segment_filter):
        if isinstance(condition, AttributeCondition):
            problem = condition.problem()
            if problem is not None:
                raise BadRequest(
                    "The condition on the attribute {key} is not valid: {problem}.",
                    code="invalid_segment_condition",
                    values={"key": condition.key, "problem": problem},
                )


async def check_filter(
    session: AsyncSession, workspace_id: int, segment_filter: SegmentFilter
) -> None:
    """Refuse bad values, and a tag of another workspace (or none): it would match nobody."""
    check_values(segment_filter)
    wanted = {c.tag_id for c in _simple_conditions(segment_filter) if isinstance(c, TagCondition)}
    if not wanted:
        return
    found = await SegmentRepository(session, workspace_id).existing_ids(Tag, wanted)
    missing = sorted(wanted - found)
    if missing:
        raise BadRequest(
            "Tag {id} does not exist in this workspace.",
            code="unknown_tag",
            values={"id": missing[0]},
        )


def where(
    session: AsyncSession, workspace_id: int, segment_filter: SegmentFilter, now: dt.datetime
) -> ColumnElement[bool]:
    return compile_filter(session.get_bind().dialect.name, workspace_id, segment_filter, now)


async def preview(
    session: AsyncSession,
    workspace_id: int,
    segment_filter: SegmentFilter,
    now: dt.datetime | None = None,
) -> SegmentPreview:
    """How many customers match, and the most recently seen of them."""
    await check_filter(session, workspace_id, segment_filter)
    clause = where(session, workspace_id, segment_filter, now or utcnow())
    repository = SegmentRepository(session, workspace_id)
    return SegmentPreview(
        count=await repository.count_contacts(clause),
        contacts=[
            PreviewContact.model_validate(contact)
            for contact in await repository.preview_contacts(clause, PREVIEW_LIMIT)
        ],
    )


async def create_segment(session: AsyncSession, workspace_id: int, payload: SegmentIn) -> Segment:
    await check_filter(session, workspace_id, payload.filter)
    segment = Segment(name=payload.name, filter=payload.filter.model_dump(mode="json"))
    SegmentRepository(session, workspace_id).add(segment)
    await session.flush()
    return segment


async def update_segment(
    session: AsyncSession, workspace_id: int, segment_id: int, payload: SegmentIn
) -> Segment:
    await check_filter(session, workspace_id, payload.filter)
    segment = await SegmentRepository(session, workspace_id).get(segment_id)
    segment.name = payload.name
    segment.filter = payload.filter.model_dump(mode="json")
    segment.updated_at = utcnow()
    await session.flush()
    return segment


def stored_filter(segment: Segment) -> SegmentFilter:
    """A saved segment's filter, validated again (a rule that no longer holds is refused)."""
    try:
        segment_filter = SegmentFilter.model_validate(segment.filter or {}, strict=False)
        check_values(segment_filter)
        return segment_filter
    except (ValueError, BadRequest):
        raise BadRequest(
            "Segment {id} has a filter that is no longer valid; edit it and save it again.",
            code="invalid_segment",
            values={"id": segment.id},
        ) from None
