"""Campaigns, managed by admins: drafts, sending now, and each campaign's statistics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.campaigns import service
from sangdam.campaigns.repository import CampaignRepository
from sangdam.campaigns.schemas import CampaignIn, CampaignOut
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["campaigns"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable, BadRequest),
)


@router.get("/campaigns", response_model=list[CampaignOut])
async def list_campaigns(context: CurrentAgent, session: Session) -> list[CampaignOut]:
    require_admin(context.role)
    campaigns = await CampaignRepository(session, context.workspace_id).all()
    return await service.views(session, context.workspace_id, campaigns)


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
async def create_campaign(
    context: CurrentAgent, session: Session, payload: CampaignIn
) -> CampaignOut:
    require_admin(context.role)
    campaign = await service.create_campaign(session, context.workspace_id, payload)
    return (await service.views(session, context.workspace_id, [campaign]))[0]


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
async def get_campaign(context: CurrentAgent, session: Session, campaign_id: Id) -> CampaignOut:
    require_admin(context.role)
    campaign = await CampaignRepository(session, context.workspace_id).get(campaign_id)
    return (await service.views(session, context.workspace_id, [campaign]))[0]


@router.put("/campaigns/{campaign_id}", response_model=CampaignOut, responses=responses(Conflict))
async def update_campaign(
    context: CurrentAgent, session: Session, campaign_id: Id, payload: CampaignIn
) -> CampaignOut:
    require_admin(context.role)
    campaign = await service.update_campaign(session, context.workspace_id, campaign_id, payload)
    return (await service.views(session, context.workspace_id, [campaign]))[0]


@router.post(
    "/campaigns/{campaign_id}/send", response_model=CampaignOut, responses=responses(Conflict)
)
async def send_campaign(context: CurrentAgent, session: Session, campaign_id: Id) -> CampaignOut:
    """Send now: a durable job delivers it in batches after this request commits."""
    require_admin(context.role)
    campaign = await service.send_campaign(session, context.workspace_id, campaign_id)
    return (await service.views(session, context.workspace_id, [campaign]))[0]


@router.delete("/campaigns/{campaign_id}", status_code=204, responses=responses(Conflict))
async def delete_campaign(context: CurrentAgent, session: Session, campaign_id: Id) -> Response:
    """A draft only: a sent campaign's statistics and conversations stay."""
    require_admin(context.role)
    repository = CampaignRepository(session, context.workspace_id)
    campaign = await repository.get(campaign_id, for_update=True)
    service.require_draft(campaign)
    await repository.delete(campaign)
    return Response(status_code=204)
