"""duty snapshot: the dashboard's summary rows (per school, requirement and person), and
indexes for its live parts (messages needing a person, duties past their reminder cap)

Revision ID: 0018
Revises: 0020
Create Date: 2026-12-12 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0018"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the snapshot tables (new tables only: the first dashboard view or sweep fills them)."""
    op.create_table(
        "duty_snapshots",
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("built_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_duty_snapshots_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_duty_snapshots")),
    )
    op.create_table(
        "duty_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("cycle", sa.String(length=120), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("duties", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirements.id"],
            name=op.f("fk_duty_tallies_requirement_id_requirements"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_duty_tallies_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_tallies")),
        sa.UniqueConstraint(
            "school_id",
            "requirement_id",
            "cycle",
            "due_on",
            "status",
            "active",
            name=op.f("uq_duty_tallies_school_id"),
        ),
    )
    op.create_index(
        "ix_duty_tallies_status", "duty_tallies", ["school_id", "status", "kind"], unique=False
    )
    op.create_table(
        "audience_sizes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirements.id"],
            name=op.f("fk_audience_sizes_requirement_id_requirements"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_audience_sizes_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_sizes")),
        sa.UniqueConstraint(
            "school_id", "requirement_id", name=op.f("uq_audience_sizes_school_id")
        ),
    )
    op.create_table(
        "person_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_tallies_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_person_tallies_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_tallies")),
        sa.UniqueConstraint("school_id", "person_id", name=op.f("uq_person_tallies_school_id")),
    )
    op.create_index(
        "ix_person_tallies_name", "person_tallies", ["school_id", "name", "person_id"], unique=False
    )
    op.create_index(
        "ix_person_tallies_overdue",
        "person_tallies",
        ["school_id", "overdue", "name"],
        unique=False,
    )


    # the dashboard's live parts read through these
    op.create_index("ix_people_email", "people", ["email"], unique=False)
    op.create_index(
        "ix_outbox_school_status", "outbox", ["school_id", "status"], unique=False
    )
    op.create_index(
        "ix_duties_reminders", "duties", ["school_id", "status", "reminders_sent"], unique=False
    )


def downgrade() -> None:
    """Drop the snapshot tables (they hold only counts, rebuilt from the duties)."""
    op.drop_index("ix_duties_reminders", table_name="duties")
    op.drop_index("ix_outbox_school_status", table_name="outbox")
    op.drop_index("ix_people_email", table_name="people")
    op.drop_index("ix_person_tallies_overdue", table_name="person_tallies")
    op.drop_index("ix_person_tallies_name", table_name="person_tallies")
    op.drop_table("person_tallies")
    op.drop_table("audience_sizes")
    op.drop_index("ix_duty_tallies_status", table_name="duty_tallies")
    op.drop_table("duty_tallies")
    op.drop_table("duty_snapshots")
