"""Workspaces, their agents and API tokens."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from sangdam.accounts.models import User
from sangdam.accounts.service import LOCALES, create_user
from sangdam.db import utcnow
from sangdam.events.service import credentials_ended
from sangdam.inboxes.models import ChannelType, Inbox
from sangdam.kit.errors import BadRequest, Conflict, Forbidden, Unauthorized, Unprocessable
from sangdam.kit.secrets import hash_token, new_token
from sangdam.routing.models import Team
from sangdam.workspaces.models import ALL_SCOPES, Agent, ApiToken, Role, TokenScope, Workspace
from sangdam.workspaces.repository import (
    AgentRepository,
    InstallationRepository,
    TokenUses,
    memberships,
)

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
        raise BadRequest(
            "{email} is already an agent of this workspace.", values={"email": user.email}
        )
    agent = Agent(user_id=user.id, role=role.value, display_name=user.name)
    repository.add(agent)
    await session.flush()
    return agent


def require_active(agent: Agent) -> None:
    """Nothing is given to a deactivated member (by hand, by a rule or by a transfer)."""
    if not agent.active:
        raise Unprocessable(
            "{name} is deactivated in this workspace; choose someone else.",
            code="agent_deactivated",
            values={"name": agent.display_name},
        )


def require_admin(role: str) -> None:
    if role not in ADMIN_ROLES:
        raise Forbidden("Only an owner or admin of this workspace can do that.")


# An API token's last use is written at most this often: a read would otherwise write.
TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)


async def create_api_token(
    session: AsyncSession,
    workspace_id: int,
    *,
    name: str,
    agent: Agent,
    scopes: Iterable[str] = ALL_SCOPES,
    expires_at: dt.datetime | None = None,
) -> tuple[str, ApiToken]:
    """A token that acts as ``agent`` through the REST API, within ``scopes`` and until
    ``expires_at``; the secret is returned once."""
    require_admin(agent.role)
    name = name.strip()
    if not name:
        raise BadRequest("Name the token after what will use it, e.g. 'CRM sync'.")
    granted = [scope for scope in ALL_SCOPES if scope in set(scopes)]
    if not granted:
        raise Unprocessable("Give the token at least one scope: read, write or admin.")
    if expires_at is not None and expires_at <= utcnow():
        raise Unprocessable("The expiry date has passed. Pick a date in the future.")
    secret = new_token("sda")
    token = ApiToken(
        name=name[:200],
        token_hash=hash_token(secret),
        prefix=secret[:10],
        created_by_agent_id=agent.id,
        scopes=granted,
        expires_at=expires_at,
    )
    AgentRepository(session, workspace_id).add(token)
    await session.flush()
    return secret, token


def authorize_api_token(
    token: ApiToken, agent: Agent, *, changes: bool, now: dt.datetime
) -> frozenset[str]:
    """What a request through ``token`` may do: an expired token is refused (401), a
    request needs the read scope (GET) or the write scope (any change), and without the
    admin scope the token acts with the agent role, so everything only owners and admins
    may do (every settings endpoint) refuses it, as it would refuse an agent."""
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized(
            "The API token “{name}” expired on {expired:%Y-%m-%d %H:%M} UTC. "
            "Create a new one in the settings.",
            code="token_expired",
            values={"name": token.name, "expired": token.expires_at},
        )
    scopes = frozenset(token.scopes or ())
    if changes and TokenScope.WRITE.value not in scopes:
        raise Forbidden(
            "This API token may only read. Changes need a token with the write scope.",
            code="token_scope",
        )
    if not changes and TokenScope.READ.value not in scopes:
        raise Forbidden(
            "This API token may not read. Reading needs a token with the read scope.",
            code="token_scope",
        )
    if TokenScope.ADMIN.value not in scopes and agent.role in ADMIN_ROLES:
        # For this request only: the row keeps its role (the value is not marked changed).
        set_committed_value(agent, "role", Role.AGENT.value)
    return scopes


def token_use_is_stale(token: ApiToken, now: dt.datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION


async def note_token_use(session: AsyncSession, token_id: int, now: dt.datetime) -> None:
    """Record a use, unless another request recorded one within the last minute."""
    await TokenUses(session).touch(token_id, now, now - TOKEN_USE_RESOLUTION)


async def revoke_api_token(
    session: AsyncSession, workspace_id: int, token_id: int, *, agent: Agent
) -> None:
    require_admin(agent.role)
    token = await AgentRepository(session, workspace_id).token(token_id)
    token.revoked_at = utcnow()
    credentials_ended(session, api_token_id=token.id)


# ---- a company's own installation: first-run setup, more workspaces, general settings ----

_HOSTNAME = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def website_host(value: str) -> str | None:
    """The host of the company's website ("https://www.shop.co.kr/help" → "www.shop.co.kr")."""
    text = value.strip().lower()
    if not text:
        return None
    if "://" not in text:
        text = f"https://{text}"
    host = (urlsplit(text).hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    if not _HOSTNAME.fullmatch(host):
        raise BadRequest(
            "{value!r} is not a website address; enter one like www.example.com.",
            code="bad_website",
            values={"value": value.strip()[:100]},
        )
    return host


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(
            "{name!r} is not a time zone; choose one such as Asia/Seoul.",
            code="bad_timezone",
            values={"name": name[:60]},
        ) from None
    return name


def check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise BadRequest(
            "Choose one of the languages: {languages}.",
            code="bad_locale",
            values={"languages": ", ".join(LOCALES)},
        )
    return locale


@dataclass
class WorkspaceSettings:
    name: str
    locale: str
    timezone: str
    website: str | None
    off_hours_to_team: str | None = None


async def _new_workspace(
    session: AsyncSession, owner: User, wanted: WorkspaceSettings
) -> tuple[Workspace, Inbox]:
    check_locale(wanted.locale)
    check_timezone(wanted.timezone)
    host = website_host(wanted.website or "")
    workspace, inbox = await create_workspace(
        session, name=wanted.name, owner=owner, locale=wanted.locale
    )
    workspace.timezone = wanted.timezone
    if host:
        inbox.config = {**inbox.config, "website": host}
    return workspace, inbox


async def set_up(
    session: AsyncSession,
    wanted: WorkspaceSettings,
    *,
    name: str,
    email: str,
    password: str,
) -> tuple[User, Workspace]:
    """The first run of an empty installation: its owner and first workspace.

    Only while nobody has an account: afterwards people join by invitation, and an
    owner or admin creates more workspaces from the inbox.
    """
    repository = InstallationRepository(session)
    await repository.lock()
    if await repository.user_count() > 0:
        raise Conflict(
            "Sangdam is set up already. Sign in, or ask your admin for an invitation.",
            code="already_set_up",
        )
    user = await create_user(
        session, email=email, name=name, password=password, locale=check_locale(wanted.locale)
    )
    # The owner picked it on the setup page: it stays, whatever browser signs in later.
    user.locale_chosen = True
    workspace, _inbox = await _new_workspace(session, user, wanted)
    return user, workspace


async def create_another_workspace(
    session: AsyncSession, user: User, wanted: WorkspaceSettings
) -> Workspace:
    """A new workspace (another brand, a client of an agency) owned by ``user``, who must
    run one already: owners and admins may, agents may not."""
    rows = await memberships(session, user.id)
    if not any(agent.role in ADMIN_ROLES for agent, _workspace in rows):
        raise Forbidden(
            "Only owners and admins of a workspace can create another one.", code="not_admin"
        )
    workspace, _inbox = await _new_workspace(session, user, wanted)
    return workspace


async def update_general(
    session: AsyncSession, workspace_id: int, actor: Agent, wanted: WorkspaceSettings
) -> tuple[Workspace, Inbox]:
    require_admin(actor.role)
    workspace = await InstallationRepository(session).workspace(workspace_id)
    inbox = await AgentRepository(session, workspace_id).website_inbox()
    name = " ".join(wanted.name.split())
    if not name:
        raise BadRequest("Give the workspace a name.")
    workspace.name = name[:200]
    workspace.default_locale = check_locale(wanted.locale)
    workspace.timezone = check_timezone(wanted.timezone)
    host = website_host(wanted.website or "")
    config = {key: value for key, value in inbox.config.items() if key != "website"}
    if wanted.off_hours_to_team is not None:
        config["off_hours_to_team"] = wanted.off_hours_to_team
    inbox.config = {**config, "website": host} if host else config
    return workspace, inbox
