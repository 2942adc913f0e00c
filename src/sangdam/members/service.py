"""The people of a workspace: invitations, roles, deactivation.

Who may do what (docs/accounts.md has the table):

* owners: everything, including making owners; the last active owner can't be
  demoted or deactivated (a workspace always has someone who can run it);
* admins: invite agents and admins, change their roles, deactivate and reactivate
  them; never touch an owner;
* agents: none of this.

An invitation is a one-time link that expires; resending makes a new link (the old
one stops working) and revoking kills it. Accepting it creates the account (name and
password) or, for an email that already has one, adds the membership to it once its
owner is signed in.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import User
from sangdam.accounts.repository import AccountRepository
from sangdam.accounts.service import create_user, normalise_email
from sangdam.db import utcnow
from sangdam.events.service import credentials_ended
from sangdam.jobs.service import enqueue
from sangdam.kit.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests
from sangdam.kit.secrets import hash_token, new_token
from sangdam.members.models import Invitation
from sangdam.members.repository import MemberRepository, invitation_by_token_hash
from sangdam.routing import service as routing
from sangdam.routing.models import Availability
from sangdam.routing.repository import RoutingRepository
from sangdam.workspaces.models import Agent, Role, Workspace
from sangdam.workspaces.service import ADMIN_ROLES, add_agent

log = logging.getLogger(__name__)

INVITATION_EMAIL = "members.invitation_email"
# A week: long enough for someone on holiday, short enough that a forwarded link dies.
INVITATION_DAYS = 7
# Resending is for "I can't find the email", not for flooding someone's inbox.
RESEND_SECONDS = 60


def invitation_link(base_url: str, secret: str) -> str:
    return f"{base_url}/invite/{secret}"


def require_manager(actor: Agent) -> None:
    if actor.role not in ADMIN_ROLES:
        raise Forbidden("Only an owner or admin of this workspace can manage its members.")


def _may_grant(actor: Agent, role: Role) -> None:
    """An admin gives the roles up to admin; only an owner makes owners."""
    if role == Role.OWNER and actor.role != Role.OWNER.value:
        raise Forbidden("Only an owner can make someone an owner.")


def _may_manage(actor: Agent, target: Agent) -> None:
    if target.role == Role.OWNER.value and actor.role != Role.OWNER.value:
        raise Forbidden("Only an owner can change another owner.")


@dataclass
class SentInvitation:
    invitation: Invitation
    # The link itself, shown once to the admin who sent it (to pass on by hand when
    # Sangdam has no mail server), and mailed when it has one.
    link: str
    emailed: bool


def _issue(invitation: Invitation, base_url: str) -> str:
    secret = new_token("sdi")
    invitation.token_hash = hash_token(secret)
    invitation.expires_at = utcnow() + dt.timedelta(days=INVITATION_DAYS)
    return invitation_link(base_url, secret)


def _mail(
    session: AsyncSession, invitation: Invitation, link: str, inviter: Agent, email_sending: bool
) -> bool:
    if not email_sending:
        return False
    enqueue(
        session,
        INVITATION_EMAIL,
        {
            "invitation_id": invitation.id,
            "inviter": inviter.display_name,
            # Lives only until the job ends (jobs.service.without_secrets).
            "secret_link": link,
        },
        workspace_id=invitation.workspace_id,
    )
    return True


async def invite(
    session: AsyncSession,
    workspace_id: int,
    actor: Agent,
    *,
    email: str,
    role: Role,
    base_url: str,
    email_sending: bool,
) -> SentInvitation:
    require_manager(actor)
    _may_grant(actor, role)
    email = normalise_email(email)
    repository = MemberRepository(session, workspace_id)
    member = await repository.member_by_email(email)
    if member is not None:
        if member.active:
            raise Conflict(
                "{email} is already a member of this workspace.",
                code="member",
                values={"email": email},
            )
        raise Conflict(
            "{email} was a member here and is deactivated: reactivate them in the member "
            "list instead of inviting again.",
            code="deactivated_member",
            values={"email": email},
        )
    invitation = await repository.pending_for(email)
    if invitation is not None:
        # One open invitation per address: inviting again refreshes it.
        invitation.role = role.value
        invitation.send_count += 1
        invitation.sent_at = utcnow()
        invitation.invited_by_agent_id = actor.id
    else:
        invitation = Invitation(
            email=email, role=role.value, invited_by_agent_id=actor.id, send_count=1
        )
        repository.add(invitation)
    link = _issue(invitation, base_url)
    await session.flush()
    return SentInvitation(invitation, link, _mail(session, invitation, link, actor, email_sending))


async def resend(
    session: AsyncSession,
    workspace_id: int,
    actor: Agent,
    invitation_id: int,
    *,
    base_url: str,
    email_sending: bool,
) -> SentInvitation:
    require_manager(actor)
    invitation = await MemberRepository(session, workspace_id).invitation(
        invitation_id, for_update=True
    )
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict(
            "This invitation was already accepted or revoked; send a new one instead.",
            code="invitation_closed",
        )
    _may_grant(actor, Role(invitation.role))
    waited = (utcnow() - invitation.sent_at).total_seconds()
    if waited < RESEND_SECONDS:
        raise TooManyRequests(
            "The invitation was sent a moment ago. Wait a minute before sending it again.",
            retry_after=max(1, int(RESEND_SECONDS - waited)),
        )
    invitation.send_count += 1
    invitation.sent_at = utcnow()
    link = _issue(invitation, base_url)
    return SentInvitation(invitation, link, _mail(session, invitation, link, actor, email_sending))


async def revoke(
    session: AsyncSession, workspace_id: int, actor: Agent, invitation_id: int
) -> None:
    require_manager(actor)
    invitation = await MemberRepository(session, workspace_id).invitation(
        invitation_id, for_update=True
    )
    if invitation.accepted_at is not None:
        raise Conflict(
            "This invitation was accepted already; deactivate the member instead.",
            code="invitation_closed",
        )
    _may_grant(actor, Role(invitation.role))
    invitation.revoked_at = invitation.revoked_at or utcnow()


async def open_invitation(session: AsyncSession, secret: str) -> tuple[Invitation, Workspace]:
    """The invitation a link names, if it can still be accepted; else a clear refusal."""
    invitation = await invitation_by_token_hash(session, hash_token(secret))
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound(
            "This invitation link is not valid (it may have been revoked or replaced by a "
            "newer one). Ask the person who invited you to send it again.",
            code="invitation_invalid",
        )
    if invitation.accepted_at is not None:
        raise Conflict(
            "This invitation was used already. Sign in with the account that accepted it.",
            code="invitation_used",
        )
    if invitation.expires_at <= utcnow():
        raise Conflict(
            "This invitation has expired. Ask the person who invited you to send it again.",
            code="invitation_expired",
        )
    workspace = await session.get(Workspace, invitation.workspace_id)
    assert workspace is not None
    return invitation, workspace


async def accept(
    session: AsyncSession,
    secret: str,
    *,
    name: str | None,
    password: str | None,
    signed_in: User | None,
) -> tuple[User, Agent]:
    """Join the workspace; the new account (or the signed-in existing one) is returned."""
    invitation, workspace = await open_invitation(session, secret)
    accounts = AccountRepository(session)
    user = await accounts.user_by_email(invitation.email)
    if user is None:
        if not name or not name.strip():
            raise BadRequest("Tell your teammates your name.", code="name_required")
        if not password:
            raise BadRequest("Choose a password for your account.", code="password_required")
        user = await create_user(
            session,
            email=invitation.email,
            name=name,
            password=password,
            locale=workspace.default_locale,
        )
    elif signed_in is None or signed_in.id != user.id:
        # The address has an account already: only its owner, signed in, may add it to a
        # workspace. (Not by typing its password here: that would let whoever can invite
        # an address guess its password outside the sign-in limits.)
        raise Forbidden(
            "{email} already has a Sangdam account: sign in with it, then open this link again.",
            code="sign_in_first",
            values={"email": invitation.email},
        )
    repository = MemberRepository(session, invitation.workspace_id)
    existing = await repository.member_by_email(invitation.email)
    if existing is not None:
        raise Conflict(
            "{email} is already a member of this workspace.", values={"email": invitation.email}
        )
    agent = await add_agent(session, invitation.workspace_id, user, role=Role(invitation.role))
    invitation.accepted_at = utcnow()
    invitation.accepted_by_user_id = user.id
    return user, agent


# ---- roles and deactivation -------------------------------------------------------------


async def change_role(
    session: AsyncSession, workspace_id: int, actor: Agent, agent_id: int, role: Role
) -> Agent:
    require_manager(actor)
    repository = MemberRepository(session, workspace_id)
    target, _user = await repository.member(agent_id)
    _may_manage(actor, target)
    _may_grant(actor, role)
    if target.role == role.value:
        return target
    last_owner = target.role == Role.OWNER.value and target.active
    if last_owner and await repository.active_owner_count() <= 1:
        raise Conflict(
            "A workspace needs an owner: make someone else an owner first.", code="last_owner"
        )
    target.role = role.value
    return target


@dataclass
class Deactivated:
    agent: Agent
    user: User
    # Open conversations that went back to their queue.
    requeued: int


async def deactivate(
    session: AsyncSession, workspace_id: int, actor: Agent, agent_id: int
) -> Deactivated:
    """Turn a member's access off at once: REST, sockets and their API tokens stop working,
    they leave every assignment, and their open conversations go back to the queue."""
    require_manager(actor)
    repository = MemberRepository(session, workspace_id)
    target, user = await repository.member(agent_id)
    if target.id == actor.id:
        raise Conflict("You can't deactivate yourself; ask another admin or owner.", code="self")
    _may_manage(actor, target)
    if not target.active:
        return Deactivated(target, user, 0)
    if target.role == Role.OWNER.value and await repository.active_owner_count() <= 1:
        raise Conflict("A workspace needs an owner: the last one can't be deactivated.")
    now = utcnow()
    target.deactivated_at = now
    target.availability = Availability.OFFLINE.value
    for token in await repository.tokens_made_by(target.id):
        token.revoked_at = now
    # Once committed, every process re-checks (and closes) this member's open sockets.
    credentials_ended(session, agent_id=target.id)
    why = routing.because("deactivated", name=target.display_name)
    conversations = await RoutingRepository(session, workspace_id).assigned_open(target.id)
    for conversation in conversations:
        await routing.requeue(session, conversation, reason=why)
    for team in await RoutingRepository(session, workspace_id).teams_of(target.id):
        if team.auto_assign:
            await routing.assign_waiting(session, workspace_id, team.id)
    return Deactivated(target, user, len(conversations))


async def reactivate(
    session: AsyncSession, workspace_id: int, actor: Agent, agent_id: int
) -> Agent:
    require_manager(actor)
    target, _user = await MemberRepository(session, workspace_id).member(agent_id)
    _may_manage(actor, target)
    target.deactivated_at = None
    return target
