"""The workspace's email inbox: the address where new conversations by email come in."""

from __future__ import annotations

from fastapi import APIRouter

from sangdam.auth.dependencies import AppSettings, CurrentAgent, Session
from sangdam.email import service
from sangdam.email.schemas import EmailInboxIn, EmailInboxOut
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["email"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)


@router.get("/email-inbox", response_model=EmailInboxOut | None)
async def get_email_inbox(context: CurrentAgent, session: Session) -> EmailInboxOut | None:
    inbox = await service.workspace_email_inbox(session, context.workspace_id)
    if inbox is None:
        return None
    return EmailInboxOut(id=inbox.id, name=inbox.name, address=inbox.config["address"])


@router.put("/email-inbox", response_model=EmailInboxOut, responses=responses(BadRequest, Conflict))
async def set_email_inbox(
    context: CurrentAgent, session: Session, payload: EmailInboxIn, settings: AppSettings
) -> EmailInboxOut:
    """Create or change the email inbox; an address another workspace uses is refused."""
    require_admin(context.role)
    inbox = await service.set_email_inbox(
        session, settings.email, context.workspace_id, payload.address, payload.name
    )
    return EmailInboxOut(id=inbox.id, name=inbox.name, address=inbox.config["address"])
