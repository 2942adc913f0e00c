"""Slack notifications go through durable jobs: a receiver that is down loses nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from sqlalchemy import select, update

from sangdam.jobs.models import Job
from sangdam.jobs.service import run_one
from tests.fixtures.factories import World, new_client_id
from tests.fixtures.http_stub import HttpStub, Reply
from tests.fixtures.jobs import driving_jobs
from tests.fixtures.server import free_port


class SlackStub:
    """A local server that answers like Slack's incoming webhooks ("ok")."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[dict[str, Any]] = []
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        self.received.append(json.loads(await reader.readexactly(length)))
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        )
        await writer.drain()
        writer.close()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def _general(login: Any, world: World) -> dict[str, Any]:
    teams = (await login.client.get(f"{world.base}/teams")).json()
    return next(t for t in teams if t["everyone"])


async def _jobs(world: World) -> list[Job]:
    async with world.server.db.read() as session:
        return list(
            (
                await session.execute(select(Job).where(Job.workspace_id == world.workspace.id))
            ).scalars()
        )


async def test_outgoing_urls_to_internal_addresses_are_refused(world: World) -> None:
    login = await world.login()
    general = await _general(login, world)
    for url in (
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:9/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.0.0.8/hook",
        "ftp://hooks.example/x",
    ):
        response = await login.client.put(
            f"{world.base}/teams/{general['id']}/slack", json={"url": url}, headers=login.headers()
        )
        assert response.status_code == 400, url
    assert (await _general(login, world)).get("slack") is None


async def test_slack_down_then_back_delivers_once(world: World) -> None:
    settings = world.server.settings.outbound
    settings.allow_private = True  # the stub listens on 127.0.0.1
    try:
        async with driving_jobs(world.server):  # this test drives the jobs itself
            await _slack_down_then_back(world)
    finally:
        settings.allow_private = False


async def _slack_down_then_back(world: World) -> None:
    login = await world.login()
    general = await _general(login, world)
    port = free_port()
    saved = await login.client.put(
        f"{world.base}/teams/{general['id']}/slack",
        json={"url": f"http://127.0.0.1:{port}/services/T0/B0/x"},
        headers=login.headers(),
    )
    assert saved.status_code == 200, saved.text

    visitor = await world.visitor()
    await visitor.start("슬랙 알림 테스트 문의")
    (job,) = await _jobs(world)
    assert job.kind == "slack.new_inquiry" and job.status == "pending"

    # Slack is down: the attempt fails and is scheduled again, with backoff.
    assert await run_one(world.server.db)
    (job,) = await _jobs(world)
    assert job.status == "pending" and job.attempts == 1 and job.last_error
    assert job.run_at > dt.datetime.now(dt.UTC)

    stub = SlackStub(port)
    await stub.start()
    try:
        async with world.server.db.transaction() as session:  # don't wait out the backoff
            await session.execute(
                update(Job).where(Job.id == job.id).values(run_at=dt.datetime.now(dt.UTC))
            )
        assert await run_one(world.server.db)
        assert not await run_one(world.server.db)  # nothing left: delivered exactly once
    finally:
        await stub.stop()
    (job,) = await _jobs(world)
    assert job.status == "done" and job.attempts == 2
    assert len(stub.received) == 1
    message = stub.received[0]
    assert "슬랙 알림 테스트 문의" in message["text"] and message["blocks"][0]["type"] == "section"
    # A second inquiry with Slack off enqueues nothing.
    off = await login.client.put(
        f"{world.base}/teams/{general['id']}/slack",
        content=b"null",
        headers={**login.headers(), "Content-Type": "application/json"},
    )
    assert off.status_code == 200, off.text
    await (await world.visitor()).start("조용히")
    assert len(await _jobs(world)) == 1


async def _slack_inquiry(world: World, url: str, first_words: str) -> tuple[Any, Job]:
    """A team posting new inquiries to ``url``, and the job of one inquiry."""
    login = await world.login()
    general = await _general(login, world)
    saved = await login.client.put(
        f"{world.base}/teams/{general['id']}/slack", json={"url": url}, headers=login.headers()
    )
    assert saved.status_code == 200, saved.text
    visitor = await world.visitor()
    await visitor.start(first_words)
    (job,) = await _jobs(world)
    return visitor, job


async def test_slack_answering_after_ten_seconds_is_posted_once(world: World) -> None:
    """Slack sometimes answers late; the post had arrived, so a retry would post it twice."""
    settings = world.server.settings.outbound
    settings.allow_private = True
    try:
        async with (
            driving_jobs(world.server),
            HttpStub(lambda request: Reply(200, "ok", content_type="text/plain", delay=11)) as stub,
        ):
            await _slack_inquiry(world, f"{stub.url}/services/T0/B0/slow", "느린 슬랙")
            assert await run_one(world.server.db)
            (job,) = await _jobs(world)
            assert job.status == "done" and job.attempts == 1, job.last_error
            assert not await run_one(world.server.db)
            assert len(stub.received) == 1
    finally:
        settings.allow_private = False


async def test_a_retried_slack_post_repeats_the_first_text(world: World) -> None:
    """When a post times out and is sent again, both say the same: a double reads as one
    inquiry, not as two different ones (the customer wrote again in between)."""
    settings = world.server.settings.outbound
    settings.allow_private = True
    timeout = settings.post_timeout_seconds
    settings.post_timeout_seconds = 0.5
    delays = [2.0, 0.0]
    try:
        async with (
            driving_jobs(world.server),
            HttpStub(
                lambda request: Reply(200, "ok", content_type="text/plain", delay=delays.pop(0))
            ) as stub,
        ):
            visitor, job = await _slack_inquiry(
                world, f"{stub.url}/services/T0/B0/x", "첫 문의 내용입니다"
            )
            assert await run_one(world.server.db)  # times out: Slack got it, we don't know
            (job,) = await _jobs(world)
            assert job.status == "pending" and job.attempts == 1
            conversation_id = (await visitor.client.post("/api/widget/v1/session", json={})).json()[
                "conversations"
            ][0]["id"]
            again = await visitor.client.post(
                f"/api/widget/v1/conversations/{conversation_id}/messages",
                json={"body": "추가로 하나 더", "client_id": new_client_id()},
            )
            assert again.status_code == 201
            async with world.server.db.transaction() as session:  # don't wait out the backoff
                await session.execute(
                    update(Job).where(Job.id == job.id).values(run_at=dt.datetime.now(dt.UTC))
                )
            assert await run_one(world.server.db)
        first, second = (request.json() for request in stub.received)
        assert first == second
        assert "첫 문의 내용입니다" in first["text"]
    finally:
        settings.allow_private = False
        settings.post_timeout_seconds = timeout
