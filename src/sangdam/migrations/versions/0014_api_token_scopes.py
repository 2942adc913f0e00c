"""API tokens with scopes (read, write, admin) and an expiry

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sangdam.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        # Tokens made before scopes could do everything their creator could: they still do.
        batch.add_column(
            sa.Column(
                "scopes",
                sangdam.db.Json,
                nullable=False,
                server_default=sa.text("""'["read", "write", "admin"]'"""),
            )
        )
        batch.add_column(sa.Column("expires_at", sangdam.db.UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scopes")
