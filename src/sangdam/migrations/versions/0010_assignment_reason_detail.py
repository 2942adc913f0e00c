"""assignment reasons with their key and values, for the inbox's language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sangdam.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assignment_events") as batch:
        # Earlier events keep only their English text (an empty detail).
        batch.add_column(
            sa.Column("detail", sangdam.db.Json, nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("assignment_events") as batch:
        batch.drop_column("detail")
