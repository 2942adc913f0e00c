"""Server-rendered pages: sign-in, the inbox shell, the widget frame and the demo site."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import User
from sangdam.accounts.service import resolve_session
from sangdam.auth.dependencies import SESSION_COOKIE, Session, sangdam
from sangdam.errors import NotFound
from sangdam.inboxes.models import ChannelType, Inbox
from sangdam.inboxes.repository import inbox_by_public_key
from sangdam.web.i18n import catalog, negotiate, translator
from sangdam.workspaces.models import Agent, Workspace
from sangdam.workspaces.repository import memberships
from sangdam.workspaces.service import require_admin

WEB = Path(__file__).parent
templates = Jinja2Templates(directory=WEB / "templates")
router = APIRouter(include_in_schema=False)

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
WIDGET_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)


def render_page(request: Request, name: str, locale: str, csp: str, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        name,
        {"_": translator(locale), "locale": locale, **context},
    )
    response.headers["Content-Security-Policy"] = csp
    return response


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(status_code=204)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, lang: str | None = None) -> HTMLResponse:
    locale = negotiate(request.headers.get("accept-language"), lang)
    return render_page(request, "login.html", locale, APP_CSP)


@router.get("/inbox")
async def inbox_redirect(request: Request, session: Session) -> Response:
    found = await resolve_session(session, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        return RedirectResponse("/login", status_code=303)
    workspaces = await memberships(session, found[0].id)
    if not workspaces:
        return HTMLResponse("You are not an agent of any workspace yet.", status_code=403)
    return RedirectResponse(f"/inbox/{workspaces[0][1].id}", status_code=303)


@dataclass
class _Viewer:
    user: User
    agent: Agent
    workspace: Workspace
    workspaces: list[tuple[Agent, Workspace]]


async def _workspace_page(
    request: Request,
    session: AsyncSession,
    workspace_id: int,
    template: str,
    page_data: Callable[[_Viewer], dict[str, Any]],
    *,
    admins_only: bool = False,
) -> Response:
    """An agent's page of one workspace: signed in (else to /login), a member of it (else
    404), an admin where ``admins_only``; the page's data goes to the browser as JSON."""
    found = await resolve_session(session, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        return RedirectResponse("/login", status_code=303)
    user, web_session = found
    rows = await memberships(session, user.id)
    current = next(((a, w) for a, w in rows if w.id == workspace_id), None)
    if current is None:
        raise NotFound(f"Workspace {workspace_id} does not exist or you have no access to it.")
    agent, workspace = current
    if admins_only:
        require_admin(agent.role)
    bootstrap = {
        "workspaceId": workspace.id,
        "csrfToken": web_session.csrf_token,
        "locale": user.locale,
        **page_data(_Viewer(user, agent, workspace, rows)),
        "messages": catalog(user.locale),
    }
    return render_page(
        request,
        template,
        user.locale,
        APP_CSP,
        workspace=workspace,
        bootstrap=json.dumps(bootstrap, ensure_ascii=False),
    )


@router.get("/inbox/{workspace_id}", response_class=HTMLResponse)
async def inbox_page(request: Request, session: Session, workspace_id: int) -> Response:
    def data(viewer: _Viewer) -> dict[str, Any]:
        return {
            "workspaceName": viewer.workspace.name,
            "workspaces": [{"id": w.id, "name": w.name} for _, w in viewer.workspaces],
            "agent": {
                "id": viewer.agent.id,
                "name": viewer.agent.display_name,
                "role": viewer.agent.role,
            },
            "user": {
                "id": viewer.user.id,
                "email": viewer.user.email,
                "locale": viewer.user.locale,
            },
            "maxMessageChars": sangdam(request).settings.realtime.max_message_chars,
        }

    return await _workspace_page(request, session, workspace_id, "inbox.html", data)


@router.get("/inbox/{workspace_id}/customers", response_class=HTMLResponse)
@router.get("/inbox/{workspace_id}/customers/{contact_id}", response_class=HTMLResponse)
async def customers_page(
    request: Request, session: Session, workspace_id: int, contact_id: int | None = None
) -> Response:
    """The customer list and customer page; the data comes from the contacts API."""
    return await _workspace_page(
        request,
        session,
        workspace_id,
        "customers.html",
        lambda viewer: {"contactId": contact_id},
    )


@router.get("/inbox/{workspace_id}/settings", response_class=HTMLResponse)
async def settings_page(request: Request, session: Session, workspace_id: int) -> Response:
    base_url = sangdam(request).settings.base_url
    return await _workspace_page(
        request,
        session,
        workspace_id,
        "settings.html",
        lambda viewer: {"helpUrl": f"{base_url}/help/{viewer.workspace.slug}"},
        admins_only=True,
    )


@router.get("/inbox/{workspace_id}/settings/canned", response_class=HTMLResponse)
async def canned_page(request: Request, session: Session, workspace_id: int) -> Response:
    """Canned responses: every agent keeps personal ones here; admins also team and workspace ones."""
    return await _workspace_page(
        request,
        session,
        workspace_id,
        "canned.html",
        lambda viewer: {"agent": {"id": viewer.agent.id, "role": viewer.agent.role}},
    )


@router.get("/widget.js")
async def widget_loader() -> FileResponse:
    return FileResponse(
        WEB / "static" / "widget" / "loader.js",
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@router.get("/widget/frame", response_class=HTMLResponse)
async def widget_frame(
    request: Request, session: Session, key: str, lang: str | None = None
) -> Response:
    inbox = await inbox_by_public_key(session, key)
    if inbox is None:
        raise NotFound("This chat widget's key is unknown. Check the key in the script tag.")
    locale = negotiate(request.headers.get("accept-language"), lang)
    bootstrap = {"key": key, "locale": locale, "messages": catalog(locale)}
    response = render_page(
        request,
        "widget_frame.html",
        locale,
        WIDGET_CSP,
        bootstrap=json.dumps(bootstrap, ensure_ascii=False),
    )
    return response


@router.get("/demo", response_class=HTMLResponse)
async def demo_site(request: Request, session: Session, key: str | None = None) -> Response:
    """A stand-in company website with the widget embedded, as a customer would."""
    if key is None:
        stmt = (
            select(Inbox)
            .where(Inbox.channel_type == ChannelType.WEB_WIDGET.value)
            .order_by(Inbox.id)
            .limit(1)
        )
        inbox = (await session.execute(stmt)).scalar()
    else:
        inbox = await inbox_by_public_key(session, key)
    if inbox is None:
        raise NotFound("No website inbox exists yet. Run `sangdam run` to create the demo.")
    locale = negotiate(request.headers.get("accept-language"), request.query_params.get("lang"))
    return render_page(
        request,
        "demo.html",
        locale,
        "default-src 'self'; script-src 'self'; style-src 'self'; frame-src 'self'; img-src 'self' data:",
        inbox_key=inbox.public_key,
    )
