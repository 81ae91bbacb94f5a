"""scheduler_beats: the scheduler's last beat, so a web-only process can tell it runs

Revision ID: 0046
Revises: 0045
Create Date: 2026-11-26 06:10:00

One row (``id`` 1), written on PostgreSQL by the scheduler's heartbeat through its lock's
connection; a web process without a scheduler fails ``/readyz`` when it is two beats old
(``bot.core.deployment.scheduler_health``). Nothing existing changes; the upgrade to it also seals, as a
baseline, the schools and their last good settings already stored (``audit.seals`` kinds
``school`` and ``school_settings``, ``since="0046"``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The table, empty: the first beat writes its row."""
    op.create_table(
        "scheduler_beats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("beat_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("every_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("scheduler_beats")
