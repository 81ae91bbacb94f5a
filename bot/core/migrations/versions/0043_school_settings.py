"""school_settings: each school's last good settings, and the problem with its entry now

Revision ID: 0043
Revises: 0042
Create Date: 2026-11-26 03:15:00

One school's invalid entry holds that school only: the sweep stores each school's settings when
they pass the checks, and a school whose entry fails keeps them in force. No existing row
changes; the table starts empty and fills at the next sweep.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One row a school: its last accepted settings and its current problem."""
    op.create_table(
        "school_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("accepted_at", bot.core.models.UTCDateTime(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("problem_sha256", sa.String(length=64), nullable=True),
        sa.Column("problem_since", bot.core.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id"),
    )


def downgrade() -> None:
    """Drop the table (an invalid entry then stops the whole configuration again)."""
    op.drop_table("school_settings")
