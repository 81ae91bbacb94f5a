"""kept_figures: a school's figures kept as things happen (issue 91)

Revision ID: kept_figures
Revises: outbox_attachments
Create Date: 2026-11-29 07:10:00

One row a school and part (its policies and requirements, its official accounts, its open
reports and clocks), recomputed from the rows whenever a transaction changes them; empty
here: each school's are made by its next sweep or ``compliance-bot figures rebuild``, and
read from the rows until then.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "kept_figures"
down_revision = "outbox_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The table, empty."""
    op.create_table(
        "kept_figures",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("part", sa.String(length=20), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=True),
        sa.Column("built_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("school_id", "part"),
    )


def downgrade() -> None:
    """Drop the table (its figures are recomputed from the rows)."""
    op.drop_table("kept_figures")
