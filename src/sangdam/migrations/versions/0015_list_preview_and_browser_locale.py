"""previews show the customer's words; agents' language follows the browser until chosen

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("locale_chosen", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # English was never the default: whoever has it picked it.
    op.execute("UPDATE users SET locale_chosen = TRUE WHERE locale <> 'ko'")
    # The inbox list previews what the customer last said; conversations whose newest
    # message came from the bot, an agent or the system showed that instead.
    op.execute(
        """
        UPDATE conversations SET last_message_preview = COALESCE(
            (SELECT substr(m.body, 1, 140) FROM messages m
             WHERE m.conversation_id = conversations.id
               AND m.sender_type = 'contact' AND m.kind = 'text'
             ORDER BY m.seq DESC LIMIT 1),
            last_message_preview)
        WHERE last_message_sender IS NOT NULL AND last_message_sender <> 'contact'
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale_chosen")
