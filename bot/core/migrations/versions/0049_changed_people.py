"""changed_people: which of a school's people the duties step must plan again, written by the
database itself whenever what the step reads changes, whoever writes it

Revision ID: 0049
Revises: 0048
Create Date: 2026-11-26 12:40:00
"""

# ruff: noqa: S608  (the SQL is built from this module's own table and column names only)

from __future__ import annotations

from alembic import op

revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None

# person_id 0: a change that is not one person's (every person is planned again); -1: the
# duties step of this transaction is writing (its own writes are not changes)
WHOLE, PLANNING = 0, -1

# What the duties step and its reminders read (``bot.engine.changes.WATCHED`` names the same
# tables): table -> (the column naming the person a row is about, None: the whole school;
# the columns whose change is a change). A person who manages someone is read for others'
# reminders too (their line manager is copied), so a change to them is the whole school's.
WATCHED: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "people": (
        "id",
        (
            "email",
            "display_name",
            "given_name",
            "active",
            "start_date",
            "manager_id",
            "missing_since",
            "has_account",
        ),
    ),
    "person_roles": ("person_id", ("person_id", "role")),
    "person_groups": ("person_id", ("person_id", "name")),
    "duties": (
        "person_id",
        (
            "person_id",
            "requirement_id",
            "cycle",
            "status",
            "account_id",
            "due_on",
            "last_stage",
            "reminders_sent",
            "last_reminded_on",
            "chasing_stopped_on",
        ),
    ),
    "attestations": ("person_id", ("person_id", "policy_version_id", "kind", "at")),
    "training_records": ("person_id", ("person_id", "course", "completed_on")),
    "account_holders": (None, ("account_id", "person_id", "since", "until")),
    "official_accounts": (None, ("aup_policy_id",)),
    "requirements": (None, ("key", "active", "first_seen")),
    "policies": (None, ("key", "kind")),
    "policy_versions": (None, ("policy_id", "published_on", "sha256")),
    "task_completions": (None, ("requirement_id", "cycle", "person_id")),
}


def _who(table: str, row: str) -> str:
    """The person a row (``NEW``/``OLD`` on SQLite, an alias on PostgreSQL) is about."""
    column = WATCHED[table][0]
    if column is None:
        return str(WHOLE)
    if table == "people":
        return (
            f"CASE WHEN EXISTS (SELECT 1 FROM people m WHERE m.manager_id = {row}.id)"
            f" THEN {WHOLE} ELSE {row}.id END"
        )
    return f"COALESCE({row}.{column}, {WHOLE})"


def _sqlite_mark(table: str, row: str) -> str:
    """Record the row's person unless already recorded (or the whole school is, or this
    transaction's duties step is writing). SQLite has one writer: the duties step reads and
    clears the set holding the write lock, so no mark can be skipped for a row it then clears
    unread."""
    who = _who(table, row)
    return (
        f"INSERT INTO changed_people (school_id, person_id) SELECT {row}.school_id, {who}"
        f" WHERE NOT EXISTS (SELECT 1 FROM changed_people c WHERE c.school_id = {row}.school_id"
        f" AND c.person_id IN ({who}, {WHOLE}, {PLANNING}));"
    )


def _sqlite(table: str) -> list[str]:
    """An AFTER trigger for each kind of write, row by row (SQLite has no other kind)."""
    columns = WATCHED[table][1]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    return [
        f"CREATE TRIGGER changed_{table}_insert AFTER INSERT ON {table}"
        f" BEGIN {_sqlite_mark(table, 'NEW')} END",
        f"CREATE TRIGGER changed_{table}_update AFTER UPDATE ON {table} WHEN {changed}"
        f" BEGIN {_sqlite_mark(table, 'OLD')} {_sqlite_mark(table, 'NEW')} END",
        f"CREATE TRIGGER changed_{table}_delete AFTER DELETE ON {table}"
        f" BEGIN {_sqlite_mark(table, 'OLD')} END",
    ]


