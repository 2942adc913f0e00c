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
from sangdam.workspaces.service import ADMIN_ROLES

WEB = Path(__file__).parent
TEMPLATES = WEB / "templates"
templates = Jinja2Templates(directory=TEMPLATES)
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
    csrf_token: str


async def _viewer(
    request: Request, session: AsyncSession, workspace_id: int
) -> _Viewer | RedirectResponse:
    """Who opens an agent page of a workspace: signed in (else a redirect to /login) and a
    member of it (else 404)."""
    found = await resolve_session(session, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        return RedirectResponse("/login", status_code=303)
    user, web_session = found
    rows = await memberships(session, user.id)
    current = next(((a, w) for a, w in rows if w.id == workspace_id), None)
    if current is None:
        raise NotFound(f"Workspace {workspace_id} does not exist or you have no access to it.")
    agent, workspace = current
    return _Viewer(user, agent, workspace, rows, web_session.csrf_token)


def _render(
    request: Request, viewer: _Viewer, template: str, data: dict[str, Any], **context: Any
) -> HTMLResponse:
    """A workspace page; ``data`` goes to the browser as JSON with the catalog."""
    bootstrap = {
        "workspaceId": viewer.workspace.id,
        "csrfToken": viewer.csrf_token,
        "locale": viewer.user.locale,
        **data,
        "messages": catalog(viewer.user.locale),
    }
    return render_page(
        request,
        template,
        viewer.user.locale,
        APP_CSP,
        workspace=viewer.workspace,
        agent=viewer.agent,
        # The top bar's workspace switcher.
        workspaces=[workspace for _agent, workspace in viewer.workspaces],
        may_create_workspace=any(a.role in ADMIN_ROLES for a, _w in viewer.workspaces),
        bootstrap=json.dumps(bootstrap, ensure_ascii=False),
        **context,
    )


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
    404), an admin where ``admins_only`` (else a page saying so, 403); the page's data goes
    to the browser as JSON."""
    viewer = await _viewer(request, session, workspace_id)
    if not isinstance(viewer, _Viewer):
        return viewer
    if admins_only and viewer.agent.role not in ADMIN_ROLES:
        return await _settings_page(request, session, workspace_id, None)
    return _render(request, viewer, template, page_data(viewer))


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


# ---- settings: one page per section, a side menu listing them ----------------------------


@dataclass(frozen=True)
class Section:
    """One page of the settings, ``/inbox/{id}/settings/<slug>``: the template
    ``templates/settings/<slug>.html`` with its script ``static/inbox/settings/<slug>.js``.
    With ``href`` the menu entry links to a page kept elsewhere (the profile, the API docs)."""

    slug: str
    title: str  # English text (the catalogs' msgid) of the menu entry and the page's heading
    group: str
    admins_only: bool = True
    href: str | None = None

    def url(self, workspace_id: int) -> str:
        if self.href is not None:
            return self.href.format(id=workspace_id)
        return f"/inbox/{workspace_id}/settings/{self.slug}"

    @property
    def exists(self) -> bool:
        return self.href is not None or (TEMPLATES / "settings" / f"{self.slug}.html").exists()


# The side menu, in order, and every settings page: a new page is one line here plus its
# template and script.
SETTINGS_SECTIONS: tuple[Section, ...] = (
    Section("general", "General", "Team and channels"),
    Section("members", "Members", "Team and channels"),
    Section("teams", "Teams and business hours", "Team and channels"),
    Section("email", "Email inbox", "Team and channels"),
    Section("bot", "Support bot", "Bot and knowledge"),
    Section("faq", "FAQ", "Bot and knowledge"),
    Section("help-center", "Help center", "Bot and knowledge"),
    Section("bot-report", "Bot report", "Bot and knowledge"),
    Section("tags", "Tags", "Conversation handling"),
    Section("automation", "Automation rules", "Conversation handling"),
    Section("canned", "Canned responses", "Conversation handling", admins_only=False),
    Section("member-verification", "Member verification", "Customer data and integrations"),
    Section("external-data", "External data card", "Customer data and integrations"),
    Section("github", "GitHub", "Customer data and integrations"),
    Section("api-tokens", "API tokens", "Developers"),
    Section("api-docs", "API docs", "Developers", admins_only=False, href="/api/docs"),
    Section("profile", "Your profile", "You", admins_only=False, href="/inbox/{id}/profile"),
)
_SECTIONS_BY_SLUG = {s.slug: s for s in SETTINGS_SECTIONS if s.href is None}


def _may_open(section: Section, role: str) -> bool:
    return not section.admins_only or role in ADMIN_ROLES


def settings_menu(workspace_id: int, role: str) -> list[tuple[str, list[dict[str, str]]]]:
    """The side menu's groups and entries this viewer may open, in order."""
    groups: dict[str, list[dict[str, str]]] = {}
    for section in SETTINGS_SECTIONS:
        if _may_open(section, role):
            entry = {"slug": section.slug, "title": section.title, "url": section.url(workspace_id)}
            groups.setdefault(section.group, []).append(entry)
    return list(groups.items())


async def _settings_page(
    request: Request, session: AsyncSession, workspace_id: int, section: Section | None
) -> Response:
    """A settings page in the shell (side menu + section); a section the viewer may not
    open is a page saying so, with status 403 (never the API's JSON)."""
    base_url = sangdam(request).settings.base_url
    viewer = await _viewer(request, session, workspace_id)
    if not isinstance(viewer, _Viewer):
        return viewer
    shown = section if section is not None and _may_open(section, viewer.agent.role) else None
    data = {
        "workspaceName": viewer.workspace.name,
        "agent": {
            "id": viewer.agent.id,
            "name": viewer.agent.display_name,
            "role": viewer.agent.role,
        },
        "user": {"id": viewer.user.id, "email": viewer.user.email},
        "helpUrl": f"{base_url}/help/{viewer.workspace.slug}",
        "section": shown.slug if shown is not None else None,
    }
    response = _render(
        request,
        viewer,
        f"settings/{shown.slug}.html" if shown is not None else "settings/forbidden.html",
        data,
        section=shown,
        menu=settings_menu(viewer.workspace.id, viewer.agent.role),
    )
    if shown is None:
        response.status_code = 403
    return response


@router.get("/inbox/{workspace_id}/settings", response_class=HTMLResponse)
async def settings_index(request: Request, session: Session, workspace_id: int) -> Response:
    """Admins go to the first section; an agent sees which sections are theirs."""
    viewer = await _viewer(request, session, workspace_id)
    if not isinstance(viewer, _Viewer):
        return viewer
    if viewer.agent.role in ADMIN_ROLES:
        first = next(s for s in SETTINGS_SECTIONS if s.href is None and s.exists)
        return RedirectResponse(first.url(workspace_id), status_code=303)
    return await _settings_page(request, session, workspace_id, None)


@router.get("/inbox/{workspace_id}/settings/{slug}", response_class=HTMLResponse)
async def settings_section(
    request: Request, session: Session, workspace_id: int, slug: str
) -> Response:
    section = _SECTIONS_BY_SLUG.get(slug)
    if section is None or not section.exists:
        raise NotFound(f"There is no settings page called {slug!r}.")
    return await _settings_page(request, session, workspace_id, section)


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
