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

revision = "0005"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing here any more: since the audit log is keyed (0026) the baseline is sealed with
    the audit key by ``Store.upgrade``, right after the migrations, which a migration cannot
    do (the key is never in the database). A database that ran this revision before keeps the
    unkeyed baseline it made, carried into the keyed log with the rest."""


def downgrade() -> None:
    # the baseline seals are audit events: append-only, kept on downgrade
    pass
