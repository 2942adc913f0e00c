"""A workspace's members and invitations; accepting an invitation (public, by its link)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sangdam.accounts.models import User
from sangdam.accounts.repository import AccountRepository
from sangdam.auth.dependencies import (
    AppSettings,
    CurrentAgent,
    Session,
    sangdam,
    sign_in,
    signed_in_user,
)
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id, Verbatim
from sangdam.members import service
from sangdam.members.repository import MemberRepository
from sangdam.members.schemas import (
    AcceptedOut,
    AcceptIn,
    DeactivatedOut,
    InvitationIn,
    InvitationOut,
    InvitationPreview,
    InvitationSent,
    MemberOut,
    RoleIn,
)
from sangdam.workspaces.models import Agent, Role

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["members"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)
public_router = APIRouter(prefix="/api/v1/invitations", tags=["members"])


def _member(agent: Agent, user: User, has_avatar: bool) -> MemberOut:
    return MemberOut(
        id=agent.id,
        user_id=user.id,
        name=agent.display_name,
        email=user.email,
        role=Role(agent.role),
        active=agent.active,
        deactivated_at=agent.deactivated_at,
        joined_at=agent.created_at,
        has_avatar=has_avatar,
    )


def _sent(sent: service.SentInvitation) -> InvitationSent:
    return InvitationSent(
        **InvitationOut.model_validate(sent.invitation).model_dump(),
        link=sent.link,
        emailed=sent.emailed,
    )


@router.get("/members", response_model=list[MemberOut])
async def list_members(context: CurrentAgent, session: Session) -> list[MemberOut]:
    """Everyone in the workspace, deactivated members included (marked)."""
    rows = await MemberRepository(session, context.workspace_id).members()
    return [_member(agent, user, has_avatar) for agent, user, has_avatar in rows]


@router.patch("/members/{agent_id}", response_model=MemberOut, responses=responses(Conflict))
async def change_role(
    context: CurrentAgent, session: Session, agent_id: Id, payload: RoleIn
) -> MemberOut:
    await service.change_role(session, context.workspace_id, context.agent, agent_id, payload.role)
    return await _one(session, context.workspace_id, agent_id)


@router.post(
    "/members/{agent_id}/deactivate", response_model=DeactivatedOut, responses=responses(Conflict)
)
async def deactivate(context: CurrentAgent, session: Session, agent_id: Id) -> DeactivatedOut:
    """Their access ends at once (pages, API, open inbox sockets, their API tokens), and
    their open conversations go back to the queue."""
    done = await service.deactivate(session, context.workspace_id, context.agent, agent_id)
    return DeactivatedOut(
        member=await _one(session, context.workspace_id, agent_id), requeued=done.requeued
    )


@router.post("/members/{agent_id}/reactivate", response_model=MemberOut)
async def reactivate(context: CurrentAgent, session: Session, agent_id: Id) -> MemberOut:
    await service.reactivate(session, context.workspace_id, context.agent, agent_id)
    return await _one(session, context.workspace_id, agent_id)


async def _one(session: Session, workspace_id: int, agent_id: int) -> MemberOut:
    agent, user = await MemberRepository(session, workspace_id).member(agent_id)
    return _member(agent, user, await AccountRepository(session).avatar(user.id) is not None)


@router.get("/members/{agent_id}/avatar", response_class=Response)
async def member_avatar(context: CurrentAgent, session: Session, agent_id: Id) -> Response:
    """A member's picture (PNG), for their teammates only."""
    _agent, user = await MemberRepository(session, context.workspace_id).member(agent_id)
    avatar = await AccountRepository(session).avatar(user.id)
    if avatar is None:
        raise NotFound("This member has no picture.")
    return Response(
        avatar.png,
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=300", "Content-Disposition": "inline"},
    )


@router.get("/invitations", response_model=list[InvitationOut])
async def list_invitations(context: CurrentAgent, session: Session) -> list[InvitationOut]:
    service.require_manager(context.agent)
    rows = await MemberRepository(session, context.workspace_id).invitations()
    return [InvitationOut.model_validate(row) for row in rows]


@router.post(
    "/invitations",
    response_model=InvitationSent,
    status_code=201,
    responses=responses(BadRequest, Conflict),
)
async def invite(
    context: CurrentAgent, session: Session, payload: InvitationIn, settings: AppSettings
) -> InvitationSent:
    """Invite someone by email; the answer carries the one-time link (mailed too when
    Sangdam has a mail server)."""
    sent = await service.invite(
        session,
        context.workspace_id,
        context.agent,
        email=payload.email,
        role=payload.role,
        base_url=settings.base_url,
        email_sending=settings.email.sending,
    )
    return _sent(sent)


@router.post(
    "/invitations/{invitation_id}/resend",
    response_model=InvitationSent,
    responses=responses(Conflict, TooManyRequests),
)
async def resend(
    context: CurrentAgent, session: Session, invitation_id: Id, settings: AppSettings
) -> InvitationSent:
    """A new link (the old one stops working), a new week before it expires."""
    sent = await service.resend(
        session,
        context.workspace_id,
        context.agent,
        invitation_id,
        base_url=settings.base_url,
        email_sending=settings.email.sending,
    )
    return _sent(sent)


@router.delete("/invitations/{invitation_id}", status_code=204, responses=responses(Conflict))
async def revoke(context: CurrentAgent, session: Session, invitation_id: Id) -> Response:
    await service.revoke(session, context.workspace_id, context.agent, invitation_id)
    return Response(status_code=204)


# ---- the invitation link (no sign-in needed) --------------------------------------------

_LINK_ERRORS = responses(NotFound, Conflict, TooManyRequests, Unprocessable)


@public_router.get("/{secret}", response_model=InvitationPreview, responses=_LINK_ERRORS)
async def preview(request: Request, session: Session, secret: Verbatim) -> InvitationPreview:
    await sangdam(request).limits.account_action(sangdam(request).limits.address(request))
    invitation, workspace = await service.open_invitation(session, secret)
    user = await AccountRepository(session).user_by_email(invitation.email)
    return InvitationPreview(
        workspace_name=workspace.name,
        email=invitation.email,
        role=Role(invitation.role),
        has_account=user is not None,
        expires_at=invitation.expires_at,
    )


@public_router.post(
    "/{secret}/accept",
    response_model=AcceptedOut,
    responses=responses(BadRequest, Forbidden, NotFound, Conflict, TooManyRequests, Unprocessable),
)
async def accept(
    request: Request, response: Response, session: Session, secret: Verbatim, payload: AcceptIn
) -> AcceptedOut:
    """Join the workspace (a new account with this name and password, or the existing
    account of the invited address, signed in in this browser);
    this browser is signed in as that account afterwards."""
    limits = sangdam(request).limits
    await limits.account_action(limits.address(request))
    user, agent = await service.accept(
        session,
        secret,
        name=payload.name,
        password=payload.password,
        signed_in=await signed_in_user(request, session),
    )
    await sign_in(request, response, session, user)
    return AcceptedOut(workspace_id=agent.workspace_id, agent_id=agent.id)
