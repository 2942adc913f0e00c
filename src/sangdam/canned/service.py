"""Canned responses (자주쓰는문구): who sees which, and filling in their variables.

Bodies are plain text. Variables are replaced with the conversation's values;
a variable Sangdam doesn't know stays as typed (and is reported), so a typo is
visible instead of silently vanishing. Values are never interpreted: the result
is a message body (shown as text everywhere) or, for previews, escaped HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.canned.models import CannedResponse, CannedScope
from sangdam.canned.repository import CannedRepository
from sangdam.canned.schemas import CannedIn
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.db import utcnow
from sangdam.kit.errors import Conflict, Forbidden, NotFound
from sangdam.routing.repository import RoutingRepository
from sangdam.workspaces.models import Agent, Workspace
from sangdam.workspaces.service import ADMIN_ROLES

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*(?:\|\s*([^}]*?)\s*)?\}\}")
KNOWN_VARIABLES = (
    "contact.name",
    "contact.email",
    "agent.name",
    "workspace.name",
    "conversation.id",
)


@dataclass
class Rendered:
    text: str
    unknown: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)


def render_template(template: str, values: Mapping[str, str | None]) -> Rendered:
    """Fill ``{{name}}`` / ``{{name | fallback}}``; unknown names stay as they are."""
    unknown: list[str] = []
    empty: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        if name not in values:
            if name not in unknown:
                unknown.append(name)
            return match.group(0)
        value = values[name]
        if not value:
            if fallback is None and name not in empty:
                empty.append(name)
            return fallback or ""
        return value

    return Rendered(VARIABLE.sub(replace, template), unknown, empty)


def to_html(text: str) -> str:
    """Escaped HTML of a plain-text body: markup in values or templates shows as text."""
    return "<br>".join(str(escape(line)) for line in text.split("\n"))


def variables_for(
    workspace: Workspace,
    conversation: Conversation,
    contact: Contact | None,
    agent: Agent | None,
) -> dict[str, str | None]:
    return {
        "contact.name": contact.name if contact else None,
        "contact.email": contact.email if contact else None,
        "agent.name": agent.display_name if agent else None,
        "workspace.name": workspace.name,
        "conversation.id": str(conversation.id),
    }


async def _team_ids(session: AsyncSession, agent: Agent) -> list[int] | None:
    """The teams whose canned responses ``agent`` sees; None (all) for admins."""
    if agent.role in ADMIN_ROLES:
        return None
    teams = await RoutingRepository(session, agent.workspace_id).teams_of(agent.id)
    return [team.id for team in teams]


async def visible(
    session: AsyncSession, agent: Agent, *, query: str | None, lang: str | None
) -> list[CannedResponse]:
    return await CannedRepository(session, agent.workspace_id).visible(
        agent.id, await _team_ids(session, agent), query=query, lang=lang
    )


async def get_visible(session: AsyncSession, agent: Agent, canned_id: int) -> CannedResponse:
    row = await CannedRepository(session, agent.workspace_id).get_visible(
        canned_id, agent.id, await _team_ids(session, agent)
    )
    if row is None:
        # Someone else's personal one and another workspace's look the same: absent.
        raise NotFound(
            "Canned response {id} does not exist in this workspace.", values={"id": canned_id}
        )
    return row


def _check_may_manage(agent: Agent, scope: str) -> None:
    if scope != CannedScope.PERSONAL.value and agent.role not in ADMIN_ROLES:
        raise Forbidden(
            "Only an owner or admin can manage team and workspace canned responses; "
            "save it as a personal one instead."
        )


async def _apply(
    session: AsyncSession, agent: Agent, row: CannedResponse, payload: CannedIn
) -> None:
    _check_may_manage(agent, payload.scope)
    if payload.team_id is not None:
        await RoutingRepository(session, agent.workspace_id).team(payload.team_id)
    row.scope = payload.scope
    row.team_id = payload.team_id
    row.agent_id = agent.id if payload.scope == CannedScope.PERSONAL.value else None
    row.lang = payload.lang
    row.shortcut = payload.shortcut
    row.title = payload.title.strip()
    row.body = payload.body
    row.updated_at = utcnow()
    if await CannedRepository(session, agent.workspace_id).same_shortcut(row) is not None:
        raise Conflict(
            "/{shortcut} is taken in this scope and language already; "
            "pick another shortcut or edit that one.",
            values={"shortcut": payload.shortcut},
        )


async def create(session: AsyncSession, agent: Agent, payload: CannedIn) -> CannedResponse:
    row = CannedResponse(created_by_agent_id=agent.id)
    await _apply(session, agent, row, payload)
    CannedRepository(session, agent.workspace_id).add(row)
    await session.flush()
    return row


async def update(
    session: AsyncSession, agent: Agent, canned_id: int, payload: CannedIn
) -> CannedResponse:
    row = await get_visible(session, agent, canned_id)
    _check_may_manage(agent, row.scope)
    await _apply(session, agent, row, payload)
    return row


async def delete(session: AsyncSession, agent: Agent, canned_id: int) -> None:
    row = await get_visible(session, agent, canned_id)
    _check_may_manage(agent, row.scope)
    await session.delete(row)


async def render_for(
    session: AsyncSession,
    row: CannedResponse,
    conversation: Conversation,
    contact: Contact | None,
    agent: Agent | None,
) -> Rendered:
    workspace = await session.get(Workspace, conversation.workspace_id)
    assert workspace is not None
    return render_template(row.body, variables_for(workspace, conversation, contact, agent))
