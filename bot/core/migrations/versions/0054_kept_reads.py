"""kept_reads: what a directory read left for the next process (#80)

Revision ID: 0054
Revises: 0053
Create Date: 2026-11-27 23:30:00

One row for each file read (the install's staff file, a connection's, the extra people file):
its digest and answer but the people, and its verdicts on addresses (``bot.core.database.kept_reads``),
so that a new process (a CLI run, a restart, a deploy) does not parse an unchanged file again.
Nothing existing changes; the table starts empty (the next sweep fills it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0054"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The table, empty."""
    op.create_table(
        "kept_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("kept_reads")
