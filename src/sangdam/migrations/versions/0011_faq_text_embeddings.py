"""FAQ text vectors kept with the FAQ, so a starting process skips encoding them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sangdam.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_text_embeddings",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("encoder", sa.String(64), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sangdam.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_faq_text_embeddings_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "encoder", "text_hash", name=op.f("pk_faq_text_embeddings")
        ),
    )


def downgrade() -> None:
    op.drop_table("faq_text_embeddings")
