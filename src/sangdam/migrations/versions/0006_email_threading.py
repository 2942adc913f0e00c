"""email threading

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 07:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sangdam.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "email_threads",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("reply_token", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_email_threads_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_threads_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_threads")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_email_threads_conversation_id")),
        sa.UniqueConstraint("reply_token", name=op.f("uq_email_threads_reply_token")),
    )
    with op.batch_alter_table("email_threads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_threads_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "email_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("rfc_message_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_email_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_email_messages_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_messages_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_email_messages_message_id")),
        sa.UniqueConstraint(
            "workspace_id",
            "direction",
            "rfc_message_id",
            name=op.f("uq_email_messages_workspace_id_direction_rfc_message_id"),
        ),
    )
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_messages_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index("ix_email_messages_rfc_message_id", ["rfc_message_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_email_messages_workspace_id"), ["workspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_messages_workspace_id"))
        batch_op.drop_index("ix_email_messages_rfc_message_id")
        batch_op.drop_index(batch_op.f("ix_email_messages_conversation_id"))
    op.drop_table("email_messages")
    with op.batch_alter_table("email_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_threads_workspace_id"))
    op.drop_table("email_threads")
