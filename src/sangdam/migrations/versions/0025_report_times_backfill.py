"""reports: measure the conversations resolved before reports kept their times

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 15:00:00

Data only: one ``reports.backfill_times`` job when there is something to measure (the
job, in reports/tasks.py, works in batches; the previous version ignores the job).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sangdam.db

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sangdam.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    waiting = op.get_bind().execute(
        sa.text(
            "SELECT 1 FROM conversations c WHERE c.status = 'resolved' AND NOT EXISTS "
            "(SELECT 1 FROM conversation_times t WHERE t.conversation_id = c.id) LIMIT 1"
        )
    )
    if waiting.first() is None:
        return
    jobs = sa.table(
        "jobs",
        sa.column("kind", sa.String),
        sa.column("payload", JSON),
        sa.column("status", sa.String),
        sa.column("attempts", sa.Integer),
        sa.column("run_at", WHEN),
        sa.column("created_at", WHEN),
    )
    now = sangdam.db.utcnow()
    op.bulk_insert(
        jobs,
        [
            {
                "kind": "reports.backfill_times",
                "payload": {},
                "status": "pending",
                "attempts": 0,
                "run_at": now,
                "created_at": now,
            }
        ],
    )


def downgrade() -> None:
    pass
