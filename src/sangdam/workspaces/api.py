"""Agents of a workspace and its API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sangdam.auth.dependencies import (
    AppSettings,
    CurrentAgent,
    CurrentUser,
    Session,
    sangdam,
    sign_in,
)
from sangdam.inboxes.models import Inbox
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id
from sangdam.workspaces import service
from sangdam.workspaces.models import Workspace
from sangdam.workspaces.repository import AgentRepository, InstallationRepository
from sangdam.workspaces.schemas import (
    AgentOut,
    ApiTokenCreated,
    ApiTokenIn,
    ApiTokenOut,
    ChecklistOut,
    SetupIn,
    SetupStatus,
    WorkspaceOut,
    WorkspaceSettingsIn,
)

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["workspaces"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)

# The installation as a whole: first-run setup, and creating more workspaces.
installation_router = APIRouter(prefix="/api/v1", tags=["workspaces"])


@router.get("/agents", response_model=list[AgentOut])
async def list_agents(context: CurrentAgent, session: Session) -> list[AgentOut]:
    rows = await AgentRepository(session, context.workspace_id).list_with_users()
    return [AgentOut(id=a.id, name=a.display_name, email=u.email, role=a.role) for a, u in rows]


@router.get("/api-tokens", response_model=list[ApiTokenOut])
async def list_tokens(context: CurrentAgent, session: Session) -> list[ApiTokenOut]:
    service.require_admin(context.role)
    tokens = await AgentRepository(session, context.workspace_id).tokens()
    return [ApiTokenOut.model_validate(t) for t in tokens]


@router.post(
    "/api-tokens", response_model=ApiTokenCreated, status_code=201, responses=responses(BadRequest)
)
async def create_token(
    context: CurrentAgent, session: Session, payload: ApiTokenIn
) -> ApiTokenCreated:
    """A token for the REST API with its scopes and expiry; the secret is in this answer only."""
    secret, token = await service.create_api_token(
        session,
        context.workspace_id,
        name=payload.name,
        agent=context.agent,
        scopes=payload.scopes,
        expires_at=payload.expires_at,
    )
    return ApiTokenCreated(**ApiTokenOut.model_validate(token).model_dump(), token=secret)


@router.delete("/api-tokens/{token_id}", status_code=204)
async def revoke_token(context: CurrentAgent, session: Session, token_id: Id) -> Response:
    await service.revoke_api_token(session, context.workspace_id, token_id, agent=context.agent)
    return Response(status_code=204)


# ---- the workspace itself: general settings, first steps, more workspaces ----------------


def _workspace_out(workspace: Workspace, inbox: Inbox, base_url: str) -> WorkspaceOut:
    return WorkspaceOut(
        id=workspace.id,
        name=workspace.name,
        locale=workspace.default_locale,
        timezone=workspace.timezone,
        website=inbox.config.get("website"),
        off_hours_to_team=(
            "every" if inbox.config.get("off_hours_to_team") == "every" else "unanswered"
        ),
        widget_key=inbox.public_key,
        help_url=f"{base_url}/help/{workspace.slug}" if workspace.slug else None,
    )


def _wanted(payload: WorkspaceSettingsIn) -> service.WorkspaceSettings:
    return service.WorkspaceSettings(
        name=payload.name,
        locale=payload.locale,
        timezone=payload.timezone,
        website=payload.website,
        off_hours_to_team=payload.off_hours_to_team,
    )


@router.get("", response_model=WorkspaceOut)
async def get_workspace(
    context: CurrentAgent, session: Session, settings: AppSettings
) -> WorkspaceOut:
    workspace = await InstallationRepository(session).workspace(context.workspace_id)
    inbox = await AgentRepository(session, context.workspace_id).website_inbox()
    return _workspace_out(workspace, inbox, settings.base_url)


@router.put("", response_model=WorkspaceOut, responses=responses(BadRequest))
async def update_workspace(
    context: CurrentAgent, session: Session, payload: WorkspaceSettingsIn, settings: AppSettings
) -> WorkspaceOut:
    """Name, language, time zone and website (admins)."""
    workspace, inbox = await service.update_general(
        session, context.workspace_id, context.agent, _wanted(payload)
    )
    return _workspace_out(workspace, inbox, settings.base_url)


@router.get("/checklist", response_model=ChecklistOut)
async def checklist(context: CurrentAgent, session: Session, settings: AppSettings) -> ChecklistOut:
    """The first steps of a new workspace and which are done, with the widget's snippet."""
    repository = AgentRepository(session, context.workspace_id)
    inbox = await repository.website_inbox()
    return ChecklistOut(
        **await repository.checklist_facts(),
        snippet=widget_snippet(settings.base_url, inbox.public_key),
    )


def widget_snippet(base_url: str, public_key: str) -> str:
    return f'<script src="{base_url}/widget.js" data-key="{public_key}" async></script>'


@installation_router.get("/setup", response_model=SetupStatus)
async def setup_status(session: Session) -> SetupStatus:
    """Whether this installation still waits for its first account (the setup page)."""
    return SetupStatus(needed=await InstallationRepository(session).user_count() == 0)


@installation_router.post(
    "/setup",
    response_model=WorkspaceOut,
    status_code=201,
    responses=responses(BadRequest, Conflict, Unprocessable, TooManyRequests),
)
async def set_up(
    request: Request,
    response: Response,
    session: Session,
    payload: SetupIn,
    settings: AppSettings,
) -> WorkspaceOut:
    """First run: create the owner's account and the company's workspace, and sign in.
    Refused (409) once anyone has an account."""
    limits = sangdam(request).limits
    await limits.account_action(limits.address(request))
    user, workspace = await service.set_up(
        session,
        _wanted(payload),
        name=payload.owner_name,
        email=payload.email,
        password=payload.password,
    )
    await sign_in(request, response, session, user)
    inbox = await AgentRepository(session, workspace.id).website_inbox()
    return _workspace_out(workspace, inbox, settings.base_url)


@installation_router.post(
    "/workspaces",
    response_model=WorkspaceOut,
    status_code=201,
    responses=responses(BadRequest, Unauthorized, Forbidden, Unprocessable),
)
async def create_workspace(
    current: CurrentUser, session: Session, payload: WorkspaceSettingsIn, settings: AppSettings
) -> WorkspaceOut:
    """Another workspace (a brand, an agency's client), owned by you. Owners and admins
    of an existing workspace may create one."""
    workspace = await service.create_another_workspace(session, current[0], _wanted(payload))
    inbox = await AgentRepository(session, workspace.id).website_inbox()
    return _workspace_out(workspace, inbox, settings.base_url)
