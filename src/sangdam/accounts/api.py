"""Signing in and out, and the signed-in user's own settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sangdam.accounts import service
from sangdam.accounts.models import User, WebSession
from sangdam.accounts.schemas import LocaleIn, LoginIn, MembershipOut, MeOut, PasswordIn
from sangdam.auth.dependencies import SESSION_COOKIE, AppSettings, CurrentUser, Session
from sangdam.errors import Forbidden, Unauthorized
from sangdam.kit.ratelimit import client_address
from sangdam.workspaces.repository import memberships

router = APIRouter(prefix="/api/v1", tags=["accounts"])
# A browser that signed in as a user before: strangers' failed guesses don't lock it out.
DEVICE_COOKIE = "sangdam_device"


async def _me(session: Session, user: User, web_session: WebSession) -> MeOut:
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        locale=user.locale,
        csrf_token=web_session.csrf_token,
        workspaces=[
            MembershipOut(
                workspace_id=workspace.id,
                workspace_name=workspace.name,
                agent_id=agent.id,
                role=agent.role,
            )
            for agent, workspace in await memberships(session, user.id)
        ],
    )


@router.post("/login", response_model=MeOut)
async def login(
    payload: LoginIn, request: Request, response: Response, session: Session, settings: AppSettings
) -> MeOut | JSONResponse:
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden("Sign in from Sangdam's own sign-in page.", code="bad_origin")
    signed_in = await service.authenticate(
        session,
        email=payload.email,
        password=payload.password,
        client_address=client_address(request, settings.server.trusted_proxies),
        settings=settings.security,
        device_token=request.cookies.get(DEVICE_COOKIE),
    )
    user = signed_in.user
    if user is None:
        # Returned, not raised: the failed attempt must be committed to count.
        error = Unauthorized("The email or password is not right.", code="bad_credentials")
        return JSONResponse(error.as_dict(), status_code=error.status_code)
    token, web_session = await service.start_session(
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
    if signed_in.device_token is not None:
        response.set_cookie(
            DEVICE_COOKIE,
            signed_in.device_token,
            max_age=settings.security.trusted_device_days * 86400,
            httponly=True,
            secure=settings.server.secure_cookies,
            samesite="strict",
            path="/api/v1/login",
        )
    return await _me(session, user, web_session)


@router.post("/logout", status_code=204)
async def logout(request: Request, current: CurrentUser, session: Session) -> Response:
    await service.end_session(session, request.cookies[SESSION_COOKIE])
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut)
async def me(current: CurrentUser, session: Session) -> MeOut:
    return await _me(session, *current)


@router.put("/me/locale", response_model=MeOut)
async def set_locale(payload: LocaleIn, current: CurrentUser, session: Session) -> MeOut:
    await service.set_locale(current[0], payload.locale)
    return await _me(session, *current)


@router.post("/me/password", status_code=204)
async def change_password(payload: PasswordIn, current: CurrentUser, session: Session) -> Response:
    await service.change_password(
        session, current[0], current=payload.current_password, new=payload.new_password
    )
    return Response(status_code=204)
