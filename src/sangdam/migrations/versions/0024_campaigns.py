"""campaigns: segments and campaigns (audiences, messages, sends)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sangdam.db

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sangdam.db.UtcDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("filter", JSON, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("segments", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
    )
    op.create_index(op.f("ix_segments_workspace_id"), "segments", ["workspace_id"])
    op.create_table(
        "campaigns",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("segment_id", ID, nullable=True),
        sa.Column("inbox_id", ID, nullable=False),
        sa.Column("sender_type", sa.String(length=16), nullable=False),
        sa.Column("sender_agent_id", ID, nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("frequency_cap_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor_contact_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        _fk("campaigns", "workspace_id", "workspaces", "CASCADE"),
        _fk("campaigns", "segment_id", "segments", "SET NULL"),
        _fk("campaigns", "inbox_id", "inboxes", "CASCADE"),
        _fk("campaigns", "sender_agent_id", "agents", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_workspace_id"), "campaigns", ["workspace_id"])
    op.create_table(
        "campaign_sends",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("conversation_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        _fk("campaign_sends", "workspace_id", "workspaces", "CASCADE"),
        _fk("campaign_sends", "campaign_id", "campaigns", "CASCADE"),
        _fk("campaign_sends", "contact_id", "contacts", "CASCADE"),
        _fk("campaign_sends", "conversation_id", "conversations", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_sends")),
        sa.UniqueConstraint(
            "campaign_id", "contact_id", name=op.f("uq_campaign_sends_campaign_id_contact_id")
        ),
    )
    op.create_index("ix_campaign_sends_pending", "campaign_sends", ["campaign_id", "status", "id"])
    op.create_index(
        "ix_campaign_sends_cap", "campaign_sends", ["workspace_id", "contact_id", "sent_at"]
    )


def downgrade() -> None:
    op.drop_table("campaign_sends")
    op.drop_table("campaigns")
    op.drop_table("segments")