def _postgres(table: str) -> list[str]:
    """A trigger for each kind of write, once per statement over its transition tables: a
    bulk insert of 5,000 people marks them in one statement. Marks are skipped only when this
    transaction has made them already: a mark another transaction made may be cleared by a
    duties step that read its people before this transaction's change committed."""
    columns = WATCHED[table][1]
    rows = {
        "insert": f"SELECT n.school_id, {_who(table, 'n')} AS person_id FROM new_rows n",
        "delete": f"SELECT o.school_id, {_who(table, 'o')} AS person_id FROM old_rows o",
        "update": (
            f"SELECT x.school_id, x.person_id FROM new_rows n JOIN old_rows o ON o.id = n.id,"
            f" LATERAL (VALUES (o.school_id, {_who(table, 'o')}),"
            f" (n.school_id, {_who(table, 'n')})) AS x(school_id, person_id)"
            f" WHERE ({', '.join(f'o.{c}' for c in columns)}) IS DISTINCT FROM"
            f" ({', '.join(f'n.{c}' for c in columns)})"
        ),
    }
    statements = []
    for event, select in rows.items():
        function = f"changed_{table}_{event}"
        statements.append(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  INSERT INTO changed_people (school_id, person_id, txid)\n"
            "  SELECT r.school_id, r.person_id, txid_current()\n"
            f"    FROM (SELECT DISTINCT school_id, person_id FROM ({select}) x) r\n"
            "   WHERE NOT EXISTS (SELECT 1 FROM changed_people c\n"
            "     WHERE c.school_id = r.school_id AND c.txid = txid_current()\n"
            f"       AND c.person_id IN (r.person_id, {WHOLE}, {PLANNING}));\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        tables = {
            "insert": "NEW TABLE AS new_rows",
            "delete": "OLD TABLE AS old_rows",
            "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        }[event]
        statements.append(
            f"CREATE TRIGGER {function} AFTER {event.upper()} ON {table}"
            f" REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    return statements


def upgrade() -> None:
    """The set, its triggers, and an index on line managers (the people trigger asks whether
    a person manages anyone). Every school starts as a whole-school change: its next duties
    step plans everyone."""
    postgres = op.get_bind().dialect.name == "postgresql"
    serial = "BIGSERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    op.execute(
        f"CREATE TABLE changed_people (id {serial}, school_id VARCHAR(64) NOT NULL,"
        " person_id INTEGER NOT NULL, txid BIGINT)"
    )
    op.execute(
        "CREATE INDEX ix_changed_people_school_person ON changed_people (school_id, person_id)"
    )
    op.execute("CREATE INDEX ix_people_manager_id ON people (manager_id)")
    op.execute(f"INSERT INTO changed_people (school_id, person_id) SELECT id, {WHOLE} FROM schools")
    for table in WATCHED:
        for statement in _postgres(table) if postgres else _sqlite(table):
            op.execute(statement)
    # a new school is a whole-school change from its first row: its first directory sync then
    # marks nobody one by one (each row's trigger finds the school marked)
    mark = f"INSERT INTO changed_people (school_id, person_id) VALUES (NEW.id, {WHOLE})"
    if postgres:
        op.execute(
            "CREATE FUNCTION changed_schools_insert() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n  INSERT INTO changed_people (school_id, person_id, txid)"
            f" VALUES (NEW.id, {WHOLE}, txid_current());\n  RETURN NULL;\nEND $$"
        )
        op.execute(
            "CREATE TRIGGER changed_schools_insert AFTER INSERT ON schools"
            " FOR EACH ROW EXECUTE FUNCTION changed_schools_insert()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER changed_schools_insert AFTER INSERT ON schools BEGIN {mark}; END"
        )


def downgrade() -> None:
    """Drop the triggers, their functions, the index and the set."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        for event in ("insert", "update", "delete"):
            if postgres:
                op.execute(f"DROP TRIGGER changed_{table}_{event} ON {table}")
                op.execute(f"DROP FUNCTION changed_{table}_{event}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS changed_{table}_{event}")
    if postgres:
        op.execute("DROP TRIGGER changed_schools_insert ON schools")
        op.execute("DROP FUNCTION changed_schools_insert()")
    else:
        op.execute("DROP TRIGGER IF EXISTS changed_schools_insert")
    op.execute("DROP INDEX ix_people_manager_id")
    op.execute("DROP TABLE changed_people")
