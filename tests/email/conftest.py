from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from sangdam.config import EmailSettings
from sangdam.email.tasks import start_listener
from sangdam.jobs.service import run_one, run_worker
from tests.fixtures.factories import World
from tests.fixtures.server import RunningServer, free_port
from tests.fixtures.smtp import MailSink

INBOUND_DOMAIN = "mail.sangdam.test"
FROM_ADDRESS = "support@sangdam.test"
MAX_INBOUND = 64 * 1024


@dataclass
class Mail:
    """The customer's mail server (a real aiosmtpd) and Sangdam's own SMTP listener."""

    server: RunningServer
    sink: MailSink
    listener_port: int

    async def run_jobs(self) -> int:
        """Run every due job now, as the worker would; returns how many ran."""
        ran = 0
        while await run_one(self.server.db):
            ran += 1
        return ran


@pytest.fixture
async def mail(world: World) -> AsyncIterator[Mail]:
    server = world.server
    sangdam = server.sangdam
    # The test drives the jobs itself, so it sees each attempt.
    sangdam._worker.cancel()
    previous = server.settings.email
    server.settings.email = EmailSettings(
        host="127.0.0.1",
        port=free_port(),
        starttls=False,
        from_address=FROM_ADDRESS,
        inbound_domain=INBOUND_DOMAIN,
        listen=True,
        listen_host="127.0.0.1",
        listen_port=free_port(),
        max_inbound_bytes=MAX_INBOUND,
        timeout_seconds=5,
    )
    sink = await MailSink(server.settings.email.port).start()
    listener = await start_listener(server.db, server.settings)
    try:
        yield Mail(server, sink, server.settings.email.listen_port)
    finally:
        listener.close()
        await listener.wait_closed()
        await sink.stop()
        server.settings.email = previous
        sangdam._worker = asyncio.create_task(
            run_worker(server.db, server.settings.outbound.job_poll_seconds)
        )
