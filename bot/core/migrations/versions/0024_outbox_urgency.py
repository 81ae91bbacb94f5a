"""outbox: every message carries its urgency; claims take the most urgent first, and a
mailbox's sends say whether they were routine (routine mail may not spend the urgent reserve)

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# the urgency of messages queued before this revision, by what they were for
# (bot.core.models.Urgency: 0 safeguarding, 1 someone waiting, 2 routine)
SAFEGUARDING = ("report_alert", "report_escalation", "report_line_manager")
WAITING = ("report_receipt", "link_renewal", "aup_receipt")


def upgrade() -> None:
    """The column (routine unless the purpose says otherwise) and the claim's index."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("urgency", sa.SmallInteger(), nullable=False, server_default="2")
        )
    outbox = sa.table("outbox", sa.column("purpose", sa.String()),
                      sa.column("urgency", sa.SmallInteger()))
    op.execute(outbox.update().where(outbox.c.purpose.in_(SAFEGUARDING)).values(urgency=0))
    op.execute(outbox.update().where(outbox.c.purpose.in_(WAITING)).values(urgency=1))
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("urgency", server_default=None)
    op.create_index("ix_outbox_claim", "outbox", ["status", "urgency", "next_attempt_at"])
    with op.batch_alter_table("mail_sends") as batch:  # sends counted before: as routine
        batch.add_column(sa.Column("routine", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    with op.batch_alter_table("mail_sends") as batch:
        batch.alter_column("routine", server_default=None)


def downgrade() -> None:
    """Drop the index and the columns (claims go oldest first again)."""
    with op.batch_alter_table("mail_sends") as batch:
        batch.drop_column("routine")
    op.drop_index("ix_outbox_claim", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("urgency")
