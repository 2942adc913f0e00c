"""Forgot password: a one-time, expiring link by email, and nothing that tells who has an account."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from sqlalchemy import update

from sangdam.accounts.models import PasswordReset
from tests.fixtures.factories import PASSWORD, World, agent_socket
from tests.fixtures.smtp import Mail, mail
from tests.realtime.test_credentials import signed_out

__all__ = ["mail"]
NEW = "green otter violin dusk"
LINK = re.compile(r"https?://\S+/reset-password/(sdr_[\w-]+)")


async def _ask(world: World, email: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=world.server.base_url) as browser:
        return await browser.post("/api/v1/password-reset", json={"email": email})


def _secrets(mail: Mail, to: str) -> list[str]:
    return [
        match.group(1)
        for message in mail.sink.mails
        if message["To"] == to
        for match in [LINK.search(message.get_content())]
        if match
    ]


async def test_a_reset_link_sets_a_new_password_once_and_signs_out_everywhere(
    world: World, mail: Mail
) -> None:
    email = world.emails[world.agent.id]
    old_session = await world.login(world.agent)
    sock = await agent_socket(world, old_session)
    await sock.until_ready()

    known = await _ask(world, email.upper())
    unknown = await _ask(world, "nobody-here@example.com")
    # The same answer either way: the form tells nobody who has an account.
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    await mail.run_jobs()
    [secret] = _secrets(mail, email)
    assert not _secrets(mail, "nobody-here@example.com")

    async with httpx.AsyncClient(base_url=world.server.base_url) as browser:
        page = await browser.get(f"/reset-password/{secret}?lang=en")
        assert page.status_code == 200 and "reset-form" in page.text
        weak = await browser.post(
            f"/api/v1/password-reset/{secret}", json={"password": "password1"}
        )
        assert weak.status_code == 400 and weak.json()["code"] == "weak_password"
        # A refused password doesn't spend the link.
        done = await browser.post(f"/api/v1/password-reset/{secret}", json={"password": NEW})
        assert done.status_code == 204
        again = await browser.post(
            f"/api/v1/password-reset/{secret}", json={"password": "another fresh passphrase"}
        )
        assert again.status_code == 400 and again.json()["code"] == "reset_invalid"
        assert (
            await browser.post("/api/v1/login", json={"email": email, "password": PASSWORD})
        ).status_code == 401
        assert (
            await browser.post("/api/v1/login", json={"email": email, "password": NEW})
        ).status_code == 200
    # Whoever was signed in with the old password is out, open inbox included.
    assert (await old_session.client.get("/api/v1/me")).status_code == 401
    await signed_out(sock)


async def test_an_old_link_dies_when_a_new_one_is_sent_and_links_expire(
    world: World, mail: Mail
) -> None:
    email = world.emails[world.owner.id]
    await _ask(world, email)
    await _ask(world, email)
    await mail.run_jobs()
    first, second = _secrets(mail, email)
    async with httpx.AsyncClient(base_url=world.server.base_url) as browser:
        stale = await browser.post(f"/api/v1/password-reset/{first}", json={"password": NEW})
        assert stale.status_code == 400
        async with world.server.db.transaction() as session:
            await session.execute(
                update(PasswordReset).values(
                    expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
                )
            )
        expired = await browser.post(f"/api/v1/password-reset/{second}", json={"password": NEW})
        assert expired.status_code == 400 and expired.json()["code"] == "reset_invalid"


async def test_the_form_cannot_flood_someones_mailbox(world: World, mail: Mail) -> None:
    email = world.emails[world.agent.id]
    for _ in range(6):
        assert (await _ask(world, email)).status_code == 202
    await mail.run_jobs()
    assert len(_secrets(mail, email)) == 3
