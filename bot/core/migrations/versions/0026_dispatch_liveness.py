"""outbox: which dispatcher claimed each row, dispatch workers' heartbeats (a dead worker's
rows go back at once), and how often an unknown outcome was looked up in sent items

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-23 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The two outbox columns and the heartbeat table."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column("sent_lookups", sa.SmallInteger(), nullable=False, server_default="0")
        )
    op.create_table(
        "dispatch_workers",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("beat_at", bot.core.models.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the table and the columns (a dead worker's rows wait for the timeouts again)."""
    op.drop_table("dispatch_workers")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sent_lookups")
        batch.drop_column("claimed_by")
