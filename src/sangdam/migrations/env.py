"""Alembic environment: runs Sangdam's migrations on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from sangdam import domains
from sangdam.config import Settings
from sangdam.db import Base, create_engine

assert domains.MODELS  # every domain's tables are in the metadata
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can't ALTER most things in place; batch mode rebuilds tables.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes may start at once; one migrates, the others wait.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7263820141)")
        context.run_migrations()


async def _main() -> None:
    settings = context.config.attributes.get("settings") or Settings()
    engine = create_engine(settings)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Sangdam runs migrations online only: `sangdam migrate`.")
asyncio.run(_main())
