"""Tables the bot writes in bulk are sealed too, in batches: one event per kind per transaction.

People and their roles, requirements, report clocks, settings versions, duties that are no
longer open and outbox rows that were sent change what the bot does, and most of them are
written by bulk statements (a directory sync of 100,000 staff, a digest morning's queue) that
the ORM hook in ``seals`` never sees. So the database notes each row written (triggers into
``seal_queue``, made by migration 0027) and, when the transaction commits, the rows noted are
read back and sealed: an audit event ``records.sealed`` per kind (per 5,000 rows) carrying each
row's keyed digest, and the ids of rows the bot deleted.

Only rows written through the bot's own connections are noted: each connection carries a
random tag (an SQLite function, a PostgreSQL session setting) that the triggers copy, and a
transaction drains only its connection's tag. Someone writing with another connection leaves
nothing the bot will seal, so ``audit verify`` finds the row unsealed or changed.

Which rows: every row of people, roles, requirements, report clocks and settings versions; a
duty once it is no longer open (marked done, exempt, closed — and if it is opened again); an
outbox row once it was sent (and if it is changed or deleted afterwards). A duty's reminder
counts and an outbox row's attempts and body are not sealed: they change on every run.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Engine, Select, Table, bindparam, event, select, text
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.audit.chain import keyed_digest
from bot.core.models import Base

__all__ = [
    "BATCHES",
    "BATCH_SEALED",
    "TAG",
    "Batch",
    "batch_digest",
    "canon",
    "drain",
    "drain_tags",
    "forget",
    "install_tags",
    "mark_written",
    "sealing_key",
    "trigger_ddl",
]

BATCH_SEALED = "records.sealed"
SEAL_ACTOR = "system:seal"
TAG = "seal_tag"  # connection info: this connection's tag
_DIRTY = "seal_dirty"  # connection info: a noted table was written since the last drain
_CHUNK = 5000


@dataclass(frozen=True)
class Batch:
    """One kind sealed in batches: its table, the columns sealed, which rows (SQL over a row
    alias ``{r}``, and the same test in Python), and whether each field gets a digest of its
    own so a change can be named (small tables only)."""

    name: str
    table_name: str
    columns: tuple[str, ...]
    when_sql: str | None = None
    when: Callable[[Mapping[str, Any]], bool] | None = None
    fields: bool = False
    ident: tuple[str, ...] = ()  # ids kept with each seal, to name a row that was deleted
    # the migration that made its triggers, when later than the first (0027); an upgrade from
    # before it seals the rows stored then (``seals.seal_new_kinds``)
    since: str | None = None

    @property
    def table(self) -> Table:
        """The table."""
        return Base.metadata.tables[self.table_name]

    def sealed(self, row: Mapping[str, Any]) -> bool:
        """Whether a row in this state must carry a seal."""
        return self.when is None or self.when(row)


BATCHES: tuple[Batch, ...] = (
    Batch(
        "person",
        "people",
        (
            "id",
            "school_id",
            "external_id",
            "email",
            "display_name",
            "given_name",
            "family_name",
            "job_title",
            "manager_id",
            "start_date",
            "active",
            "left_on",
            "missing_since",
            "has_account",
            "source",
        ),
    ),
    Batch(
        "person_role",
        "person_roles",
        ("id", "school_id", "person_id", "role", "source"),
        ident=("person_id", "role"),
    ),
    Batch(
        "requirement",
        "requirements",
        ("id", "school_id", "key", "kind", "title", "policy_id", "spec", "active", "first_seen"),
        fields=True,
        ident=("key",),
    ),
    Batch(
        "report_clock",
        "report_clocks",
        (
            "id",
            "school_id",
            "report_id",
            "kind",
            "started_at",
            "due_at",
            "stopped_at",
            "stopped_by",
            "escalations_sent",
        ),
        fields=True,
        ident=("report_id", "kind"),
    ),
    Batch(
        "config_version",
        "config_versions",
        ("id", "created_at", "created_by", "note", "sha256", "document"),
        fields=True,
    ),
    Batch(
        "duty",
        "duties",
        (
            "id",
            "school_id",
            "requirement_id",
            "person_id",
            "kind",
            "cycle",
            "policy_version_id",
            "account_id",
            "status",
            "closed_on",
            "closed_reason",
            "evidence_ref",
        ),
        when_sql="{r}.status <> 'open'",
        when=lambda row: row["status"] != "open",
        ident=("person_id", "requirement_id", "cycle"),
    ),
    Batch(
        "sent_message",
        "outbox",
        (
            "id",
            "school_id",
            "idempotency_key",
            "channel",
            "purpose",
            "recipients",
            "cc",
            "subject",
            "status",
            "sent_at",
            "provider_id",
            "body_sha256",
        ),
        when_sql="{r}.status = 'sent'",
        when=lambda row: row["status"] == "sent",
        ident=("purpose",),
    ),
    # a person's own language (cy or en where the school is dual-language): every email and
    # page they are sent is in it
    Batch(
        "person_language",
        "people",
        ("id", "school_id", "language"),
        when_sql="{r}.language IS NOT NULL",
        when=lambda row: row["language"] is not None,
        since="0053",
    ),
)
_BY_TABLE = {b.table_name for b in BATCHES}
_WRITES = re.compile(r'\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


# --------------------------------------------------------------------------- digests


_PLAIN = frozenset({str, int, float, bool, type(None), list, dict})  # JSON as they are


def canon(value: Any) -> Any:
    """A value in one form whichever database gave it (UTC naive times, bytes by hash)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    return value


