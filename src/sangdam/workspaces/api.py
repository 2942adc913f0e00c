"""Agents of a workspace and its API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sangdam.auth.dependencies import CurrentAgent, Session
from sangdam.workspaces import service
from sangdam.workspaces.repository import AgentRepository
from sangdam.workspaces.schemas import AgentOut, ApiTokenCreated, ApiTokenIn, ApiTokenOut

router = APIRouter(prefix="/api/v1/workspaces/{workspace_id}", tags=["workspaces"])


@router.get("/agents", response_model=list[AgentOut])
async def list_agents(context: CurrentAgent, session: Session) -> list[AgentOut]:
    rows = await AgentRepository(session, context.workspace_id).list_with_users()
    return [AgentOut(id=a.id, name=a.display_name, email=u.email, role=a.role) for a, u in rows]


@router.get("/api-tokens", response_model=list[ApiTokenOut])
async def list_tokens(context: CurrentAgent, session: Session) -> list[ApiTokenOut]:
    service.require_admin(context.role)
    tokens = await AgentRepository(session, context.workspace_id).tokens()
    return [ApiTokenOut.model_validate(t) for t in tokens]


@router.post("/api-tokens", response_model=ApiTokenCreated, status_code=201)
async def create_token(
    context: CurrentAgent, session: Session, payload: ApiTokenIn
) -> ApiTokenCreated:
    secret, token = await service.create_api_token(
        session, context.workspace_id, name=payload.name, agent=context.agent
    )
    return ApiTokenCreated(**ApiTokenOut.model_validate(token).model_dump(), token=secret)


@router.delete("/api-tokens/{token_id}", status_code=204)
async def revoke_token(context: CurrentAgent, session: Session, token_id: int) -> Response:
    await service.revoke_api_token(session, context.workspace_id, token_id, agent=context.agent)
    return Response(status_code=204)
