"""surveys: post-chat surveys (questions, sends, responses)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sangdam.db

revision = "0023"
down_revision = "0022"
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
        "surveys",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("questions", JSON, nullable=False),
        sa.Column("send_after_hours", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("surveys", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    _indexes("surveys", "workspace_id")
    op.create_table(
        "survey_sends",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("resolved_at", WHEN, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("due_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("survey_sends", "workspace_id", "workspaces", "CASCADE"),
        _fk("survey_sends", "survey_id", "surveys", "CASCADE"),
        _fk("survey_sends", "conversation_id", "conversations", "CASCADE"),
        _fk("survey_sends", "contact_id", "contacts", "CASCADE"),
        _fk("survey_sends", "agent_id", "agents", "SET NULL"),
        _fk("survey_sends", "team_id", "teams", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_sends")),
        sa.UniqueConstraint(
            "survey_id",
            "conversation_id",
            "resolved_at",
            name=op.f("uq_survey_sends_survey_id_conversation_id_resolved_at"),
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_survey_sends_token_hash")),
    )
    _indexes("survey_sends", "workspace_id", "survey_id", "conversation_id")
    op.create_table(
        "survey_responses",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("send_id", ID, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("survey_responses", "workspace_id", "workspaces", "CASCADE"),
        _fk("survey_responses", "send_id", "survey_sends", "CASCADE"),
        _fk("survey_responses", "survey_id", "surveys", "CASCADE"),
        _fk("survey_responses", "agent_id", "agents", "SET NULL"),
        _fk("survey_responses", "team_id", "teams", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("send_id", name=op.f("uq_survey_responses_send_id")),
    )
    _indexes("survey_responses", "survey_id")
    with op.batch_alter_table("survey_responses") as batch:
        batch.create_index(
            "ix_survey_responses_workspace_created", ["workspace_id", "created_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("survey_responses")
    op.drop_table("survey_sends")
    op.drop_table("surveys")