def _flat(value: Any) -> Any:
    """``canon`` for the few values that need it (times, dates, bytes): a sealed batch can be
    100,000 rows of a dozen columns."""
    return value if type(value) in _PLAIN else canon(value)


def batch_digest(
    key: bytes | None, batch: Batch, row: Mapping[str, Any], columns: Sequence[str] | None = None
) -> str:
    """The keyed digest of a row's sealed columns (128 bits, hex)."""
    body = orjson.dumps(
        [_flat(row.get(c)) for c in columns or batch.columns],
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return keyed_digest(key, body)[:32]


def field_digest(key: bytes | None, value: Any) -> str:
    """A short keyed digest of one field, so a changed field can be named (never its content)."""
    body = orjson.dumps(canon(value), option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return keyed_digest(key, body)[:16]


# --------------------------------------------------------------------------- the triggers


def trigger_ddl(dialect: str, since: str | None = None) -> tuple[list[str], list[str]]:
    """The statements that create the triggers noting written rows, and those dropping them:
    of the kinds whose triggers the migration ``since`` makes (None: the first, 0027, which
    makes the function PostgreSQL's triggers call too)."""
    create: list[str] = []
    drop: list[str] = []
    if dialect == "postgresql" and since is None:
        create.append(
            "CREATE OR REPLACE FUNCTION seal_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "DECLARE tag text := current_setting('compliance_bot.seal_tag', true);\n"
            "BEGIN\n"
            "  IF tag IS NULL OR tag = '' THEN RETURN NULL; END IF;\n"
            "  IF TG_OP = 'DELETE' THEN\n"
            "    INSERT INTO seal_queue (tag, kind, row_id) VALUES (tag, TG_ARGV[0], OLD.id);\n"
            "  ELSE\n"
            "    INSERT INTO seal_queue (tag, kind, row_id) VALUES (tag, TG_ARGV[0], NEW.id);\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
    for batch in (b for b in BATCHES if b.since == since):
        table, cols = batch.table_name, ", ".join(batch.columns)
        cond = batch.when_sql
        ops = {
            "i": ("INSERT", cond.format(r="NEW") if cond else None, "NEW"),
            "u": (
                f"UPDATE OF {cols}",
                f"({cond.format(r='OLD')} OR {cond.format(r='NEW')})" if cond else None,
                "NEW",
            ),
            "d": ("DELETE", cond.format(r="OLD") if cond else None, "OLD"),
        }
        for suffix, (op, when, row) in ops.items():
            name = f"seal_{table}_{suffix}" if since is None else f"seal_{batch.name}_{suffix}"
            if dialect == "postgresql":
                clause = f" WHEN ({when})" if when else ""
                create.append(
                    f'CREATE TRIGGER {name} AFTER {op} ON "{table}" FOR EACH ROW{clause} '
                    f"EXECUTE FUNCTION seal_enqueue('{batch.name}')"
                )
                drop.append(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            else:
                # the row's own test first: the tag is a call into Python, made only for rows
                # that are noted (a day's 10,000 queued reminders never make it)
                test = (f"{when} AND " if when else "") + "seal_tag() IS NOT NULL"
                insert = (
                    f"INSERT INTO seal_queue (tag, kind, row_id) VALUES "  # noqa: S608
                    f"(seal_tag(), '{batch.name}', {row}.id)"
                )  # constants only
                create.append(
                    f'CREATE TRIGGER {name} AFTER {op} ON "{table}" WHEN {test} BEGIN {insert}; END'
                )
                drop.append(f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql" and since is None:
        drop.append("DROP FUNCTION IF EXISTS seal_enqueue()")
    return create, drop


def _sqlite_tag(dbapi_connection: Any, record: Any) -> None:
    """Give an SQLite connection its tag, as the function the triggers call: a trigger that
    notes a row calls it, so the connection knows exactly when its commit has rows to seal
    (a claim or a start of an outbox row writes the table but notes nothing)."""
    tag = secrets.token_hex(16)
    info = record.info
    info[TAG] = tag

    def noted_tag() -> str:
        info[_DIRTY] = True
        return tag

    dbapi_connection.create_function("seal_tag", 0, noted_tag)


def _postgres_tag(dbapi_connection: Any, record: Any) -> None:
    """Give a PostgreSQL connection its tag, as a setting of its session."""
    tag = secrets.token_hex(16)
    record.info[TAG] = tag
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT set_config('compliance_bot.seal_tag', %s, false)", (tag,))
    dbapi_connection.commit()


def _noted(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    """PostgreSQL: note that a noted table was written on this connection (so the commit
    drains); a statement with a CTE (``WITH ... UPDATE``) counts too."""
    if statement[:6].upper() == "SELECT":
        return
    if any(found.group(1) in _BY_TABLE for found in _WRITES.finditer(statement)):
        conn.info[_DIRTY] = True


def install_tags(engine: Engine) -> None:
    """Tag every connection ``engine`` opens and watch its writes
    (``bot.core.database.connections.make_engine`` calls it)."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgres_tag)
        event.listen(engine, "after_cursor_execute", _noted)
    else:  # SQLite's triggers say so themselves (``_sqlite_tag``)
        event.listen(engine, "connect", _sqlite_tag)


def mark_written(session: Session, table_name: str) -> None:
    """Note a write the engine did not see (PostgreSQL COPY through the driver)."""
    if table_name in _BY_TABLE:
        session.connection().info[_DIRTY] = True


# --------------------------------------------------------------------------- at commit


def read_by_ids(
    session: Session, table: Table, columns: Sequence[str], ids: Sequence[int]
) -> Iterator[dict[str, Any]]:
    """The rows of ``table`` with ``ids`` (``columns`` only), by id: what a commit seals. Its
    SELECT is built once per table and database: a statement keeps its cache key, so a commit
    that seals (one a delivered message) does not build it again."""
    # cycle: the store puts this module's hooks in every engine it makes (install_tags,
    # mark_written); one_of is its one way to read by many ids (tests/test_layout.py)
    from bot.core.database.store import one_of

    known = (table.name, tuple(columns), session.get_bind().dialect.name)
    if known not in _READS:
        # PostgreSQL: 5,000 ids a statement as one array (a column serves as an attribute)
        among, size = one_of(session, cast(Any, table.c.id), "ids")
        query = select(*[table.c[c] for c in columns]).where(among).order_by(table.c.id)
        _READS[known] = query, size
    query, size = _READS[known]
    for start in range(0, len(ids), size):
        for values in session.execute(query, {"ids": list(ids[start : start + size])}):
            yield dict(zip(columns, values, strict=True))


_READS: dict[tuple[str, tuple[str, ...], str], tuple[Select[Any], int]] = {}


def sealing_key(session: Session) -> bytes:
    """The key seals are made with: the session's audit key (``AuditKeyError`` without one)."""
    keys = audit.keyring_of(session)
    if keys is None:
        raise audit.AuditKeyError("sealing records needs a session with an audit keyring")
    return keys.current


def forget(connection: Connection | None) -> None:
    """A rolled-back transaction's notes are gone with it."""
    if connection is not None:
        connection.info.pop(_DIRTY, None)


def drain(session: Session, conn: Connection) -> list[audit.Entry]:
    """The seal events for the rows the transaction on ``conn`` wrote (none read when it
    wrote none of them: no round trip)."""
    if not conn.info.pop(_DIRTY, False):
        return []
    tag = conn.info.get(TAG)
    return [] if tag is None else drain_tags(session, [tag])


# built once: a statement keeps its cache key (every commit that seals runs it)
_TAKE_NOTES = text("DELETE FROM seal_queue WHERE tag IN :tags RETURNING kind, row_id").bindparams(
    bindparam("tags", expanding=True)
)


def drain_tags(session: Session, tags: Sequence[str]) -> list[audit.Entry]:
    """The seal events for the rows noted under ``tags`` (their notes deleted)."""
    noted = session.execute(_TAKE_NOTES, {"tags": list(tags)}).all()
    if not noted:
        return []
    key = sealing_key(session)
    ids: dict[str, set[int]] = {}
    for kind, row_id in noted:
        ids.setdefault(kind, set()).add(int(row_id))
    entries: list[audit.Entry] = []
    for batch in BATCHES:
        wanted = sorted(ids.get(batch.name, ()))
        if not wanted:
            continue
        sealed = _Sealed(batch, key)
        for row in read_by_ids(session, batch.table, batch.columns, wanted):
            sealed.add(row)
        removed = [i for i in wanted if str(i) not in sealed.rows]
        entries += sealed.events(removed)
    return entries


class _Sealed:
    """The digests of rows of one kind, gathered into events of 5,000 rows."""

    def __init__(self, batch: Batch, key: bytes) -> None:
        self.batch, self.key = batch, key
        self.rows: dict[str, str] = {}
        self.fields: dict[str, dict[str, str]] = {}
        self.ident: dict[str, list[Any]] = {}

    def add(self, row: Mapping[str, Any]) -> None:
        """One stored row."""
        batch, key, name = self.batch, self.key, str(row["id"])
        self.rows[name] = batch_digest(key, batch, row)
        if batch.fields:
            self.fields[name] = {c: field_digest(key, row[c]) for c in batch.columns}
        if batch.ident:
            self.ident[name] = [canon(row[c]) for c in batch.ident]

    def events(self, removed: Sequence[int], actor: str = SEAL_ACTOR) -> list[audit.Entry]:
        """One event per 5,000 rows (the first also names the rows the bot deleted)."""
        ids = list(self.rows)
        out: list[audit.Entry] = []
        for start in range(0, max(len(ids), 1), _CHUNK):
            part = ids[start : start + _CHUNK]
            details: dict[str, Any] = {
                "columns": list(self.batch.columns),
                "rows": {i: self.rows[i] for i in part},
            }
            if self.batch.fields:
                details["fields"] = {i: self.fields[i] for i in part}
            if self.batch.ident:
                details["ident"] = {i: self.ident[i] for i in part}
            if start == 0 and removed:
                details["removed"] = list(removed)
            if part or removed:
                out.append(audit.Entry(actor, BATCH_SEALED, self.batch.name, None, None, details))
        return out


def seal_all(session: Session, actor: str, batches: Sequence[Batch] = BATCHES) -> dict[str, int]:
    """Seal every stored row of every batch kind (of ``batches``) that must carry a seal (the
    upgrade that starts sealing them); how many of each."""
    key = sealing_key(session)
    counts: dict[str, int] = {}
    for batch in batches:
        table = batch.table
        query = select(*[table.c[c] for c in batch.columns]).order_by(table.c.id)
        sealed = _Sealed(batch, key)
        for found in session.execute(query.execution_options(yield_per=_CHUNK)):
            row = dict(found._mapping)
            if batch.sealed(row):
                sealed.add(row)
        audit.record_many(session, sealed.events((), actor))
        counts[batch.name] = len(sealed.rows)
    return counts
