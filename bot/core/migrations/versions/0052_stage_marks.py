"""changed_people: a duty's reminder stage is not a change to mark; only the duties step
writes it, while it plans (its own writes are not marked anyway)

Revision ID: 0052
Revises: 0051
Create Date: 2026-11-26 22:50:00
"""

# ruff: noqa: S608  (the SQL is built from this module's own column names only)

from __future__ import annotations

from alembic import op

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None

WHOLE, PLANNING = 0, -1  # as in 0049

# the columns of ``duties`` whose change is a change, without the reminder stage
# (``last_stage``, ``reminders_sent``, ``last_reminded_on``): 0049 watched those too, and on a
# digest day SQLite ran the row trigger for each of ~100,000 stage updates (0.7 CPU s of 5),
# each finding the duties step's own mark and writing nothing
_COLUMNS = (
    "person_id",
    "requirement_id",
    "cycle",
    "status",
    "account_id",
    "due_on",
    "chasing_stopped_on",
)
_STAGE = ("last_stage", "reminders_sent", "last_reminded_on")


def _sqlite_mark(row: str) -> str:
    """0049's mark of a duty's person (``NEW`` or ``OLD``)."""
    who = f"COALESCE({row}.person_id, {WHOLE})"
    return (
        f"INSERT INTO changed_people (school_id, person_id) SELECT {row}.school_id, {who}"
        f" WHERE NOT EXISTS (SELECT 1 FROM changed_people c WHERE c.school_id = {row}.school_id"
        f" AND c.person_id IN ({who}, {WHOLE}, {PLANNING}));"
    )


def _sqlite(columns: tuple[str, ...], of: bool) -> str:
    """The row trigger; with ``of``, run only by an update that sets one of ``columns``
    (SQLite does not even start it for an update of the stage alone)."""
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    event = f"UPDATE OF {', '.join(columns)}" if of else "UPDATE"
    return (
        f"CREATE TRIGGER changed_duties_update AFTER {event} ON duties WHEN {changed}"
        f" BEGIN {_sqlite_mark('OLD')} {_sqlite_mark('NEW')} END"
    )


def _postgres(columns: tuple[str, ...]) -> str:
    """0049's statement trigger function, comparing ``columns`` only."""
    old = ", ".join(f"o.{c}" for c in columns)
    new = ", ".join(f"n.{c}" for c in columns)
    return (
        "CREATE OR REPLACE FUNCTION changed_duties_update() RETURNS trigger"
        " LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  INSERT INTO changed_people (school_id, person_id, txid)\n"
        "  SELECT r.school_id, r.person_id, txid_current()\n"
        "    FROM (SELECT DISTINCT school_id, person_id FROM (SELECT x.school_id, x.person_id"
        " FROM new_rows n JOIN old_rows o ON o.id = n.id,"
        f" LATERAL (VALUES (o.school_id, COALESCE(o.person_id, {WHOLE})),"
        f" (n.school_id, COALESCE(n.person_id, {WHOLE}))) AS x(school_id, person_id)"
        f" WHERE ({old}) IS DISTINCT FROM ({new})) x) r\n"
        "   WHERE NOT EXISTS (SELECT 1 FROM changed_people c\n"
        "     WHERE c.school_id = r.school_id AND c.txid = txid_current()\n"
        f"       AND c.person_id IN (r.person_id, {WHOLE}, {PLANNING}));\n"
        "  RETURN NULL;\n"
        "END $$"
    )


def _replace(columns: tuple[str, ...], of: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_postgres(columns))  # the trigger calls it by name: replaced in place
    else:
        op.execute("DROP TRIGGER IF EXISTS changed_duties_update")
        op.execute(_sqlite(columns, of))


def upgrade() -> None:
    """The duties' update trigger watches their columns but the reminder stage."""
    _replace(_COLUMNS, of=True)


def downgrade() -> None:
    """0049's trigger again: the stage columns watched too."""
    _replace(_COLUMNS[:6] + _STAGE + _COLUMNS[6:], of=False)
