"""Canned responses: agents keep personal ones; admins keep team and workspace ones."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.canned import service
from sangdam.canned.schemas import CannedIn, CannedOut, RenderIn, RenderOut
from sangdam.conversations.service import load
from sangdam.kit.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, responses
from sangdam.kit.input import Id, Text

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["canned responses"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


@router.get("/canned-responses", response_model=list[CannedOut])
async def list_canned(
    context: CurrentAgent,
    session: Session,
    q: Text | None = Query(default=None, max_length=100, description="Part of a shortcut or title"),
    lang: Text | None = Query(
        default=None, description="ko or en: that language and any-language ones"
    ),
) -> list[CannedOut]:
    rows = await service.visible(session, context.agent, query=q, lang=lang)
    return [CannedOut.model_validate(r) for r in rows]


@router.post(
    "/canned-responses", response_model=CannedOut, status_code=201, responses=responses(Conflict)
)
async def create_canned(context: CurrentAgent, session: Session, payload: CannedIn) -> CannedOut:
    return CannedOut.model_validate(await service.create(session, context.agent, payload))


@router.get("/canned-responses/{canned_id}", response_model=CannedOut)
async def get_canned(context: CurrentAgent, session: Session, canned_id: Id) -> CannedOut:
    return CannedOut.model_validate(await service.get_visible(session, context.agent, canned_id))


@router.put(
    "/canned-responses/{canned_id}", response_model=CannedOut, responses=responses(Conflict)
)
async def update_canned(
    context: CurrentAgent, session: Session, canned_id: Id, payload: CannedIn
) -> CannedOut:
    return CannedOut.model_validate(
        await service.update(session, context.agent, canned_id, payload)
    )


@router.delete("/canned-responses/{canned_id}", status_code=204)
async def delete_canned(context: CurrentAgent, session: Session, canned_id: Id) -> Response:
    await service.delete(session, context.agent, canned_id)
    return Response(status_code=204)


@router.post("/canned-responses/{canned_id}/render", response_model=RenderOut)
async def render_canned(
    context: CurrentAgent, session: Session, canned_id: Id, payload: RenderIn
) -> RenderOut:
    """The text for one conversation, variables filled in; send it as a normal message."""
    row = await service.get_visible(session, context.agent, canned_id)
    conversation, contact = await load(session, context.workspace_id, payload.conversation_id)
    rendered = await service.render_for(session, row, conversation, contact, context.agent)
    return RenderOut(
        body=rendered.text,
        html=service.to_html(rendered.text),
        unknown=rendered.unknown,
        empty=rendered.empty,
    )
