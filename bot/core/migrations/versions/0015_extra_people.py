"""extra_people: people outside the directory, entered on the people register page

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the register's table (a new table: nothing stored is touched)."""
    op.create_table(
        "extra_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("job_title", sa.String(length=200), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("manager_email", sa.String(length=320), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_extra_people_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extra_people")),
        sa.UniqueConstraint("school_id", "email", name=op.f("uq_extra_people_school_id")),
    )
    op.create_index(
        op.f("ix_extra_people_school_id"), "extra_people", ["school_id"], unique=False
    )


def downgrade() -> None:
    """Drop the register (the people it added stay in the store, as the sync left them)."""
    op.drop_index(op.f("ix_extra_people_school_id"), table_name="extra_people")
    op.drop_table("extra_people")
