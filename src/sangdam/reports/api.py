"""Reports and the live monitor (owners and admins): JSON for the charts, CSV for Excel."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.kit.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id, Text
from sangdam.reports import service
from sangdam.reports.schemas import (
    CsatDimension,
    Dimension,
    DrillConversation,
    DrillDimension,
    DrillPage,
    Report,
)
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["reports"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable, BadRequest),
)
First = Annotated[
    dt.date | None,
    Query(alias="from", description="First day (workspace's zone); default 29 days before `to`."),
]
Last = Annotated[
    dt.date | None, Query(alias="to", description="Last day, included; default today.")
]


async def _period(
    context: Any, session: Any, first: dt.date | None, last: dt.date | None
) -> service.Period:
    require_admin(context.role)
    return await service.period(session, context.workspace_id, first, last)


@router.get("/reports/volume")
async def volume(
    context: CurrentAgent, session: Session, first: First = None, last: Last = None
) -> dict[str, Any]:
    """Conversations per day and per weekday × hour (`heatmap[weekday][hour]`, Monday = 0)."""
    when = await _period(context, session, first, last)
    return await service.volume(session, context.workspace_id, when)


@router.get("/reports/breakdown")
async def breakdown(
    context: CurrentAgent, session: Session, by: Dimension, first: First = None, last: Last = None
) -> dict[str, Any]:
    when = await _period(context, session, first, last)
    return {"by": by, "rows": await service.breakdown(session, context.workspace_id, when, by)}


@router.get("/reports/bot-funnel")
async def bot_funnel(
    context: CurrentAgent, session: Session, first: First = None, last: Last = None
) -> dict[str, Any]:
    when = await _period(context, session, first, last)
    return await service.bot_funnel(session, context.workspace_id, when)


@router.get("/reports/times")
async def times(
    context: CurrentAgent, session: Session, first: First = None, last: Last = None
) -> dict[str, Any]:
    when = await _period(context, session, first, last)
    return await service.times(session, context.workspace_id, when)


@router.get("/reports/csat")
async def csat(
    context: CurrentAgent,
    session: Session,
    first: First = None,
    last: Last = None,
    by: CsatDimension | None = None,
) -> dict[str, Any]:
    when = await _period(context, session, first, last)
    return await service.csat(session, context.workspace_id, when, by)


@router.get("/reports/surveys/{survey_id}")
async def survey_results(
    context: CurrentAgent,
    session: Session,
    survey_id: Id,
    first: First = None,
    last: Last = None,
    by: Literal["agent", "team"] | None = None,
) -> dict[str, Any]:
    """A survey's responses in the period: per question, the number of answers, the spread
    of ratings (and their average) or choices, the latest texts; `by` splits them by the
    agent or team that had the conversation."""
    when = await _period(context, session, first, last)
    return await service.survey_results(session, context.workspace_id, survey_id, when, by)


@router.get("/reports/agents")
async def agents(
    context: CurrentAgent, session: Session, first: First = None, last: Last = None
) -> dict[str, Any]:
    when = await _period(context, session, first, last)
    return {"rows": await service.agents(session, context.workspace_id, when)}


@router.get("/reports/conversations", response_model=DrillPage)
async def drill_down(
    context: CurrentAgent,
    session: Session,
    first: First = None,
    last: Last = None,
    dimension: DrillDimension | None = None,
    value: Annotated[Text | None, Query(max_length=2000)] = None,
    day: dt.date | None = None,
    weekday: Annotated[int | None, Query(ge=0, le=6)] = None,
    hour: Annotated[int | None, Query(ge=0, le=23)] = None,
    before: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DrillPage:
    """The conversations behind a bar or a heatmap cell, newest first (`before`: next page)."""
    when = await _period(context, session, first, last)
    found = await service.drill_down(
        session,
        context.workspace_id,
        when,
        dimension=dimension,
        value=value,
        day=day,
        weekday=weekday,
        hour=hour,
        before=before,
        limit=limit + 1,
    )
    return DrillPage(
        conversations=[
            DrillConversation.model_validate(c, from_attributes=True) for c in found[:limit]
        ],
        next_before=found[limit - 1].id if len(found) > limit else None,
    )


@router.get(
    "/reports/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a BOM"}},
)
async def export(
    context: CurrentAgent,
    session: Session,
    report: Report,
    first: First = None,
    last: Last = None,
    by: Annotated[Text | None, Query(max_length=20)] = None,
) -> Response:
    """One report as CSV that Excel opens with Korean intact."""
    when = await _period(context, session, first, last)
    header, rows = await service.export(session, context.workspace_id, when, report, by)
    name = f"sangdam-{report}{'-' + by if by else ''}-{when.first}-{when.last}.csv"
    return Response(
        service.as_csv(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/monitor")
async def monitor(context: CurrentAgent, session: Session) -> dict[str, Any]:
    """Now: waiting per team, agents and their load, chats by state, today's CSAT."""
    require_admin(context.role)
    return await service.monitor(session, context.workspace_id)
