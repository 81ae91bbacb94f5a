"""complaints: data-protection complaints to the school (Data Protection Act 2018 s.164A)

Revision ID: 0037
Revises: 0033
Create Date: 2026-11-25 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0037"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One row a complaint, with its acknowledgement and outcome."""
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("received_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("relationship", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("wanted", sa.Text(), nullable=True),
        sa.Column("safeguarding_confirmed", sa.Boolean(), nullable=False),
        sa.Column("ack_due_on", sa.Date(), nullable=False),
        sa.Column("acknowledged_at", bot.core.models.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_how", sa.String(length=20), nullable=True),
        sa.Column("outcome_due_on", sa.Date(), nullable=False),
        sa.Column("outcome_at", bot.core.models.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("outcome_how", sa.String(length=20), nullable=True),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "reference"),
    )
    op.create_index("ix_complaints_school_id", "complaints", ["school_id"])
    op.create_index("ix_complaints_open", "complaints", ["school_id", "outcome_at", "received_at"])


def downgrade() -> None:
    """Drop the table (its complaints go with it: export them first)."""
    op.drop_index("ix_complaints_open", table_name="complaints")
    op.drop_index("ix_complaints_school_id", table_name="complaints")
    op.drop_table("complaints")
