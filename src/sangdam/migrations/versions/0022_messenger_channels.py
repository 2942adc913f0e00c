"""channels: messenger accounts (encrypted credentials), inbound events, identities, sends

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sangdam.db

revision = "0022"
down_revision = "0019"
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


def _indexes(table: str, *columns: str) -> None:
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.create_index(batch.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "channel_accounts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("inbox_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("webhook_key", sa.String(length=64), nullable=False),
        sa.Column("credentials", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("channel_accounts", "workspace_id", "workspaces", "CASCADE"),
        _fk("channel_accounts", "inbox_id", "inboxes", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_accounts")),
        sa.UniqueConstraint("inbox_id", name=op.f("uq_channel_accounts_inbox_id")),
        sa.UniqueConstraint("webhook_key", name=op.f("uq_channel_accounts_webhook_key")),
    )
    _indexes("channel_accounts", "workspace_id")
    op.create_table(
        "channel_updates",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("external_key", sa.String(length=128), nullable=False),
        sa.Column("event", JSON, nullable=False),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("channel_updates", "workspace_id", "workspaces", "CASCADE"),
        _fk("channel_updates", "account_id", "channel_accounts", "CASCADE"),
        _fk("channel_updates", "message_id", "messages", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_updates")),
        sa.UniqueConstraint(
            "account_id", "external_key", name=op.f("uq_channel_updates_account_id_external_key")
        ),
    )
    _indexes("channel_updates", "workspace_id", "account_id")
    op.create_table(
        "channel_identities",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("external_user_id", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("channel_identities", "workspace_id", "workspaces", "CASCADE"),
        _fk("channel_identities", "account_id", "channel_accounts", "CASCADE"),
        _fk("channel_identities", "contact_id", "contacts", "CASCADE"),
        _fk("channel_identities", "conversation_id", "conversations", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_identities")),
        sa.UniqueConstraint(
            "account_id",
            "external_user_id",
            name=op.f("uq_channel_identities_account_id_external_user_id"),
        ),
    )
    _indexes("channel_identities", "workspace_id", "account_id", "contact_id")
    op.create_table(
        "channel_sends",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("parts_total", sa.Integer(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("external_ids", JSON, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        _fk("channel_sends", "workspace_id", "workspaces", "CASCADE"),
        _fk("channel_sends", "message_id", "messages", "CASCADE"),
        _fk("channel_sends", "account_id", "channel_accounts", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_sends")),
        sa.UniqueConstraint("message_id", name=op.f("uq_channel_sends_message_id")),
    )
    _indexes("channel_sends", "workspace_id", "account_id")


def downgrade() -> None:
    for table in ("channel_sends", "channel_identities", "channel_updates", "channel_accounts"):
        op.drop_table(table)
