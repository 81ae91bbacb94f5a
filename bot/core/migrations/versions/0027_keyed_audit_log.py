"""audit: a keyed log (key id per entry, a signed head) and bulk-written tables sealed too

Each audit entry records the key it was made with (``key_id``; NULL for entries made before
this revision, kept as they are); the head keeps the key's id and an HMAC of its count and
last hash. ``seal_queue`` and its triggers note the rows the bot's own connections write to
people, roles, requirements, report clocks, settings versions, duties (once not open) and the
outbox (once sent), so each commit seals them (``bot.core.audit.batches``). The key is never
in the database: ``Store.upgrade`` verifies the unkeyed log and carries it over with a keyed
event, and seals the rows already stored, right after this revision is applied.

Revision ID: 0027
Revises: 0026
Create Date: 2027-01-04 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The key columns, the note table and its triggers."""
    from bot.core.audit.batches import trigger_ddl

    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("key_id", sa.String(12), nullable=True))
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("key_id", sa.String(12), nullable=True))
        batch.add_column(sa.Column("mac", sa.String(64), nullable=True))
    op.create_table(
        "seal_queue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tag", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_seal_queue_tag", "seal_queue", ["tag"], unique=False)
    create, _ = trigger_ddl(op.get_bind().dialect.name)
    for statement in create:
        op.execute(statement)


def downgrade() -> None:
    """Drop the triggers, the note table and the key columns (entries keep their hashes)."""
    from bot.core.audit.batches import trigger_ddl

    _, drop = trigger_ddl(op.get_bind().dialect.name)
    for statement in drop:
        op.execute(statement)
    op.drop_index("ix_seal_queue_tag", table_name="seal_queue")
    op.drop_table("seal_queue")
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("mac")
        batch.drop_column("key_id")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("key_id")
