"""why an official account needs a handover, kept as a kind and its values (said in the
reader's language) instead of an English sentence

Revision ID: 0051
Revises: 0049
Create Date: 2026-11-26 16:00:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None

# the sentences the bot stored before (``bot.core.models.accounts.HANDOVER_REASONS`` says
# them now): each shape and its kind; anything else stays free text, shown as it is
_SHAPES = (
    ("left", re.compile(r"(?P<person>.+) has left; change the login and hand over")),
    ("stopped", re.compile(r"(?P<person>.+) no longer runs this account")),
    ("removed", re.compile(r"a holder was removed from the account")),
)
_SENTENCES = {
    "left": "{person} has left; change the login and hand over",
    "stopped": "{person} no longer runs this account",
    "removed": "a holder was removed from the account",
}


def _accounts() -> sa.TableClause:
    return sa.table(
        "official_accounts",
        sa.column("id", sa.Integer()),
        sa.column("handover_reason", sa.Text()),
        sa.column("handover_kind", sa.String()),
        sa.column("handover_values", sa.JSON()),
    )


def _parsed(reason: str) -> tuple[str, dict[str, str]] | None:
    """The kind and values of a stored sentence, or None when it is not one the bot wrote."""
    for kind, shape in _SHAPES:
        found = shape.fullmatch(reason)
        if found:
            return kind, found.groupdict()
    return None


def upgrade() -> None:
    """``handover_kind`` and ``handover_values``; each stored sentence of a known shape becomes
    its kind and values, any other kept as free text in ``handover_reason``."""
    op.add_column("official_accounts", sa.Column("handover_kind", sa.String(20), nullable=True))
    op.add_column("official_accounts", sa.Column("handover_values", sa.JSON(), nullable=True))
    accounts = _accounts()
    bind = op.get_bind()
    stored = bind.execute(
        sa.select(accounts.c.id, accounts.c.handover_reason).where(
            accounts.c.handover_reason.is_not(None)
        )
    ).all()
    for account_id, reason in stored:
        parsed = _parsed(reason)
        if parsed is None:
            continue
        kind, values = parsed
        bind.execute(
            sa.update(accounts)
            .where(accounts.c.id == account_id)
            .values(handover_kind=kind, handover_values=values, handover_reason=None)
        )


def downgrade() -> None:
    """Each kind said again as the English sentence it was stored as; drop the columns in
    place (a batch copy of ``official_accounts`` would lose the triggers 0049 put on it)."""
    accounts = _accounts()
    bind = op.get_bind()
    stored = bind.execute(
        sa.select(accounts.c.id, accounts.c.handover_kind, accounts.c.handover_values).where(
            accounts.c.handover_kind.is_not(None)
        )
    ).all()
    for account_id, kind, values in stored:
        if kind in _SENTENCES:
            bind.execute(
                sa.update(accounts)
                .where(accounts.c.id == account_id)
                .values(handover_reason=_SENTENCES[kind].format(**(values or {})))
            )
    op.drop_column("official_accounts", "handover_values")
    op.drop_column("official_accounts", "handover_kind")
