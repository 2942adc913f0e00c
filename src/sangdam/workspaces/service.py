"""Workspaces, their agents and API tokens."""

from __future__ import annotations

import re
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import User
from sangdam.db import utcnow
from sangdam.errors import BadRequest, Forbidden
from sangdam.inboxes.models import ChannelType, Inbox
from sangdam.kit.secrets import hash_token, new_token
from sangdam.routing.models import Team
from sangdam.workspaces.models import Agent, ApiToken, Role, Workspace
from sangdam.workspaces.repository import AgentRepository

ADMIN_ROLES = frozenset({Role.OWNER.value, Role.ADMIN.value})


def slugify(text: str) -> str:
    """ASCII words of ``text`` joined by hyphens ("클라우드커피 Cloud Coffee" → "cloud-coffee")."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:50].strip("-")


async def create_workspace(
    session: AsyncSession, *, name: str, owner: User, locale: str = "ko", slug: str | None = None
) -> tuple[Workspace, Inbox]:
    """A workspace with its owner and a website inbox, ready to embed."""
    name = name.strip()
    if not name:
        raise BadRequest("Give the workspace a name.")
    workspace = Workspace(
        name=name[:200], identity_secret=secrets.token_hex(32), default_locale=locale
    )
    session.add(workspace)
    await session.flush()
    # A readable help-center address when the name has Latin letters, else "w<id>";
    # the id suffix keeps it unique without a lookup.
    base = slugify(name)
    workspace.slug = slug or (f"{base}-{workspace.id}" if base else f"w{workspace.id}")
    session.add(
        Agent(
            workspace_id=workspace.id,
            user_id=owner.id,
            role=Role.OWNER.value,
            display_name=owner.name,
        )
    )
    inbox = Inbox(
        workspace_id=workspace.id,
        name="Website",
        channel_type=ChannelType.WEB_WIDGET.value,
        public_key=f"sdk_{secrets.token_urlsafe(16)}",
        config={},
    )
    session.add(inbox)
    # The catch-all queue every conversation lands in until routed elsewhere.
    session.add(Team(workspace_id=workspace.id, name="General", everyone=True, auto_assign=False))
    await session.flush()
    return workspace, inbox


async def add_agent(
    session: AsyncSession, workspace_id: int, user: User, *, role: Role = Role.AGENT
) -> Agent:
    repository = AgentRepository(session, workspace_id)
    if await repository.by_user(user.id) is not None:
        raise BadRequest(f"{user.email} is already an agent of this workspace.")
    agent = Agent(user_id=user.id, role=role.value, display_name=user.name)
    repository.add(agent)
    await session.flush()
    return agent


def require_admin(role: str) -> None:
    if role not in ADMIN_ROLES:
        raise Forbidden("Only an owner or admin of this workspace can do that.")


async def create_api_token(
    session: AsyncSession, workspace_id: int, *, name: str, agent: Agent
) -> tuple[str, ApiToken]:
    """A token that acts as ``agent`` through the REST API; the secret is returned once."""
    require_admin(agent.role)
    name = name.strip()
    if not name:
        raise BadRequest("Name the token after what will use it, e.g. 'CRM sync'.")
    secret = new_token("sda")
    token = ApiToken(
        name=name[:200],
        token_hash=hash_token(secret),
        prefix=secret[:10],
        created_by_agent_id=agent.id,
    )
    AgentRepository(session, workspace_id).add(token)
    await session.flush()
    return secret, token


async def revoke_api_token(
    session: AsyncSession, workspace_id: int, token_id: int, *, agent: Agent
) -> None:
    require_admin(agent.role)
    token = await AgentRepository(session, workspace_id).token(token_id)
    token.revoked_at = utcnow()
