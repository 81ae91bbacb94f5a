"""single central record: whether and when each check was done (never vetting data), the
interview panels, and the gaps found

Revision ID: 0048
Revises: 0047
Create Date: 2026-11-26 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Five tables: SCR rows and their checks, panels and their members, gaps."""
    op.create_table(
        "scr_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("lived_abroad", sa.Boolean(), nullable=False),
        sa.Column("agency", sa.Boolean(), nullable=False),
        sa.Column("management", sa.Boolean(), nullable=False),
        sa.Column("teaching", sa.Boolean(), nullable=False),
        sa.Column("risk_assessed", sa.Boolean(), nullable=False),
        sa.Column("safeguarding_training_on", sa.Date(), nullable=True),
        sa.Column("safer_recruitment_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("imported_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scr_entries_school_id", "scr_entries", ["school_id"])
    op.create_index("ix_scr_entries_person_id", "scr_entries", ["person_id"])
    op.create_table(
        "scr_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=40), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["scr_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "check"),
    )
    op.create_index("ix_scr_checks_school_id", "scr_checks", ["school_id"])
    op.create_table(
        "scr_panels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scr_panels_school_id", "scr_panels", ["school_id"])
    op.create_table(
        "scr_panel_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.ForeignKeyConstraint(["panel_id"], ["scr_panels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("panel_id", "person_id"),
    )
    op.create_index("ix_scr_panel_members_school_id", "scr_panel_members", ["school_id"])
    op.create_table(
        "scr_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("check", sa.String(length=40), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("told_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "key"),
    )
    op.create_index("ix_scr_gaps_school_id", "scr_gaps", ["school_id"])


def downgrade() -> None:
    """Drop the tables (the SCR is read again from the school's spreadsheet)."""
    for table in ("scr_gaps", "scr_panel_members", "scr_panels", "scr_checks", "scr_entries"):
        op.drop_index(f"ix_{table}_school_id", table_name=table)
        if table == "scr_entries":
            op.drop_index("ix_scr_entries_person_id", table_name=table)
        op.drop_table(table)
