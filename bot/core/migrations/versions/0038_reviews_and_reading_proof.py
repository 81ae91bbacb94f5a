"""reviews that events trigger, and proof of reading

Revision ID: 0038
Revises: 0037
Create Date: 2026-11-25 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Recorded events and a review's outcome; pages seen and reading checks per duty."""
    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.Column("recorded_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_events_school_id", "review_events", ["school_id"])
    with op.batch_alter_table("task_completions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.Text(), nullable=True))
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pages_seen", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pages_total", sa.Integer(), nullable=True))
    op.create_table(
        "pages_seen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("at", bot.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.ForeignKeyConstraint(["duty_id"], ["duties.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("duty_id", "page"),
    )
    op.create_index("ix_pages_seen_school_id", "pages_seen", ["school_id"])
    op.create_index("ix_pages_seen_duty_id", "pages_seen", ["duty_id"])
    op.create_table(
        "reading_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("right", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("at", bot.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.ForeignKeyConstraint(["duty_id"], ["duties.id"]),
        sa.ForeignKeyConstraint(["policy_version_id"], ["policy_versions.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reading_checks_school_id", "reading_checks", ["school_id"])
    op.create_index("ix_reading_checks_duty_id", "reading_checks", ["duty_id"])
    op.create_index(
        "ix_reading_checks_policy_version_id", "reading_checks", ["policy_version_id"]
    )


def downgrade() -> None:
    """Drop them (recorded events, outcomes and reading proof are then lost)."""
    op.drop_table("reading_checks")
    op.drop_table("pages_seen")
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_column("pages_total")
        batch_op.drop_column("pages_seen")
    with op.batch_alter_table("task_completions", schema=None) as batch_op:
        batch_op.drop_column("outcome")
    op.drop_index("ix_review_events_school_id", table_name="review_events")
    op.drop_table("review_events")
