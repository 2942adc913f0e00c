"""Routing upkeep that runs in every process (safe: assignment locks each team)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select

from sangdam.db import Database
from sangdam.routing.models import Team
from sangdam.routing.service import sweep

log = logging.getLogger(__name__)


async def sweep_all(db: Database) -> None:
    async with db.read() as session:
        stmt = select(Team.workspace_id).where(Team.auto_assign.is_(True)).distinct()
        workspace_ids = list((await session.execute(stmt)).scalars())
    for workspace_id in workspace_ids:
        async with db.transaction() as session:
            await sweep(session, workspace_id)


async def run_sweeper(db: Database, interval_seconds: float) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await sweep_all(db)
        except Exception:
            log.exception("routing sweep failed; retrying next round")
