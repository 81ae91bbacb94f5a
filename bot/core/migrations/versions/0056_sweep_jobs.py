"""sweep_jobs: each school's sweep job and its last sweep (the sweep shared by workers)

Revision ID: 0056
Revises: 0055
Create Date: 2026-11-28 09:00:00

One row a school, used again every tick (``bot.engine.sweep_jobs``): the table never holds
more rows than schools. On PostgreSQL its rows are updated a few times a tick (queued,
claimed, renewed, finished): a fill factor leaves room for those updates on the row's own
page (heap-only: the index is not touched), and autovacuum looks at it after every 200 dead
rows rather than after a fifth of the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The table, empty: the first sweep or enqueue writes each school's row."""
    when = bot.core.models.UTCDateTime
    op.create_table(
        "sweep_jobs",
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("tick", when(), nullable=False),
        sa.Column("due_at", when(), nullable=True),
        sa.Column("fence", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.String(160), nullable=True),
        sa.Column("lease_until", when(), nullable=True),
        sa.Column("not_before", when(), nullable=True),
        sa.Column("started_at", when(), nullable=True),
        sa.Column("finished_at", when(), nullable=True),
        sa.Column("swept_at", when(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("failed", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_sweep_jobs")),
    )
    op.create_index("ix_sweep_jobs_queued", "sweep_jobs", ["due_at"],
                    postgresql_where=sa.text("due_at IS NOT NULL"),
                    sqlite_where=sa.text("due_at IS NOT NULL"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sweep_jobs SET (fillfactor = 50,"
                   " autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200)")


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_sweep_jobs_queued", table_name="sweep_jobs")
    op.drop_table("sweep_jobs")
