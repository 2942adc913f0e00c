"""Automation rules, managed by admins: JSON validated by automation.schemas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from sangdam.auth.dependencies import AppSettings, CurrentAgent, Session
from sangdam.automation import service
from sangdam.automation.models import AutomationRule
from sangdam.automation.repository import AutomationRepository
from sangdam.automation.schemas import RuleIn, RuleOut, RulesImported, RunOut
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
    tags=["automation"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


def _out(rule: AutomationRule) -> RuleOut:
    definition = rule.definition or {}
    return RuleOut(
        id=rule.id,
        name=rule.name,
        enabled=rule.enabled,
        position=rule.position,
        trigger=definition.get("trigger", {}),
        match=definition.get("match", "all"),
        conditions=definition.get("conditions", []),
        actions=definition.get("actions", []),
        webhook_secret=rule.webhook_secret,
        run_count=rule.run_count,
        last_run_at=rule.last_run_at,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


@router.get("/automation/rules", response_model=list[RuleOut])
async def list_rules(context: CurrentAgent, session: Session) -> list[RuleOut]:
    require_admin(context.role)
    return [_out(r) for r in await AutomationRepository(session, context.workspace_id).rules()]


@router.post(
    "/automation/rules", response_model=RuleOut, status_code=201, responses=responses(BadRequest)
)
async def create_rule(
    context: CurrentAgent, session: Session, payload: RuleIn, settings: AppSettings
) -> RuleOut:
    require_admin(context.role)
    return _out(await service.create_rule(session, context.workspace_id, payload, settings))


@router.get("/automation/rules/export", response_model=list[RuleIn])
async def export_rules(context: CurrentAgent, session: Session) -> JSONResponse:
    """Every rule as a JSON file that ``/automation/rules/import`` takes back."""
    require_admin(context.role)
    rules = await AutomationRepository(session, context.workspace_id).rules()
    return JSONResponse(
        [service.rule_as_input(rule).model_dump(mode="json", exclude_none=True) for rule in rules],
        headers={"Content-Disposition": 'attachment; filename="automation-rules.json"'},
    )


@router.post(
    "/automation/rules/import",
    response_model=RulesImported,
    responses=responses(BadRequest),
)
async def import_rules(
    context: CurrentAgent,
    session: Session,
    payload: Annotated[list[RuleIn], Body(max_length=200)],
    settings: AppSettings,
    replace: bool = False,
) -> RulesImported:
    """Rules from a JSON file (as exported): all are checked before any is saved; with
    ``replace`` the workspace's other rules are deleted."""
    require_admin(context.role)
    return await service.import_rules(session, context.workspace_id, payload, settings, replace)


@router.get("/automation/rules/{rule_id}", response_model=RuleOut)
async def get_rule(context: CurrentAgent, session: Session, rule_id: Id) -> RuleOut:
    require_admin(context.role)
    return _out(await AutomationRepository(session, context.workspace_id).get(rule_id))


@router.put("/automation/rules/{rule_id}", response_model=RuleOut, responses=responses(BadRequest))
async def update_rule(
    context: CurrentAgent, session: Session, rule_id: Id, payload: RuleIn, settings: AppSettings
) -> RuleOut:
    require_admin(context.role)
    return _out(
        await service.update_rule(session, context.workspace_id, rule_id, payload, settings)
    )


@router.delete("/automation/rules/{rule_id}", status_code=204)
async def delete_rule(context: CurrentAgent, session: Session, rule_id: Id) -> Response:
    require_admin(context.role)
    await service.delete_rule(session, context.workspace_id, rule_id)
    return Response(status_code=204)


@router.get("/automation/rules/{rule_id}/runs", response_model=list[RunOut])
async def rule_runs(context: CurrentAgent, session: Session, rule_id: Id) -> list[RunOut]:
    """What the rule did, newest first."""
    require_admin(context.role)
    repository = AutomationRepository(session, context.workspace_id)
    rule = await repository.get(rule_id)
    return [RunOut.model_validate(r) for r in await repository.runs(rule.id)]
