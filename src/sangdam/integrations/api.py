"""Agent endpoints: the external data card, GitHub issues, and their admin settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from sangdam.auth.dependencies import (
    AgentContext,
    AppSettings,
    CurrentAgent,
    Session,
    checks_credentials,
    require_csrf,
    resolve_agent,
    sangdam,
)
from sangdam.contacts.repository import ContactRepository
from sangdam.integrations import service
from sangdam.integrations.models import IntegrationKind
from sangdam.integrations.repository import IntegrationRepository
from sangdam.integrations.schemas import (
    ExternalDataIn,
    ExternalDataOut,
    ExternalDataResult,
    GithubConfigIn,
    GithubConfigOut,
    GithubIssueIn,
    GithubIssueLink,
    GithubIssueOut,
)
from sangdam.kit.errors import (
    BadRequest,
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
    tags=["integrations"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


@checks_credentials("agent")
async def _agent_without_transaction(request: Request, workspace_id: Id) -> AgentContext:
    """The agent, checked in a short read: the endpoint then calls out holding no lock."""
    async with sangdam(request).db.read() as session:
        context = await resolve_agent(request, session, workspace_id)
    require_csrf(request, context.web_session)
    return context


AgentOutsideTransaction = Annotated[AgentContext, Depends(_agent_without_transaction)]


@router.get("/contacts/{contact_id}/external-data", response_model=ExternalDataResult)
async def external_data(
    context: CurrentAgent, session: Session, contact_id: Id, settings: AppSettings
) -> ExternalDataResult:
    contact = await ContactRepository(session, context.workspace_id).get(contact_id)
    return await service.external_card(session, contact, settings)


@router.get("/integrations/external-data", response_model=ExternalDataOut)
async def get_external_data(context: CurrentAgent, session: Session) -> ExternalDataOut:
    require_admin(context.role)
    repository = IntegrationRepository(session, context.workspace_id)
    return service.external_view(await repository.of_kind(IntegrationKind.EXTERNAL_DATA))


@router.put(
    "/integrations/external-data", response_model=ExternalDataOut, responses=responses(BadRequest)
)
async def put_external_data(
    context: CurrentAgent, session: Session, payload: ExternalDataIn, settings: AppSettings
) -> ExternalDataOut:
    require_admin(context.role)
    integration = await service.save_external_data(
        session, context.workspace_id, payload, allow_private=settings.outbound.allow_private
    )
    return service.external_view(integration)


@router.post("/integrations/external-data/rotate-secret", response_model=ExternalDataOut)
async def rotate_external_secret(context: CurrentAgent, session: Session) -> ExternalDataOut:
    require_admin(context.role)
    return service.external_view(
        await service.rotate_external_secret(session, context.workspace_id)
    )


@router.get("/integrations/github", response_model=GithubConfigOut)
async def get_github(context: CurrentAgent, session: Session) -> GithubConfigOut:
    require_admin(context.role)
    repository = IntegrationRepository(session, context.workspace_id)
    return service.github_view(await repository.of_kind(IntegrationKind.GITHUB))


@router.put("/integrations/github", response_model=GithubConfigOut, responses=responses(BadRequest))
async def put_github(
    context: CurrentAgent, session: Session, payload: GithubConfigIn, settings: AppSettings
) -> GithubConfigOut:
    require_admin(context.role)
    integration = await service.save_github(
        session, context.workspace_id, payload, allow_private=settings.outbound.allow_private
    )
    return service.github_view(integration)


@router.get("/conversations/{conversation_id}/github-issues", response_model=GithubIssueLink)
async def github_issues(
    context: CurrentAgent, session: Session, conversation_id: Id, settings: AppSettings
) -> GithubIssueLink:
    """The issues made from this conversation, and a prefilled new-issue link."""
    return await service.new_issue_link(
        session, context.workspace_id, conversation_id, settings.base_url
    )


@router.post(
    "/conversations/{conversation_id}/github-issues",
    response_model=GithubIssueOut,
    status_code=201,
)
async def create_github_issue(
    context: AgentOutsideTransaction,
    request: Request,
    conversation_id: Id,
    payload: GithubIssueIn,
) -> GithubIssueOut:
    app = sangdam(request)
    issue = await service.create_github_issue(
        app.db, app.settings, context.workspace_id, conversation_id, context.agent.id, payload
    )
    return GithubIssueOut.model_validate(issue)
