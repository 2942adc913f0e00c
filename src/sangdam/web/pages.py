"""Server-rendered pages: sign-in, the inbox shell, the widget frame and the demo site."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import User
from sangdam.accounts.repository import AccountRepository
from sangdam.accounts.service import resolve_session
from sangdam.auth.dependencies import SESSION_COOKIE, Session, sangdam
from sangdam.csat.service import open_link
from sangdam.inboxes.models import ChannelType, Inbox
from sangdam.inboxes.repository import inbox_by_public_key
from sangdam.kit.errors import NotFound, SangdamError
from sangdam.kit.input import Id, Text, Verbatim
from sangdam.members.service import open_invitation
from sangdam.web.i18n import catalog, negotiate, translator
from sangdam.workspaces.models import Agent, Workspace
from sangdam.workspaces.repository import InstallationRepository, memberships
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


# ---- errors on pages: a page saying what happened, never the API's JSON ------------------

_ERROR_TEXTS = {
    403: (
        "You can't open this page",
        "Ask an owner or admin of the workspace if you need it.",
    ),
    404: (
        "This page does not exist",
        "The address may be mistyped, or the page is gone or not yours to see.",
    ),
}
_OTHER_ERROR = ("Something went wrong", "Go back and try again.")


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse | None:
    """An error as a page for a browser that asked for one (not under /api/), else None."""
    path = request.url.path
    if path.startswith(("/api/", "/ws/", "/static/")):
        return None
    if "text/html" not in request.headers.get("accept", ""):
        return None
    locale = negotiate(request.headers.get("accept-language"), request.query_params.get("lang"))
    title, advice = _ERROR_TEXTS.get(status_code, _OTHER_ERROR)
    messages = catalog(locale)
    # The server's own message when the catalogs have it (ids in it make most unique).
    said = messages.get(message, message if locale == "en" else None)
    _ = translator(locale)
    response = render_page(
        request, "error.html", locale, APP_CSP, title=_(title), message=said or _(advice)
    )
    response.status_code = status_code
    return response


@router.get("/")
async def home(session: Session) -> RedirectResponse:
    if await _needs_setup(session):
        return RedirectResponse("/setup", status_code=303)
    return RedirectResponse("/inbox", status_code=303)


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(status_code=204)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, session: Session, lang: Text | None = None) -> Response:
    if await _needs_setup(session):
        # Nobody can sign in to an empty installation: its first visitor sets it up.
        return RedirectResponse("/setup", status_code=303)
    locale = negotiate(request.headers.get("accept-language"), lang)
    return render_page(request, "login.html", locale, APP_CSP)


# ---- before the inbox: first-run setup, invitations, forgotten passwords ------------------


async def _needs_setup(session: AsyncSession) -> bool:
    return await InstallationRepository(session).user_count() == 0


def _account_page(
    request: Request, template: str, lang: str | None, csrf_token: str | None = None, **context: Any
) -> HTMLResponse:
    locale = negotiate(request.headers.get("accept-language"), lang)
    bootstrap = {"locale": locale, "csrfToken": csrf_token, "messages": catalog(locale)}
    return render_page(
        request,
        f"account/{template}",
        locale,
        APP_CSP,
        bootstrap=json.dumps(bootstrap, ensure_ascii=False),
        **context,
    )


# Time zones offered at setup: the IANA areas people live in (not Etc/ or legacy names).
_AREAS = {"Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}
TIMEZONES = sorted(
    {zone for zone in available_timezones() if zone.split("/")[0] in _AREAS} | {"Asia/Seoul"}
)


@router.get("/setup", response_class=HTMLResponse)
async def setup_page(request: Request, session: Session, lang: Text | None = None) -> Response:
    """The first visitor of an empty installation creates its workspace and owner."""
    if not await _needs_setup(session):
        return RedirectResponse("/login", status_code=303)
    return _account_page(request, "setup.html", lang, timezones=TIMEZONES)


ROLE_LABELS = {"owner": "Owner", "admin": "Admin", "agent": "Agent"}


@router.get("/invite/{secret}", response_class=HTMLResponse)
async def invitation_page(
    request: Request, session: Session, secret: Verbatim, lang: Text | None = None
) -> Response:
    """An invitation link: who invites you to what, and the form to accept."""
    found = await resolve_session(session, request.cookies.get(SESSION_COOKIE, ""))
    locale = negotiate(request.headers.get("accept-language"), lang)
    try:
        invitation, workspace = await open_invitation(session, secret)
    except SangdamError as exc:
        response = _account_page(
            request, "invitation.html", lang, problem=translator(locale)(exc.message)
        )
        response.status_code = exc.status_code
        return response
    has_account = await AccountRepository(session).user_by_email(invitation.email) is not None
    return _account_page(
        request,
        "invitation.html",
        lang,
        csrf_token=found[1].csrf_token if found else None,
        problem=None,
        secret=secret,
        workspace_name=workspace.name,
        email=invitation.email,
        role_label=ROLE_LABELS.get(invitation.role, invitation.role),
        has_account=has_account,
        signed_in_as_invitee=found is not None and found[0].email == invitation.email,
        next_url=f"/invite/{secret}",
    )


@router.get("/survey/{token}", response_class=HTMLResponse)
async def survey_page(
    request: Request, session: Session, token: Verbatim, lang: Text | None = None
) -> Response:
    """A post-chat survey's one-time link: its questions, answered once, without sign-in."""
    limits = sangdam(request).limits
    await limits.account_action(limits.address(request))
    locale = negotiate(request.headers.get("accept-language"), lang)
    try:
        survey, send = await open_link(session, token)
    except SangdamError as exc:
        response = _account_page(
            request, "survey.html", lang, problem=translator(locale)(exc.message)
        )
        response.status_code = exc.status_code
        return response
    return _account_page(
        request,
        "survey.html",
        lang,
        problem=None,
        token=token,
        survey_name=survey.name,
        questions=survey.questions,
        answered=send.answered_at is not None,
    )


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_page(request: Request, lang: Text | None = None) -> HTMLResponse:
    return _account_page(request, "forgot.html", lang)


