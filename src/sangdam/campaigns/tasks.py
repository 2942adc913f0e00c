"""The campaign send job: batches of reserve-then-deliver until the segment is exhausted.

Each batch is two transactions (``service.reserve_batch``, ``service.deliver_pending``), so
a run killed at any point leaves only committed batches behind and the next run carries
on from them. One run works for at most ``RUN_SECONDS`` and then hands over to a fresh
job, so a 100,000-customer send never outlives the job lock (``jobs.service.LOCK_SECONDS``).
"""

from __future__ import annotations

import time
from typing import Any

from sangdam.campaigns import service
from sangdam.db import Database
from sangdam.jobs.service import handler

RUN_SECONDS = 60.0


async def run_batch(db: Database, workspace_id: int, campaign_id: int, size: int) -> bool:
    """One batch; True while there is more to do."""
    async with db.transaction() as session:
        reserved = await service.reserve_batch(session, workspace_id, campaign_id, size)
    async with db.transaction() as session:
        delivered = await service.deliver_pending(session, workspace_id, campaign_id, size)
    if reserved or delivered:
        return True
    async with db.transaction() as session:
        return not await service.finish_if_done(session, workspace_id, campaign_id)


@handler(service.SEND_JOB)
async def send_campaign(db: Database, payload: dict[str, Any]) -> None:
    workspace_id, campaign_id = int(payload["workspace_id"]), int(payload["campaign_id"])
    started = time.monotonic()
    while await run_batch(db, workspace_id, campaign_id, service.BATCH_SIZE):
        if time.monotonic() - started > RUN_SECONDS:
            async with db.transaction() as session:
                service.continue_later(session, workspace_id, campaign_id)
            return
