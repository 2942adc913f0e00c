"""Signing in and out, and the signed-in user's own settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sangdam.accounts import service
from sangdam.accounts.models import User, WebSession
from sangdam.accounts.repository import AccountRepository
from sangdam.accounts.schemas import (
    LocaleIn,
    LoginIn,
    MembershipOut,
    MeOut,
    PasswordIn,
    ProfileIn,
    ResetIn,
    ResetRequestIn,
)
from sangdam.auth.dependencies import (
    SESSION_COOKIE,
    AppSettings,
    CurrentUser,
    Session,
    sangdam,
    sign_in,
)
from sangdam.kit.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Verbatim
from sangdam.kit.ratelimit import client_address
from sangdam.web.i18n import error_translator, negotiate
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


@router.post(
    "/login",
    response_model=MeOut,
    responses=responses(BadRequest, Unauthorized, Forbidden, Unprocessable, TooManyRequests),
)
async def login(
    payload: LoginIn, request: Request, response: Response, session: Session, settings: AppSettings
) -> MeOut | JSONResponse:
    origin = request.headers.get("origin")
    # Our own pages: the address browsers use (a proxy may send Host without its port).
    ours = {request.headers.get("host"), urlsplit(settings.base_url).netloc}
    if origin and urlsplit(origin).netloc not in ours:
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
        said = error_translator(request.headers.get("accept-language"))
        return JSONResponse(error.as_dict(said), status_code=error.status_code)
    # Until they pick a language, agents get the sign-in page's (their browser's).
    service.follow_browser_locale(user, negotiate(request.headers.get("accept-language")))
    web_session = await sign_in(request, response, session, user)
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


@router.post("/logout", status_code=204, responses=responses(Unauthorized, Forbidden))
async def logout(request: Request, current: CurrentUser, session: Session) -> Response:
    await service.end_session(session, request.cookies[SESSION_COOKIE])
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut, responses=responses(Unauthorized))
async def me(current: CurrentUser, session: Session) -> MeOut:
    return await _me(session, *current)


@router.put(
    "/me/locale",
    response_model=MeOut,
    responses=responses(BadRequest, Unauthorized, Forbidden, Unprocessable),
)
async def set_locale(payload: LocaleIn, current: CurrentUser, session: Session) -> MeOut:
    await service.set_locale(current[0], payload.locale)
    return await _me(session, *current)


@router.post(
    "/me/password",
    status_code=204,
    responses=responses(BadRequest, Unauthorized, Forbidden, Unprocessable, TooManyRequests),
)
async def change_password(payload: PasswordIn, current: CurrentUser, session: Session) -> Response:
    await service.change_password(
        session, current[0], current=payload.current_password, new=payload.new_password
    )
    return Response(status_code=204)


@router.patch(
    "/me", response_model=MeOut, responses=responses(BadRequest, Unauthorized, Forbidden)
)
async def update_profile(payload: ProfileIn, current: CurrentUser, session: Session) -> MeOut:
    """Your name, as your teammates see it (and customers, on workspaces where you have
    not chosen another display name)."""
    await service.set_profile_name(session, current[0], payload.name)
    return await _me(session, *current)


@router.put(
    "/me/avatar",
    status_code=204,
    responses=responses(BadRequest, Unauthorized, Forbidden, PayloadTooLarge),
)
async def upload_avatar(request: Request, current: CurrentUser, session: Session) -> Response:
    """Your picture: the request body is the image (PNG, JPEG, GIF or WebP, up to 2 MB)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > service.AVATAR_MAX_BYTES:
            break
    await service.set_avatar(session, current[0], bytes(body))
    return Response(status_code=204)


@router.delete("/me/avatar", status_code=204, responses=responses(Unauthorized, Forbidden))
async def delete_avatar(current: CurrentUser, session: Session) -> Response:
    await service.remove_avatar(session, current[0])
    return Response(status_code=204)


@router.get("/me/avatar", response_class=Response, responses=responses(Unauthorized, NotFound))
async def my_avatar(current: CurrentUser, session: Session) -> Response:
    avatar = await AccountRepository(session).avatar(current[0].id)
    if avatar is None:
        raise NotFound("You have no picture yet.")
    return Response(avatar.png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post(
    "/password-reset",
    status_code=202,
    responses=responses(Unprocessable, TooManyRequests),
)
async def request_password_reset(
    payload: ResetRequestIn, request: Request, session: Session, settings: AppSettings
) -> dict[str, str]:
    """"Forgot password": if the address has an account, a one-time link is mailed. The
    answer is the same either way."""
    limits = sangdam(request).limits
    await limits.account_action(limits.address(request))
    if await limits.reset_email(payload.email):
        await service.request_password_reset(
            session,
            payload.email,
            base_url=settings.base_url,
            email_sending=settings.email.sending,
        )
    return {
        "message": "If this address has a Sangdam account, a link to set a new password is on "
        f"its way. It works once, for {service.RESET_MINUTES} minutes."
    }


@router.post(
    "/password-reset/{secret}",
    status_code=204,
    responses=responses(BadRequest, Unprocessable, TooManyRequests),
)
async def reset_password(
    secret: Verbatim, payload: ResetIn, request: Request, session: Session
) -> Response:
    """Set a new password with a reset link; every session of the account ends."""
    limits = sangdam(request).limits
    await limits.account_action(limits.address(request))
    await service.reset_password(session, secret, payload.password)
    return Response(status_code=204)
