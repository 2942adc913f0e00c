"""Teams, availability, the queue: claim, transfer, and why each assignment happened."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from fastapi import APIRouter, Response
from sqlalchemy import delete

from sangdam.auth.dependencies import AppSettings, CurrentAgent, Session
from sangdam.conversations.schemas import ConversationOut, agent_view
from sangdam.conversations.service import load
from sangdam.db import utcnow
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id
from sangdam.kit.outbound import check_target
from sangdam.routing import service
from sangdam.routing.models import Availability, Team, TeamMember
from sangdam.routing.repository import RoutingRepository
from sangdam.routing.schemas import (
    AgentStatusOut,
    AssignmentOut,
    AvailabilityIn,
    BusinessHours,
    CapIn,
    SlackIn,
    SlackOut,
    TeamIn,
    TeamOut,
    TransferIn,
)
from sangdam.workspaces.models import Agent
from sangdam.workspaces.repository import AgentRepository
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["routing"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


async def _team_out(repository: RoutingRepository, team: Team) -> TeamOut:
    return TeamOut(
        id=team.id,
        name=team.name,
        everyone=team.everyone,
        auto_assign=team.auto_assign,
        no_answer_minutes=team.no_answer_minutes,
        member_ids=await repository.member_ids(team),
        queue_size=len(await repository.queue(team.id, limit=10_000)),
        hours=service.team_hours(team),
        open_now=service.is_open(service.team_hours(team), utcnow()),
        slack=_slack_out(team),
    )


def _slack_out(team: Team) -> SlackOut | None:
    slack = team.slack or {}
    url = str(slack.get("url") or "")
    if not url:
        return None
    host = urlsplit(url).netloc
    return SlackOut(
        url_hint=f"{host}/…{url[-4:]}", business_hours_only=bool(slack.get("business_hours_only"))
    )


@router.get("/teams", response_model=list[TeamOut])
async def list_teams(context: CurrentAgent, session: Session) -> list[TeamOut]:
    repository = RoutingRepository(session, context.workspace_id)
    return [await _team_out(repository, team) for team in await repository.teams()]


async def _save_team(
    session: Session, context: CurrentAgent, team: Team, payload: TeamIn
) -> TeamOut:
    repository = RoutingRepository(session, context.workspace_id)
    team.name = payload.name.strip()
    team.auto_assign = payload.auto_assign
    team.no_answer_minutes = payload.no_answer_minutes
    await session.flush()
    if not team.everyone:
        agents = AgentRepository(session, context.workspace_id)
        for agent_id in payload.member_ids:
            await agents.get(agent_id)  # another workspace's agent is "not found"
        await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
        for agent_id in sorted(set(payload.member_ids)):
            repository.add(TeamMember(team_id=team.id, agent_id=agent_id))
        await session.flush()
    await service.assign_waiting(session, context.workspace_id, team.id)
    return await _team_out(repository, team)


@router.post("/teams", response_model=TeamOut, status_code=201)
async def create_team(context: CurrentAgent, session: Session, payload: TeamIn) -> TeamOut:
    require_admin(context.role)
    team = Team(name=payload.name)
    RoutingRepository(session, context.workspace_id).add(team)
    return await _save_team(session, context, team, payload)


@router.put("/teams/{team_id}", response_model=TeamOut)
async def update_team(
    context: CurrentAgent, session: Session, team_id: Id, payload: TeamIn
) -> TeamOut:
    require_admin(context.role)
    team = await RoutingRepository(session, context.workspace_id).team(team_id)
    return await _save_team(session, context, team, payload)


@router.put("/teams/{team_id}/hours", response_model=TeamOut)
async def set_hours(
    context: CurrentAgent, session: Session, team_id: Id, payload: BusinessHours | None
) -> TeamOut:
    """Business hours of a team (the General team's are the workspace's); null: always open."""
    require_admin(context.role)
    repository = RoutingRepository(session, context.workspace_id)
    team = await repository.team(team_id)
    team.hours = payload.model_dump(mode="json") if payload is not None else None
    return await _team_out(repository, team)


@router.put("/teams/{team_id}/slack", response_model=TeamOut, responses=responses(BadRequest))
async def set_slack(
    context: CurrentAgent,
    session: Session,
    team_id: Id,
    payload: SlackIn | None,
    settings: AppSettings,
) -> TeamOut:
    """A Slack incoming webhook for the team's new inquiries; null turns it off."""
    require_admin(context.role)
    repository = RoutingRepository(session, context.workspace_id)
    team = await repository.team(team_id)
    if payload is not None:
        await check_target(payload.url, allow_private=settings.outbound.allow_private)
    team.slack = payload.model_dump() if payload is not None else None
    return await _team_out(repository, team)


