"""Who is asking, decided once per request (or socket) and handed to the endpoint.

* Agents: a session cookie (browser; unsafe methods need the CSRF header) or a
  workspace API token (``Authorization: Bearer sda_...``). The workspace in the
  path must be one the agent belongs to; anything else is "not found".
* Visitors: ``Authorization: Bearer sdv_...`` from the widget. The token names
  the contact; nothing in the request body can widen that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute

from sangdam.accounts.models import User, WebSession
from sangdam.accounts.service import resolve_session, start_session
from sangdam.config import Settings
from sangdam.contacts.models import Contact, VisitorToken
from sangdam.contacts.service import authenticate_visitor
from sangdam.db import utcnow
from sangdam.kit import logs
from sangdam.kit.errors import Forbidden, NotFound, Unauthorized
from sangdam.kit.input import Id
from sangdam.kit.secrets import constant_time_equals, hash_token
from sangdam.workspaces.models import Agent, TokenScope
from sangdam.workspaces.repository import AgentRepository, token_by_hash
from sangdam.workspaces.service import (
    authorize_api_token,
    note_token_use,
    token_use_is_stale,
)

if TYPE_CHECKING:
    from sangdam.app import Sangdam

SESSION_COOKIE = "sangdam_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_F = TypeVar("_F", bound=Callable[..., Any])


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
    api_token_id: int | None = None
    # An API token's scopes (workspaces.models.TokenScope); None for a browser session.
    scopes: frozenset[str] | None = None

    @property
    def role(self) -> str:
        return self.agent.role

    @property
    def may_change(self) -> bool:
        """False for an API token without the write scope."""
        return self.scopes is None or TokenScope.WRITE.value in self.scopes


def bearer(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def resolve_agent(
    connection: HTTPConnection, session: AsyncSession, workspace_id: int
) -> AgentContext:
    logs.bind(workspace_id=workspace_id)
    token = bearer(connection)
    if token is not None:
        api_token = await token_by_hash(session, hash_token(token))
        if api_token is None or api_token.created_by_agent_id is None:
            raise Unauthorized("The API token is not valid. Create a new one in the settings.")
        if api_token.workspace_id != workspace_id:
            raise NotFound(
                "Workspace {id} does not exist or you have no access to it.",
                values={"id": workspace_id},
            )
        agent = await AgentRepository(session, workspace_id).get(api_token.created_by_agent_id)
        if not agent.active:
            # A token acts as the agent who made it: it ends with their access.
            raise Unauthorized("The API token is not valid. Create a new one in the settings.")
        now = utcnow()
        # A socket only reads until it sends a frame that changes something (checked then).
        changes = connection.scope["type"] == "http" and (
            connection.scope.get("method") not in SAFE_METHODS
        )
        scopes = authorize_api_token(api_token, agent, changes=changes, now=now)
        if token_use_is_stale(api_token, now):
            if changes:
                api_token.last_used_at = now  # committed with the request's own changes
            else:
                # A read's session never commits: one small write of its own, once a minute.
                token_id = api_token.id
                await sangdam(connection).db.write(
                    lambda write: note_token_use(write, token_id, now)
                )
        return AgentContext(
            workspace_id=workspace_id,
            agent=agent,
            via="token",
            api_token_id=api_token.id,
            scopes=scopes,
        )
    cookie = connection.cookies.get(SESSION_COOKIE)
    found = await resolve_session(session, cookie) if cookie else None
    if found is None:
        raise Unauthorized("Sign in to continue.", code="not_signed_in")
    user, web_session = found
    membership = await AgentRepository(session, workspace_id).by_user(user.id)
    if membership is None:
        raise NotFound(
            "Workspace {id} does not exist or you have no access to it.",
            values={"id": workspace_id},
        )
    if not membership.active:
        raise Forbidden(
            "An admin turned off your access to this workspace. Ask them to reactivate you.",
            code="deactivated",
        )
    return AgentContext(
        workspace_id=workspace_id,
        agent=membership,
        via="session",
        user=user,
        web_session=web_session,
    )


async def sign_in(
    request: Request, response: Response, session: AsyncSession, user: User
) -> WebSession:
    """Start a browser session for ``user`` and set its cookie on ``response``."""
    settings = sangdam(request).settings
    token, web_session = await start_session(
        session, user, user_agent=request.headers.get("user-agent", ""), settings=settings.security
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.security.session_days * 86400,
        httponly=True,
        secure=settings.server.secure_cookies,
        samesite="lax",
        path="/",
    )
    return web_session


async def signed_in_user(request: Request, session: AsyncSession) -> User | None:
    """The user this browser is signed in as, if any; changes need the CSRF header too."""
    cookie = request.cookies.get(SESSION_COOKIE)
    found = await resolve_session(session, cookie) if cookie else None
    if found is None:
        return None
    require_csrf(request, found[1])
    return found[0]


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


async def current_agent(request: Request, session: Session, workspace_id: Id) -> AgentContext:
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
    logs.bind(workspace_id=contact.workspace_id)
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


# ---- how the OpenAPI schema says who may call an operation ------------------------------

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "ApiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A workspace API token (`sda_…`), made by an admin in the settings.",
    },
    "SessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser session set by `POST /api/v1/login`.",
    },
    "CsrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "The session's `csrf_token` (from login or `/me`), with the cookie "
        "on every request that changes something.",
    },
    "VisitorToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The widget's visitor token (`sdv_…`) from `POST /api/widget/v1/visitors`.",
    },
}
_WHO: dict[Callable[..., Any], str] = {
    current_agent: "agent",
    current_user: "user",
    current_visitor: "visitor",
}


def checks_credentials(who: str) -> Callable[[_F], _F]:
    """Mark another dependency that authenticates like ``current_agent`` ("agent") does."""

    def mark(dependency: _F) -> _F:
        _WHO[dependency] = who
        return dependency

    return mark


def _who(dependant: Dependant) -> str | None:
    if dependant.call in _WHO:
        return _WHO[dependant.call]
    for sub in dependant.dependencies:
        if (found := _who(sub)) is not None:
            return found
    return None


def document_security(schema: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Add the security schemes, and each operation's requirement, to ``schema``."""
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        who = _who(route.dependant)
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None or who is None:
                continue
            browser: dict[str, list[str]] = {"SessionCookie": []}
            if method not in SAFE_METHODS:
                browser["CsrfToken"] = []
            operation["security"] = {
                "agent": [{"ApiToken": []}, browser],
                "user": [browser],
                "visitor": [{"VisitorToken": []}],
            }[who]
