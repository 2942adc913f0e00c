"""customer context: identified members, contact events, integrations, GitHub issues

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sangdam.db

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_keys", JSON, nullable=True))
        batch_op.add_column(sa.Column("member_id", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("verified_at", sangdam.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("claimed_member_id", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_contacts_member", ["workspace_id", "member_id"], unique=True)

    op.create_table(
        "contact_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("props", JSON, nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_events_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_contact_events_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_events")),
    )
    with op.batch_alter_table("contact_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_events_timeline", ["workspace_id", "contact_id", "created_at"]
        )
        batch_op.create_index("ix_contact_events_created_at", ["created_at"])

    op.create_table(
        "integrations",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("config", JSON, nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("updated_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_integrations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("workspace_id", "kind", name=op.f("uq_integrations_workspace_id_kind")),
    )
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integrations_workspace_id"), ["workspace_id"])

    op.create_table(
        "github_issues",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("repo", sa.String(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("html_url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("created_by_agent_id", ID, nullable=True),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_github_issues_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_agent_id"],
            ["agents.id"],
            name=op.f("fk_github_issues_created_by_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_github_issues_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_issues")),
    )
    with op.batch_alter_table("github_issues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_github_issues_conversation_id"), ["conversation_id"])
        batch_op.create_index(batch_op.f("ix_github_issues_workspace_id"), ["workspace_id"])


def downgrade() -> None:
    op.drop_table("github_issues")
    op.drop_table("integrations")
    op.drop_table("contact_events")
    op.drop_index("ix_contacts_member", table_name="contacts")
    # Not batch mode: on SQLite it would rebuild `contacts`, and dropping the old table with
    # foreign keys on cascades into conversations and visitor tokens. SQLite 3.35+ and
    # PostgreSQL both drop a column in place.
    for column in ("claimed_member_id", "verified_at", "member_id", "signed_keys"):
        op.execute(f"ALTER TABLE contacts DROP COLUMN {column}")