@router.get("/reset-password/{secret}", response_class=HTMLResponse)
async def reset_page(request: Request, secret: Verbatim, lang: Text | None = None) -> HTMLResponse:
    return _account_page(request, "reset.html", lang, secret=secret)


@router.get("/inbox")
async def inbox_redirect(request: Request, session: Session) -> Response:
    found = await resolve_session(session, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        return RedirectResponse("/login", status_code=303)
    workspaces = await memberships(session, found[0].id)
    if not workspaces:
        response = _account_page(
            request, "no_workspace.html", found[0].locale, csrf_token=found[1].csrf_token
        )
        response.status_code = 403
        return response
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
        raise NotFound(
            "Workspace {id} does not exist or you have no access to it.",
            values={"id": workspace_id},
        )
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
async def inbox_page(request: Request, session: Session, workspace_id: Id) -> Response:
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
    request: Request, session: Session, workspace_id: Id, contact_id: Id | None = None
) -> Response:
    """The customer list and customer page; the data comes from the contacts API."""
    return await _workspace_page(
        request,
        session,
        workspace_id,
        "customers.html",
        lambda viewer: {"contactId": contact_id},
    )


@router.get("/inbox/{workspace_id}/profile", response_class=HTMLResponse)
async def profile_page(request: Request, session: Session, workspace_id: Id) -> Response:
    """Your name, picture, language and password."""

    def data(viewer: _Viewer) -> dict[str, Any]:
        return {
            "user": {
                "id": viewer.user.id,
                "name": viewer.user.name,
                "email": viewer.user.email,
                "locale": viewer.user.locale,
            }
        }

    return await _workspace_page(request, session, workspace_id, "profile.html", data)


@router.get("/inbox/{workspace_id}/welcome", response_class=HTMLResponse)
async def welcome_page(request: Request, session: Session, workspace_id: Id) -> Response:
    """A new workspace's first steps: the widget, teammates, business hours, the FAQ."""
    base_url = sangdam(request).settings.base_url
    return await _workspace_page(
        request,
        session,
        workspace_id,
        "welcome.html",
        lambda viewer: {"baseUrl": base_url, "role": viewer.agent.role},
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
    Section("reports", "Reports", "Reports and monitor"),
    Section("monitor", "Live monitor", "Reports and monitor"),
    Section("surveys", "Surveys", "Reports and monitor"),
    Section("campaigns", "Segments and campaigns", "Customer data and integrations"),
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
async def settings_index(request: Request, session: Session, workspace_id: Id) -> Response:
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
    request: Request, session: Session, workspace_id: Id, slug: Text
) -> Response:
    section = _SECTIONS_BY_SLUG.get(slug)
    if section is None or not section.exists:
        raise NotFound("There is no settings page called {slug!r}.", values={"slug": slug})
    return await _settings_page(request, session, workspace_id, section)


# ---- the API docs: Swagger UI's files from a pinned wheel, our own page and start script ---

SWAGGER_UI = Path(str(resources.files("fastapi_offline") / "static"))
_SWAGGER_FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


@router.get("/api/docs", response_class=HTMLResponse)
async def api_docs(request: Request, lang: Text | None = None) -> HTMLResponse:
    """Swagger UI for /api/openapi.json, served by Sangdam itself (nothing from a CDN)."""
    locale = negotiate(request.headers.get("accept-language"), lang)
    return render_page(request, "api_docs.html", locale, APP_CSP)


@router.get("/api/docs/assets/{name}")
async def api_docs_asset(name: Text) -> FileResponse:
    if name not in _SWAGGER_FILES:
        raise NotFound("The API docs have no such file.")
    return FileResponse(
        SWAGGER_UI / name,
        media_type=_SWAGGER_FILES[name],
        headers={"Cache-Control": "public, max-age=86400"},
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
    request: Request, session: Session, key: Verbatim, lang: Text | None = None
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
async def demo_site(request: Request, session: Session, key: Verbatim | None = None) -> Response:
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