@router.get("/agents/status", response_model=list[AgentStatusOut])
async def agent_status(context: CurrentAgent, session: Session) -> list[AgentStatusOut]:
    """Who is online and how loaded: the live view of the floor."""
    repository = RoutingRepository(session, context.workspace_id)
    loads = await repository.loads()
    now = utcnow()
    return [
        _status(a, loads, now)
        for a, _ in await AgentRepository(session, context.workspace_id).list_with_users()
    ]


def _status(agent: Agent, loads: dict[int, int], now: dt.datetime) -> AgentStatusOut:
    return AgentStatusOut(
        id=agent.id,
        name=agent.display_name,
        availability=agent.availability,
        present=service.is_present(agent, now),
        max_concurrent=agent.max_concurrent,
        load=loads.get(agent.id, 0),
        active=agent.active,
    )


@router.put("/agents/{agent_id}/cap", response_model=AgentStatusOut)
async def set_cap(
    context: CurrentAgent, session: Session, agent_id: Id, payload: CapIn
) -> AgentStatusOut:
    """An admin sets how many open conversations an agent gets at once (auto-assignment)."""
    require_admin(context.role)
    agent = await AgentRepository(session, context.workspace_id).get(agent_id)
    agent.max_concurrent = payload.max_concurrent
    await service.capacity_freed(session, context.workspace_id, agent.id)
    loads = await RoutingRepository(session, context.workspace_id).loads()
    return _status(agent, loads, utcnow())


@router.put("/me/availability", response_model=AgentStatusOut)
async def set_availability(
    context: CurrentAgent, session: Session, payload: AvailabilityIn
) -> AgentStatusOut:
    agent = context.agent
    if payload.max_concurrent is not None:
        agent.max_concurrent = payload.max_concurrent
    await service.set_availability(session, agent, Availability(payload.availability))
    loads = await RoutingRepository(session, context.workspace_id).loads()
    return _status(agent, loads, utcnow())


@router.post(
    "/conversations/{conversation_id}/claim",
    response_model=ConversationOut,
    responses=responses(Conflict),
)
async def claim(context: CurrentAgent, session: Session, conversation_id: Id) -> ConversationOut:
    """Take a waiting conversation; 409 if someone else was faster."""
    conversation, contact = await load(
        session, context.workspace_id, conversation_id, for_update=True
    )
    await service.claim(session, conversation, context.agent)
    return ConversationOut.model_validate(agent_view(conversation, contact))


@router.post(
    "/conversations/{conversation_id}/transfer",
    response_model=ConversationOut,
    responses=responses(BadRequest, Conflict, PayloadTooLarge),
)
async def transfer(
    context: CurrentAgent,
    session: Session,
    conversation_id: Id,
    payload: TransferIn,
    settings: AppSettings,
) -> ConversationOut:
    """Hand the conversation to a colleague (``agent_id``) or to a team's queue
    (``team_id``), with an internal note for them."""
    conversation, contact = await load(
        session, context.workspace_id, conversation_id, for_update=True
    )
    await service.transfer(
        session,
        conversation,
        contact,
        context.agent,
        team=(
            await RoutingRepository(session, context.workspace_id).team(payload.team_id)
            if payload.team_id is not None
            else None
        ),
        agent=(
            await AgentRepository(session, context.workspace_id).get(payload.agent_id)
            if payload.agent_id is not None
            else None
        ),
        note=payload.note,
        max_chars=settings.realtime.max_message_chars,
    )
    return ConversationOut.model_validate(agent_view(conversation, contact))


@router.get("/conversations/{conversation_id}/assignments", response_model=list[AssignmentOut])
async def assignments(
    context: CurrentAgent, session: Session, conversation_id: Id
) -> list[AssignmentOut]:
    await load(session, context.workspace_id, conversation_id)
    events = await RoutingRepository(session, context.workspace_id).events(conversation_id)
    return [AssignmentOut.model_validate(e) for e in events]


@router.delete("/teams/{team_id}", status_code=204, responses=responses(BadRequest))
async def delete_team(context: CurrentAgent, session: Session, team_id: Id) -> Response:
    require_admin(context.role)
    team = await RoutingRepository(session, context.workspace_id).team(team_id)
    if team.everyone:
        raise BadRequest("The general team holds every unrouted conversation; it can't be deleted.")
    await session.delete(team)
    return Response(status_code=204)
