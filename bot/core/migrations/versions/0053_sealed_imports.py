"""sealed_imports: who imported each SCR row (sealed with it), a seal on the scheduler's beat,
and the seal triggers of the kinds sealed in batches from here (a person's own language)

Revision ID: 0053
Revises: 0052
Create Date: 2026-11-27 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The two columns, and the triggers noting the rows of the new batch kinds."""
    from bot.core.audit.batches import trigger_ddl

    with op.batch_alter_table("scr_entries") as batch:
        batch.add_column(sa.Column("imported_by", sa.String(320), nullable=True))
    with op.batch_alter_table("scheduler_beats") as batch:
        batch.add_column(sa.Column("seal", sa.String(80), nullable=True))
    create, _ = trigger_ddl(op.get_bind().dialect.name, since=revision)
    for statement in create:
        op.execute(statement)


def downgrade() -> None:
    """Drop the new batch kinds' triggers and the two columns."""
    from bot.core.audit.batches import trigger_ddl

    _, drop = trigger_ddl(op.get_bind().dialect.name, since=revision)
    for statement in drop:
        op.execute(statement)
    with op.batch_alter_table("scheduler_beats") as batch:
        batch.drop_column("seal")
    with op.batch_alter_table("scr_entries") as batch:
        batch.drop_column("imported_by")
