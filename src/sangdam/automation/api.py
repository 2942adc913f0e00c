"""Automation rules, managed by admins: JSON validated by automation.schemas."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sangdam.auth.dependencies import AppSettings, CurrentAgent, Session
from sangdam.automation import service
from sangdam.automation.models import AutomationRule
from sangdam.automation.repository import AutomationRepository
from sangdam.automation.schemas import RuleIn, RuleOut, RunOut
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
