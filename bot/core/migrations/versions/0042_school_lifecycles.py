"""school_lifecycles: each school of a trust its own preview / "Start sending" (#54)

Revision ID: 0042
Revises: 0041
Create Date: 2026-11-26 03:30:00

Until now one ``setup_state`` row said whether the whole install had started sending, so one
school's admin started every school. Each school now has its own row; once setup exists, a
school without one is in preview. Every school already stored keeps the install's state (the
one school of a single-school install gets the old row's); an install that predated setup (no
``setup_state`` row) gets one marked as sending, so its schools keep sending and a school added
later starts in preview. The rows are sealed into the audit chain by ``Store.upgrade``
(``audit.seals.seal_new_kinds``). A downgrade drops the table (``setup_state`` is untouched).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

_BY = "system:upgrade"


def upgrade() -> None:
    op.create_table(
        "school_lifecycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sending_started_at", sa.DateTime(), nullable=True),
        sa.Column("sending_started_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_lifecycles")),
        sa.UniqueConstraint("school_id", name=op.f("uq_school_lifecycles_school_id")),
    )
    bind = op.get_bind()
    if bind.scalar(sa.text("SELECT COUNT(*) FROM schools")) == 0:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    if bind.scalar(sa.text("SELECT COUNT(*) FROM setup_state")) == 0:
        # an install from before setup: it has always been sending
        setup_state = sa.table(
            "setup_state",
            sa.column("config_source", sa.String()),
            sa.column("begun_at", sa.DateTime()),
            sa.column("begun_by", sa.String()),
            sa.column("sending_started_at", sa.DateTime()),
            sa.column("sending_started_by", sa.String()),
        )
        op.bulk_insert(
            setup_state,
            [
                {
                    "config_source": "file",
                    "begun_at": now,
                    "begun_by": _BY,
                    "sending_started_at": now,
                    "sending_started_by": _BY,
                }
            ],
        )
    # every stored school gets the install's state, copied in the database (its own types)
    op.execute(
        sa.text(
            "INSERT INTO school_lifecycles"
            " (school_id, created_at, sending_started_at, sending_started_by)"
            " SELECT schools.id, :now, setup_state.sending_started_at,"
            " setup_state.sending_started_by FROM schools CROSS JOIN setup_state"
            " WHERE setup_state.id = (SELECT MIN(id) FROM setup_state)"
        ).bindparams(sa.bindparam("now", now, type_=sa.DateTime()))
    )


def downgrade() -> None:
    op.drop_table("school_lifecycles")
