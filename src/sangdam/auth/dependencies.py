"""Who is asking, decided once per request (or socket) and handed to the endpoint.

* Agents: a session cookie (browser; unsafe methods need the CSRF header) or a
  workspace API token (``Authorization: Bearer sda_...``). The workspace in the
  path must be one the agent belongs to; anything else is "not found".
* Visitors: ``Authorization: Bearer sdv_...`` from the widget. The token names
  the contact; nothing in the request body can widen that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from sangdam.accounts.models import User, WebSession
from sangdam.accounts.service import resolve_session
from sangdam.config import Settings
from sangdam.contacts.models import Contact, VisitorToken
from sangdam.contacts.service import authenticate_visitor
from sangdam.db import utcnow
from sangdam.errors import Forbidden, NotFound, Unauthorized
from sangdam.kit.secrets import constant_time_equals, hash_token
from sangdam.workspaces.models import Agent
from sangdam.workspaces.repository import AgentRepository, token_by_hash

if TYPE_CHECKING:
    from sangdam.app import Sangdam

SESSION_COOKIE = "sangdam_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def sangdam(connection: HTTPConnection) -> Sangdam:
    return connection.app.state.sangdam  # type: ignore[no-any-return]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: read-only for safe methods, committed otherwise."""
    db = sangdam(request).db
    manager = db.read() if request.method in SAFE_METHODS else db.transaction()
    async with manager as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_settings(request: Request) -> Settings:
    return sangdam(request).settings


AppSettings = Annotated[Settings, Depends(get_settings)]


@dataclass
class AgentContext:
    workspace_id: int
    agent: Agent
    via: str  # "session" or "token"
    user: User | None = None
    web_session: WebSession | None = None

    @property
    def role(self) -> str:
        return self.agent.role


def bearer(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def resolve_agent(
    connection: HTTPConnection, session: AsyncSession, workspace_id: int
) -> AgentContext:
    token = bearer(connection)
    if token is not None:
        api_token = await token_by_hash(session, hash_token(token))
        if api_token is None or api_token.created_by_agent_id is None:
            raise Unauthorized("The API token is not valid. Create a new one in the settings.")
        if api_token.workspace_id != workspace_id:
            raise NotFound(f"Workspace {workspace_id} does not exist or you have no access to it.")
        agent = await AgentRepository(session, workspace_id).get(api_token.created_by_agent_id)
        if connection.scope.get("method") not in SAFE_METHODS:
            api_token.last_used_at = utcnow()
        return AgentContext(workspace_id=workspace_id, agent=agent, via="token")
    cookie = connection.cookies.get(SESSION_COOKIE)
    found = await resolve_session(session, cookie) if cookie else None
    if found is None:
        raise Unauthorized("Sign in to continue.", code="not_signed_in")
    user, web_session = found
    membership = await AgentRepository(session, workspace_id).by_user(user.id)
    if membership is None:
        raise NotFound(f"Workspace {workspace_id} does not exist or you have no access to it.")
    return AgentContext(
        workspace_id=workspace_id,
        agent=membership,
        via="session",
        user=user,
        web_session=web_session,
    )


def require_csrf(request: Request, web_session: WebSession | None) -> None:
    """Cookie-authenticated changes must echo the session's CSRF token in a header."""
    if web_session is None or request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not constant_time_equals(sent, web_session.csrf_token):
        raise Forbidden(
            "The request is missing its CSRF token. Reload the page and try again.",
            code="csrf_failed",
        )


async def current_agent(request: Request, session: Session, workspace_id: int) -> AgentContext:
    context = await resolve_agent(request, session, workspace_id)
    require_csrf(request, context.web_session)
    return context


CurrentAgent = Annotated[AgentContext, Depends(current_agent)]


@dataclass
class VisitorContext:
    token: VisitorToken
    contact: Contact

    @property
    def workspace_id(self) -> int:
        return self.contact.workspace_id


async def current_visitor(request: Request, session: Session) -> VisitorContext:
    token = bearer(request)
    if token is None:
        raise Unauthorized("The widget did not send its visitor token.", code="bad_visitor_token")
    visitor_token, contact = await authenticate_visitor(session, token)
    return VisitorContext(token=visitor_token, contact=contact)


CurrentVisitor = Annotated[VisitorContext, Depends(current_visitor)]


async def current_user(request: Request, session: Session) -> tuple[User, WebSession]:
    cookie = request.cookies.get(SESSION_COOKIE)
    found = await resolve_session(session, cookie) if cookie else None
    if found is None:
        raise Unauthorized("Sign in to continue.", code="not_signed_in")
    user, web_session = found
    require_csrf(request, web_session)
    return user, web_session


CurrentUser = Annotated[tuple[User, WebSession], Depends(current_user)]
