"""invitations, password resets, avatars, deactivated members

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sangdam.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sangdam.db.Id, nullable=False),
        sa.Column("workspace_id", sangdam.db.Id, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_by_agent_id", sangdam.db.Id, nullable=True),
        sa.Column("created_at", sangdam.db.UtcDateTime(), nullable=False),
        sa.Column("sent_at", sangdam.db.UtcDateTime(), nullable=False),
        sa.Column("send_count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sangdam.db.UtcDateTime(), nullable=False),
        sa.Column("accepted_at", sangdam.db.UtcDateTime(), nullable=True),
        sa.Column("accepted_by_user_id", sangdam.db.Id, nullable=True),
        sa.Column("revoked_at", sangdam.db.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_invitations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_agent_id"],
            ["agents.id"],
            name=op.f("fk_invitations_invited_by_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_user_id"],
            ["users.id"],
            name=op.f("fk_invitations_accepted_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index(op.f("ix_invitations_workspace_id"), "invitations", ["workspace_id"])
    op.create_table(
        "password_resets",
        sa.Column("id", sangdam.db.Id, nullable=False),
        sa.Column("user_id", sangdam.db.Id, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sangdam.db.UtcDateTime(), nullable=False),
        sa.Column("expires_at", sangdam.db.UtcDateTime(), nullable=False),
        sa.Column("used_at", sangdam.db.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_resets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index(op.f("ix_password_resets_user_id"), "password_resets", ["user_id"])
    op.create_table(
        "user_avatars",
        sa.Column("user_id", sangdam.db.Id, nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sangdam.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_avatars_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_avatars")),
    )
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("deactivated_at", sangdam.db.UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("deactivated_at")
    op.drop_table("user_avatars")
    op.drop_index(op.f("ix_password_resets_user_id"), table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index(op.f("ix_invitations_workspace_id"), table_name="invitations")
    op.drop_table("invitations")
