"""seal the records already stored into the audit chain (a baseline; no schema change)

From this revision every report, chronology entry, attachment, attestation, training record,
decision, policy version, policy review and task completion is sealed into the audit chain when
written. Rows stored before it are sealed here, once, by ``system:upgrade``: from now on any
change to them is detected; a change made before the upgrade cannot be (``audit verify`` says
so). Nothing is rewritten or deleted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import select
from sqlalchemy.orm import Session

revision = "0005"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bot.core.audit import GENESIS
    from bot.core.models import AuditEvent, AuditHead
    from bot.core.seals import BASELINE_ACTOR, seal_existing

    session = Session(bind=op.get_bind())
    already = session.scalar(select(AuditEvent.id).where(AuditEvent.actor == BASELINE_ACTOR))
    if already is None:
        if session.get(AuditHead, 1) is None:
            session.add(AuditHead(id=1, last_hash=GENESIS, count=0))
            session.flush()
        seal_existing(session)
        session.flush()
    session.close()


def downgrade() -> None:
    # the baseline seals are audit events: append-only, kept on downgrade
    pass
