"""canned responses, tags, automation rules

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 07:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sangdam.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        _fk("tags", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_tags_workspace_id_name")),
    )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tags_workspace_id"), ["workspace_id"], unique=False)

    for table, owner, owner_table in (
        ("conversation_tags", "conversation_id", "conversations"),
        ("contact_tags", "contact_id", "contacts"),
    ):
        op.create_table(
            table,
            sa.Column(owner, ID, nullable=False),
            sa.Column("tag_id", ID, nullable=False),
            sa.Column("workspace_id", ID, nullable=False),
            sa.Column("added_by_agent_id", ID, nullable=True),
            sa.Column("added_by_rule_id", sa.Integer(), nullable=True),
            sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
            _fk(table, owner, owner_table, "CASCADE"),
            _fk(table, "tag_id", "tags", "CASCADE"),
            _fk(table, "workspace_id", "workspaces", "CASCADE"),
            _fk(table, "added_by_agent_id", "agents", "SET NULL"),
            sa.PrimaryKeyConstraint(owner, "tag_id", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_filter", ["workspace_id", "tag_id"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tag_ids", JSON, nullable=False, server_default=sa.text("'[]'"))
        )

    op.create_table(
        "canned_responses",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("shortcut", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_agent_id", ID, nullable=True),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        _fk("canned_responses", "workspace_id", "workspaces", "CASCADE"),
        _fk("canned_responses", "agent_id", "agents", "CASCADE"),
        _fk("canned_responses", "team_id", "teams", "CASCADE"),
        _fk("canned_responses", "created_by_agent_id", "agents", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_responses")),
    )
    with op.batch_alter_table("canned_responses", schema=None) as batch_op:
        batch_op.create_index("ix_canned_responses_lookup", ["workspace_id", "scope"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_canned_responses_workspace_id"), ["workspace_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_canned_responses_agent_id"), ["agent_id"], unique=False
        )

    op.create_table(
        "automation_rules",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("webhook_secret", sa.String(length=80), nullable=False),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("last_run_at", sangdam.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        _fk("automation_rules", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rules")),
    )
    with op.batch_alter_table("automation_rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_automation_rules_event", ["workspace_id", "event", "enabled"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_automation_rules_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "automation_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=True),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("created_at", sangdam.db.UtcDateTime(timezone=True), nullable=False),
        _fk("automation_runs", "workspace_id", "workspaces", "CASCADE"),
        _fk("automation_runs", "rule_id", "automation_rules", "CASCADE"),
        _fk("automation_runs", "conversation_id", "conversations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_runs")),
    )
    with op.batch_alter_table("automation_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_automation_runs_workspace_id"), ["workspace_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_automation_runs_rule_id"), ["rule_id"], unique=False)


def downgrade() -> None:
    op.drop_table("automation_runs")
    op.drop_table("automation_rules")
    op.drop_table("canned_responses")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("tag_ids")
    op.drop_table("contact_tags")
    op.drop_table("conversation_tags")
    op.drop_table("tags")
