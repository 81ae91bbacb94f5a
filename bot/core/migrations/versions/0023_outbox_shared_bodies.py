"""outbox: bodies many messages share are stored once

Revision ID: 0023
Revises: 0019
Create Date: 2026-12-21 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "0023"
down_revision = "0019"
branch_labels = None
depends_on = None

SHARED = sa.text("body_id IS NOT NULL")


def upgrade() -> None:
    """A table of shared bodies, and each message's reference to its own (messages queued
    before keep their whole body in their payload, as before)."""
    op.create_table(
        "outbox_bodies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("html", sa.JSON(), nullable=False),
        sa.Column("created_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("body_id", sa.Integer(), nullable=True))
    op.create_index("ix_outbox_body_id", "outbox", ["body_id"], unique=False,
                    sqlite_where=SHARED, postgresql_where=SHARED)


def downgrade() -> None:
    """Write each shared body back into its messages, then drop the table."""
    bind = op.get_bind()
    table = sa.table("outbox_bodies", sa.column("id"), sa.column("text", sa.JSON()),
                     sa.column("html", sa.JSON()))
    bodies = {row.id: (row.text, row.html) for row in bind.execute(sa.select(table))}
    if bodies:
        from bot.core.outbox.bodies import resolve_payload  # the filling the dispatcher does
        from bot.core.rendering.rendered import Rendered

        outbox = sa.table("outbox", sa.column("id"), sa.column("body_id"),
                          sa.column("payload", sa.JSON()))
        for row in bind.execute(sa.select(outbox.c.id, outbox.c.body_id, outbox.c.payload)
                                .where(outbox.c.body_id.is_not(None))).all():
            body = Rendered.joined(*bodies[row.body_id])
            bind.execute(outbox.update().where(outbox.c.id == row.id)
                         .values(payload=resolve_payload(row.payload, body)))
    op.drop_index("ix_outbox_body_id", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("body_id")
    op.drop_table("outbox_bodies")
