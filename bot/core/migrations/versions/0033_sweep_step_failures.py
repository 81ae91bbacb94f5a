"""sweep_step_failures: a sweep step failing for a school, one row an episode

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-24 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Which step failed for which school, since when, the error's class (never its text)."""
    op.create_table(
        "sweep_step_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=80), nullable=False),
        sa.Column("error", sa.String(length=120), nullable=False),
        sa.Column("since", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("last_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "step"),
    )
    op.create_index("ix_sweep_step_failures_school_id", "sweep_step_failures", ["school_id"])


def downgrade() -> None:
    """Drop the table (failing steps are then only in the log)."""
    op.drop_index("ix_sweep_step_failures_school_id", table_name="sweep_step_failures")
    op.drop_table("sweep_step_failures")
