"""mailbox_pauses: a school's own mailbox is paused on its own, under its address

Revision ID: 0040
Revises: 0035
Create Date: 2026-11-25 04:00:00

A 429 (or a Gmail rate limit) is about one mailbox, so ``outbox_channels`` now keeps a pause per
sending mailbox as well as per channel: ``email`` is the install's mailbox, a school's own
mailbox is keyed by its address (up to 320 characters, as ``mail_sends.mailbox``). No existing
row changes; a downgrade drops the mailboxes' pauses (they end on their own anyway).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_channels") as batch:
        batch.alter_column("channel", type_=sa.String(length=320),
                           existing_type=sa.String(length=20), existing_nullable=False)


def downgrade() -> None:
    channels = sa.table("outbox_channels", sa.column("channel", sa.String()))
    op.execute(channels.delete().where(sa.func.length(channels.c.channel) > 20))
    with op.batch_alter_table("outbox_channels") as batch:
        batch.alter_column("channel", type_=sa.String(length=20),
                           existing_type=sa.String(length=320), existing_nullable=False)
