"""Contact upkeep that runs in every process: purge events past their retention."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sangdam.contacts.repository import purge_events_before
from sangdam.db import Database, utcnow

log = logging.getLogger(__name__)
# Hourly is plenty: retention is counted in days, and a delete by index is cheap.
PURGE_INTERVAL_SECONDS = 3600.0


async def purge_old_events(db: Database, retention_days: int) -> int:
    async with db.transaction() as session:
        return await purge_events_before(session, utcnow() - dt.timedelta(days=retention_days))


async def run_purger(db: Database, retention_days: int) -> None:
    while True:
        try:
            removed = await purge_old_events(db, retention_days)
            if removed:
                log.info("purged %d contact events older than %d days", removed, retention_days)
        except Exception:
            log.exception("contact event purge failed; retrying next round")
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
