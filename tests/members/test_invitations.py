"""Inviting people: one-time links that expire, resend, revoke, accept; by email too."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select, update

from sangdam.jobs.models import Job
from sangdam.members.models import Invitation
from sangdam.members.service import INVITATION_EMAIL
from tests.fixtures.factories import PASSWORD, World
from tests.fixtures.smtp import Mail

NEW_PASSWORD = "violet harbour tram seventeen"


def _secret(link: str) -> str:
    return link.rsplit("/", 1)[1]


async def _invite(world: World, email: str, role: str = "agent") -> dict:  # type: ignore[type-arg]
    login = await world.login()
    response = await login.client.post(
        f"{world.base}/invitations", json={"email": email, "role": role}, headers=login.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_invited_person_creates_their_account_and_lands_in_the_workspace(
    world: World,
) -> None:
    sent = await _invite(world, "Seoyeon.Park@Example.com")
    # No mail server here: the admin gets the link to pass on, and is told so.
    assert sent["emailed"] is False
    assert sent["email"] == "seoyeon.park@example.com"
    secret = _secret(sent["link"])
    async with httpx.AsyncClient(base_url=world.server.base_url) as browser:
        preview = await browser.get(f"/api/v1/invitations/{secret}")
        assert preview.status_code == 200
        assert preview.json()["workspace_name"] == world.workspace.name
        assert preview.json()["has_account"] is False
        # The page shows the same.
        page = await browser.get(f"/invite/{secret}?lang=en")
        assert world.workspace.name in page.text and "accept-form" in page.text

        weak = await browser.post(
            f"/api/v1/invitations/{secret}/accept", json={"name": "박서연", "password": "12345678"}
        )
        assert weak.status_code == 400 and weak.json()["code"] == "weak_password"
        nameless = await browser.post(
            f"/api/v1/invitations/{secret}/accept", json={"name": " ", "password": NEW_PASSWORD}
        )
        assert nameless.status_code == 400
        accepted = await browser.post(
            f"/api/v1/invitations/{secret}/accept",
            json={"name": "박서연", "password": NEW_PASSWORD},
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["workspace_id"] == world.workspace.id
        # Signed in straight away, as an agent of this workspace.
        me = (await browser.get("/api/v1/me")).json()
        assert me["email"] == "seoyeon.park@example.com"
        assert [(m["workspace_id"], m["role"]) for m in me["workspaces"]] == [
            (world.workspace.id, "agent")
        ]
        inbox = await browser.get(f"/inbox/{world.workspace.id}")
        assert inbox.status_code == 200

    async with httpx.AsyncClient(base_url=world.server.base_url) as stranger:
        # The link works once.
        again = await stranger.post(
            f"/api/v1/invitations/{secret}/accept",
            json={"name": "someone else", "password": "another violet harbour"},
        )
        assert again.status_code == 409 and again.json()["code"] == "invitation_used"
        # And the new account signs in with its password.
        login = await stranger.post(
            "/api/v1/login", json={"email": "seoyeon.park@example.com", "password": NEW_PASSWORD}
        )
        assert login.status_code == 200


async def test_resending_kills_the_old_link_and_revoking_kills_the_new(world: World) -> None:
    sent = await _invite(world, "late@example.com")
    login = await world.login()
    too_soon = await login.client.post(
        f"{world.base}/invitations/{sent['id']}/resend", headers=login.headers()
    )
    assert too_soon.status_code == 429 and "retry-after" in too_soon.headers
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.id == sent["id"])
            .values(sent_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        )
    resent = await login.client.post(
        f"{world.base}/invitations/{sent['id']}/resend", headers=login.headers()
    )
    assert resent.status_code == 200
    assert resent.json()["send_count"] == 2
    async with httpx.AsyncClient(base_url=world.server.base_url) as browser:
        old = await browser.get(f"/api/v1/invitations/{_secret(sent['link'])}")
        assert old.status_code == 404 and old.json()["code"] == "invitation_invalid"
        new = await browser.get(f"/api/v1/invitations/{_secret(resent.json()['link'])}")
        assert new.status_code == 200
        revoked = await login.client.delete(
            f"{world.base}/invitations/{sent['id']}", headers=login.headers()
        )
        assert revoked.status_code == 204
        dead = await browser.post(
            f"/api/v1/invitations/{_secret(resent.json()['link'])}/accept",
            json={"name": "Late", "password": NEW_PASSWORD},
        )
        assert dead.status_code == 404
    listed = (await login.client.get(f"{world.base}/invitations")).json()
    assert sent["id"] not in [i["id"] for i in listed]


async def test_an_expired_link_is_refused_with_a_reason(world: World) -> None:
    sent = await _invite(world, "slow@example.com")
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.id == sent["id"])
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    async with httpx.AsyncClient(base_url=world.server.base_url) as browser:
        refused = await browser.post(
            f"/api/v1/invitations/{_secret(sent['link'])}/accept",
            json={"name": "Slow", "password": NEW_PASSWORD},
        )
        assert refused.status_code == 409 and refused.json()["code"] == "invitation_expired"
        page = await browser.get(f"/invite/{_secret(sent['link'])}?lang=ko")
        assert page.status_code == 409 and "accept-form" not in page.text
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        nobody = await client.post(
            "/api/v1/login", json={"email": "slow@example.com", "password": NEW_PASSWORD}
        )
        assert nobody.status_code == 401


async def test_someone_with_an_account_joins_by_signing_in_not_by_typing_its_password(
    world: World, other_world: World
) -> None:
    """An admin who invites an existing address must not get a way to guess its password."""
    existing = other_world.emails[other_world.owner.id]
    sent = await _invite(world, existing, role="admin")
    secret = _secret(sent["link"])
    async with httpx.AsyncClient(base_url=world.server.base_url) as browser:
        assert (await browser.get(f"/api/v1/invitations/{secret}")).json()["has_account"] is True
        guessed = await browser.post(
            f"/api/v1/invitations/{secret}/accept", json={"password": PASSWORD}
        )
        assert guessed.status_code == 403 and guessed.json()["code"] == "sign_in_first"
    # Signed in as someone else: refused too.
    intruder = await world.login(world.agent)
    wrong = await intruder.client.post(
        f"/api/v1/invitations/{secret}/accept", json={}, headers=intruder.headers()
    )
    assert wrong.status_code == 403
    # Signed in as the invited person: one click.
    owner_elsewhere = await other_world.login(other_world.owner)
    joined = await owner_elsewhere.client.post(
        f"/api/v1/invitations/{secret}/accept", json={}, headers=owner_elsewhere.headers()
    )
    assert joined.status_code == 200, joined.text
    me = (await owner_elsewhere.client.get("/api/v1/me")).json()
    assert sorted((m["workspace_id"], m["role"]) for m in me["workspaces"]) == sorted(
        [(other_world.workspace.id, "owner"), (world.workspace.id, "admin")]
    )


async def test_who_may_invite_whom(world: World) -> None:
    agent = await world.login(world.agent)
    refused = await agent.client.post(
        f"{world.base}/invitations",
        json={"email": "friend@example.com"},
        headers=agent.headers(),
    )
    assert refused.status_code == 403
    assert (await agent.client.get(f"{world.base}/invitations")).status_code == 403
    owner = await world.login()
    # A member can't be invited again; an unknown role is refused at the edge.
    member = await owner.client.post(
        f"{world.base}/invitations",
        json={"email": world.emails[world.agent.id]},
        headers=owner.headers(),
    )
    assert member.status_code == 409 and member.json()["code"] == "member"
    boss = await owner.client.post(
        f"{world.base}/invitations",
        json={"email": "boss@example.com", "role": "boss"},
        headers=owner.headers(),
    )
    assert boss.status_code == 422
    # An admin invites agents and admins, never owners.
    promoted = await owner.client.patch(
        f"{world.base}/members/{world.agent.id}", json={"role": "admin"}, headers=owner.headers()
    )
    assert promoted.status_code == 200
    admin = await world.login(world.agent)
    as_admin = await admin.client.post(
        f"{world.base}/invitations",
        json={"email": "teammate@example.com", "role": "admin"},
        headers=admin.headers(),
    )
    assert as_admin.status_code == 201
    owner_by_admin = await admin.client.post(
        f"{world.base}/invitations",
        json={"email": "co-owner@example.com", "role": "owner"},
        headers=admin.headers(),
    )
    assert owner_by_admin.status_code == 403


async def test_the_invitation_email_carries_the_link_and_the_queue_forgets_it(
    world: World, mail: Mail
) -> None:
    sent = await _invite(world, "mailed@example.com")
    assert sent["emailed"] is True
    assert await mail.run_jobs() >= 1
    [message] = [m for m in mail.sink.mails if m["To"] == "mailed@example.com"]
    assert world.workspace.name in str(message["Subject"])
    assert sent["link"] in message.get_content()
    # The finished job keeps no copy of the link's secret.
    async with world.server.db.read() as session:
        jobs = (
            (await session.execute(select(Job).where(Job.kind == INVITATION_EMAIL))).scalars().all()
        )
    mine = [job for job in jobs if job.payload.get("invitation_id") == sent["id"]]
    assert mine and all("secret_link" not in job.payload for job in mine)
    assert all(_secret(sent["link"]) not in str(job.payload) for job in mine)
