"""outbox: attachments many messages carry are stored once

Revision ID: outbox_attachments
Revises: legal_holds
Create Date: 2026-11-29 07:00:00

A file the messages of one transaction carry alike (the governors' review events) is one row,
named by each message's payload; each message's use of it is a row while the message keeps its
body. Messages queued before keep their files in their payload, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.core.models

revision = "outbox_attachments"
down_revision = "legal_holds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The two tables, empty."""
    op.create_table(
        "outbox_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", bot.core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attachments")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "outbox_attachment_uses",
        sa.Column("message_key", sa.String(length=200), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "message_key", "attachment_id", name=op.f("pk_outbox_attachment_uses")
        ),
    )
    op.create_index(
        op.f("ix_outbox_attachment_uses_attachment_id"),
        "outbox_attachment_uses",
        ["attachment_id"],
        unique=False,
    )


def downgrade() -> None:
    """Write each stored file back into the messages using it, then drop the tables."""
    import base64

    bind = op.get_bind()
    files = sa.table("outbox_attachments", sa.column("id"), sa.column("data", sa.LargeBinary()))
    data = dict(bind.execute(sa.select(files.c.id, files.c.data)).all())
    outbox = sa.table("outbox", sa.column("id"), sa.column("idempotency_key"),
                      sa.column("payload", sa.JSON()))
    uses = sa.table("outbox_attachment_uses", sa.column("message_key"))
    using = outbox.c.idempotency_key.in_(sa.select(uses.c.message_key))
    for row in bind.execute(sa.select(outbox.c.id, outbox.c.payload).where(using)).all():
        inline = [
            {k: v for k, v in a.items() if k not in ("id", "sha256")}
            | ({"data": base64.b64encode(data[a["id"]]).decode()} if "id" in a else {})
            for a in row.payload.get("attachments", [])
        ]
        bind.execute(outbox.update().where(outbox.c.id == row.id)
                     .values(payload=row.payload | {"attachments": inline}))
    op.drop_index(
        op.f("ix_outbox_attachment_uses_attachment_id"), table_name="outbox_attachment_uses"
    )
    op.drop_table("outbox_attachment_uses")
    op.drop_table("outbox_attachments")
