"""Segments, managed by admins: saved filters, a live count and a preview while editing."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.kit.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id
from sangdam.segments import service
from sangdam.segments.models import Segment
from sangdam.segments.repository import SegmentRepository
from sangdam.segments.schemas import (
    SegmentFilter,
    SegmentIn,
    SegmentOut,
    SegmentPreview,
)
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["segments"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable, BadRequest),
)


def _out(segment: Segment) -> SegmentOut:
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        filter=service.stored_filter(segment),
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


@router.get("/segments", response_model=list[SegmentOut])
async def list_segments(context: CurrentAgent, session: Session) -> list[SegmentOut]:
    require_admin(context.role)
    return [_out(s) for s in await SegmentRepository(session, context.workspace_id).all()]


@router.post("/segments", response_model=SegmentOut, status_code=201)
async def create_segment(context: CurrentAgent, session: Session, payload: SegmentIn) -> SegmentOut:
    require_admin(context.role)
    return _out(await service.create_segment(session, context.workspace_id, payload))


@router.post("/segments/preview", response_model=SegmentPreview)
async def preview_filter(
    context: CurrentAgent, session: Session, payload: SegmentFilter
) -> SegmentPreview:
    """The live count and first customers of a filter being edited (nothing is saved)."""
    require_admin(context.role)
    return await service.preview(session, context.workspace_id, payload)


@router.get("/segments/{segment_id}", response_model=SegmentOut)
async def get_segment(context: CurrentAgent, session: Session, segment_id: Id) -> SegmentOut:
    require_admin(context.role)
    return _out(await SegmentRepository(session, context.workspace_id).get(segment_id))


@router.put("/segments/{segment_id}", response_model=SegmentOut)
async def update_segment(
    context: CurrentAgent, session: Session, segment_id: Id, payload: SegmentIn
) -> SegmentOut:
    require_admin(context.role)
    return _out(await service.update_segment(session, context.workspace_id, segment_id, payload))


@router.get("/segments/{segment_id}/preview", response_model=SegmentPreview)
async def preview_segment(
    context: CurrentAgent, session: Session, segment_id: Id
) -> SegmentPreview:
    require_admin(context.role)
    segment = await SegmentRepository(session, context.workspace_id).get(segment_id)
    return await service.preview(session, context.workspace_id, service.stored_filter(segment))


@router.delete("/segments/{segment_id}", status_code=204)
async def delete_segment(context: CurrentAgent, session: Session, segment_id: Id) -> Response:
    require_admin(context.role)
    repository = SegmentRepository(session, context.workspace_id)
    await repository.delete(await repository.get(segment_id))
    return Response(status_code=204)
