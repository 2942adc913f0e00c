"""chat ratings: what a customer thought of a conversation that ended

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sangdam.db

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "csat_settings",
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("rating_scale", sa.String(length=16), nullable=False),
        sa.Column("ask_comment", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        _fk("csat_settings", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_csat_settings")),
    )
    op.create_table(
        "ratings",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("scale", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("resolved_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        _fk("ratings", "workspace_id", "workspaces", "CASCADE"),
        _fk("ratings", "conversation_id", "conversations", "CASCADE"),
        _fk("ratings", "contact_id", "contacts", "CASCADE"),
        _fk("ratings", "agent_id", "agents", "SET NULL"),
        _fk("ratings", "team_id", "teams", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint(
            "conversation_id", "resolved_at", name=op.f("uq_ratings_conversation_id_resolved_at")
        ),
    )
    with op.batch_alter_table("ratings") as batch:
        batch.create_index("ix_ratings_workspace_created", ["workspace_id", "created_at"])
        batch.create_index(batch.f("ix_ratings_conversation_id"), ["conversation_id"])


def downgrade() -> None:
    op.drop_table("ratings")
    op.drop_table("csat_settings")
