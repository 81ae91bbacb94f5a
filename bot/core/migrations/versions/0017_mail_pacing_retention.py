"""mail pacing shared by every dispatch worker; outbox bodies that retention may drop

Revision ID: 0017
Revises: 0010
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the pacing tables and the outbox's retention columns (existing rows keep bodies)."""
    op.create_table(
        "mail_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=320), nullable=False),
        sa.Column("at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_sends")),
    )
    with op.batch_alter_table("mail_sends", schema=None) as batch_op:
        batch_op.create_index("ix_mail_sends_mailbox_at", ["mailbox", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_sends_outbox_id"), ["outbox_id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("body_dropped_at", bot.core.models.UTCDateTime(), nullable=True)
        )
        batch_op.create_index("ix_outbox_sent_at", ["status", "sent_at"], unique=False)


def downgrade() -> None:
    """Drop them again (bodies already dropped stay dropped)."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_sent_at")
        batch_op.drop_column("body_dropped_at")
        batch_op.drop_column("body_sha256")
    with op.batch_alter_table("mail_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_sends_outbox_id"))
        batch_op.drop_index("ix_mail_sends_mailbox_at")
    op.drop_table("mail_sends")
