"""Outgoing mail survives a mail server that is down: retried with backoff, delivered once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from sangdam.jobs.models import Job
from sangdam.jobs.service import run_one
from tests.email.conftest import Mail
from tests.email.test_threading import LUNCH_BREAK, OURS, offline_conversation
from tests.fixtures.factories import World
from tests.fixtures.smtp import MailSink


async def _reply_jobs(world: World) -> list[Job]:
    async with world.server.db.read() as session:
        stmt = select(Job).where(Job.workspace_id == world.workspace.id, Job.kind == "email.reply")
        return list((await session.execute(stmt)).scalars())


async def test_mail_server_down_then_up_delivers_exactly_once(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    login, _visitor, started = await offline_conversation(
        world, monkeypatch, LUNCH_BREAK, "메일 서버가 꺼져 있을 때", "retry@example.com"
    )
    conversation_id = started["conversation"]["id"]
    await mail.run_jobs()  # the admins' notice
    await mail.sink.stop()  # now the mail server is down
    mail.sink.received.clear()

    sent = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "서버가 돌아오면 받으실 답장입니다."},
        headers=login.headers(),
    )
    assert sent.status_code == 201
    assert await run_one(world.server.db)
    (job,) = await _reply_jobs(world)
    assert job.status == "pending" and job.attempts == 1 and job.last_error
    assert job.run_at > dt.datetime.now(dt.UTC)  # backing off
    assert not await run_one(world.server.db)  # not due yet

    sink = await MailSink(mail.sink.port).start()
    try:
        async with world.server.db.transaction() as session:  # don't wait out the backoff
            await session.execute(
                update(Job).where(Job.id == job.id).values(run_at=dt.datetime.now(dt.UTC))
            )
        assert await run_one(world.server.db)
        assert not await run_one(world.server.db)
    finally:
        await sink.stop()
    (job,) = await _reply_jobs(world)
    assert job.status == "done" and job.attempts == 2
    (delivered,) = sink.mails
    assert "서버가 돌아오면" in delivered.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    match = OURS.fullmatch(str(delivered["Message-ID"]))
    assert match and match.group(2) == str(sent.json()["id"])
