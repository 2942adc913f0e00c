"""Messenger channels: connecting one (admins), and the webhook the platform calls."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request

from sangdam.auth.dependencies import (
    AgentContext,
    AppSettings,
    CurrentAgent,
    Session,
    checks_credentials,
    require_csrf,
    resolve_agent,
    sangdam,
)
from sangdam.channels import service
from sangdam.channels.models import ChannelAccount
from sangdam.channels.schemas import ChannelCheckOut, ChannelIn, ChannelOut
from sangdam.config import Settings
from sangdam.inboxes.models import Inbox
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
from sangdam.kit.input import Id, Verbatim
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["channels"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)
webhook_router = APIRouter(tags=["channels"])


def _out(settings: Settings, account: ChannelAccount, inbox: Inbox) -> ChannelOut:
    return ChannelOut(
        id=account.id,
        inbox_id=inbox.id,
        kind=account.kind,
        name=inbox.name,
        webhook_url=service.webhook_url(settings, account),
        webhook_secret=service.webhook_secret(settings, account),
        created_at=account.created_at,
    )


@router.post(
    "/channels", response_model=ChannelOut, status_code=201, responses=responses(BadRequest)
)
async def create_channel(
    context: CurrentAgent, session: Session, payload: ChannelIn, settings: AppSettings
) -> ChannelOut:
    """Connect a Telegram bot or a LINE official account; the answer has its webhook URL."""
    require_admin(context.role)
    account, inbox = await service.create_channel(
        session, settings, context.workspace_id, payload.kind, payload.name, payload.credentials()
    )
    return _out(settings, account, inbox)


@router.get("/channels", response_model=list[ChannelOut])
async def list_channels(
    context: CurrentAgent, session: Session, settings: AppSettings
) -> list[ChannelOut]:
    require_admin(context.role)
    rows = await service.list_channels(session, context.workspace_id)
    return [_out(settings, account, inbox) for account, inbox in rows]


@checks_credentials("agent")
async def _agent_without_transaction(request: Request, workspace_id: Id) -> AgentContext:
    """The agent, checked in a short read: the endpoint then calls out holding no lock."""
    async with sangdam(request).db.read() as session:
        context = await resolve_agent(request, session, workspace_id)
    require_csrf(request, context.web_session)
    return context


AgentOutsideTransaction = Annotated[AgentContext, Depends(_agent_without_transaction)]


@router.post("/channels/{channel_id}/connect", response_model=ChannelCheckOut)
async def connect_channel(
    context: AgentOutsideTransaction, request: Request, channel_id: Id
) -> ChannelCheckOut:
    """Test the credentials and point the platform's webhook at Sangdam (Telegram
    ``setWebhook``, LINE's webhook endpoint); says what went wrong if it did not work."""
    require_admin(context.role)
    app = sangdam(request)
    return await service.connect_channel(app.db, app.settings, context.workspace_id, channel_id)


@webhook_router.post(
    "/api/channels/v1/{kind}/{webhook_key}",
    responses=responses(
        BadRequest, Unauthorized, NotFound, PayloadTooLarge, Unprocessable, TooManyRequests
    ),
)
async def webhook(
    request: Request,
    session: Session,
    settings: AppSettings,
    kind: Literal["telegram", "line"],
    webhook_key: Annotated[Verbatim, Path(max_length=64)],
) -> dict[str, bool]:
    """Where Telegram and LINE deliver; answered once the events are stored (a job makes
    them messages), so the platform never waits on Sangdam's work."""
    limits = sangdam(request).limits
    await limits.webhook(limits.address(request), webhook_key)
    limit = settings.channels.max_webhook_bytes
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLarge(
                "The webhook body is larger than {limit} KB.", values={"limit": limit // 1024}
            )
    headers = {name.lower(): value for name, value in request.headers.items()}
    await service.accept_webhook(session, settings, kind, webhook_key, headers, bytes(body))
    return {"ok": True}
