"""legal_holds: records the DSL says must be kept, whatever the retention schedule says

Revision ID: legal_holds
Revises: request_kinds
Create Date: 2026-11-29 04:20:00

One row a hold (a person's records, or one report), naming who set it, when and why, and when
it was lifted; the schedule's disposal and an erasure on request pass over what a hold keeps.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "legal_holds"
down_revision = "request_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The table, empty."""
    when = bot.core.models.UTCDateTime
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_at", when(), nullable=False),
        sa.Column("lifted_at", when(), nullable=True),
        sa.Column("lifted_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_holds_school_id", "legal_holds", ["school_id"])
    op.create_index(
        "ix_legal_holds_subject", "legal_holds", ["school_id", "subject_type", "subject_id"]
    )


def downgrade() -> None:
    """Drop the table (its holds go with it)."""
    op.drop_index("ix_legal_holds_subject", table_name="legal_holds")
    op.drop_index("ix_legal_holds_school_id", table_name="legal_holds")
    op.drop_table("legal_holds")
