"""reports: each resolved conversation's times; conversations by start for date ranges

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sangdam.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "conversation_times",
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("first_response_s", sa.Float(), nullable=True),
        sa.Column("first_response_bh_s", sa.Float(), nullable=True),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("wait_bh_s", sa.Float(), nullable=True),
        sa.Column("resolution_s", sa.Float(), nullable=False),
        sa.Column("resolution_bh_s", sa.Float(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("reply_s", sa.Float(), nullable=False),
        sa.Column("reply_bh_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_times_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_conversation_times_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_times")),
    )
    with op.batch_alter_table("conversation_times") as batch:
        batch.create_index("ix_conversation_times_created", ["workspace_id", "created_at"])
    # Reports count conversations by when they started, within a workspace.
    with op.batch_alter_table("conversations") as batch:
        batch.create_index("ix_conversations_created", ["workspace_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_created")
    op.drop_table("conversation_times")
