"""outbox channel pauses and failure alerts

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-01 09:00:00

A platform that says "not now" (429, Retry-After, a setup refusal) or answers 503/504 pauses its
whole channel (``outbox_channels``), so the queue waits instead of spending attempts or piling
up unknown outcomes. ``outbox.alerted_at`` records when the school's admins were told about a
refused message. Messages that had already failed before this revision are marked as alerted
(when they were queued) so upgrading does not send a flood of alerts about old failures; they
still show in ``compliance-bot outbox`` and on the dashboard. No existing value changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_channels",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("paused_until", bot.core.models.UTCDateTime(), nullable=True),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_outbox_channels")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alerted_at", bot.core.models.UTCDateTime(), nullable=True)
        )
    outbox = sa.table(
        "outbox",
        sa.column("status", sa.String()),
        sa.column("created_at", sa.DateTime()),
        sa.column("alerted_at", sa.DateTime()),
    )
    op.execute(
        outbox.update()
        .where(outbox.c.status == "failed")
        .values(alerted_at=outbox.c.created_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("alerted_at")
    op.drop_table("outbox_channels")
