"""The store: the engine, sessions and migrations every part of the bot uses for its database.
Two connections are opened elsewhere, on purpose: ``init``'s check that a database is empty
(``bot.features.setup.install``) and the scheduler's lock (``schedules.runner``).

Alembic is imported only where a migration runs: it adds ~0.3 s to a command's start
(measured after the sweep's modules), and most runs find the database current (``_script_heads``).
"""

from __future__ import annotations

import copy
import hashlib
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson
from filelock import FileLock
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    String,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    create_engine,
    event,
    false,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker

from bot.core.audit import GENESIS, KEYS, adopt_key
from bot.core.audit.batches import mark_written
from bot.core.audit.queued import seal_waiting
from bot.core.audit.seals import HOOKS as SEALING
from bot.core.audit.seals import seal_baseline, seal_new_kinds
from bot.core.database.connections import make_engine
from bot.core.database.figures import HOOKS as KEEPING
from bot.core.database.sqlite_gate import GatedConnection
from bot.core.models import AuditHead

if TYPE_CHECKING:
    import psycopg
    from alembic.config import Config

    from bot.core.guards.keys import Keyring

__all__ = [
    "Space",
    "Store",
    "allocate_ids",
    "bulk_insert",
    "bulk_set",
    "database_exists",
    "dialect_insert",
    "exclusive",
    "insert_later",
    "one_of",
    "others_waiting",
    "shown_url",
]

MIGRATIONS = Path(__file__).parents[1] / "migrations"


def bulk_insert(session: Session, model: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL, else one executemany.

    COPY writes a first run's million duties two to three times faster than INSERTs, and a
    digest day's outbox rows in one statement instead of one each (psycopg's executemany).
    Every row names the same columns, and every column with a Python-side default must be
    given: COPY applies only the database's own defaults. JSON goes as the engine encodes it.
    """
    insert_later(session, model, rows)()


def others_waiting(session: Session) -> bool:
    """Whether the session's transaction holds SQLite's write gate while another writer of
    this process waits for it (always False on PostgreSQL, where writers do not queue)."""
    raw = session.connection().connection.dbapi_connection
    return isinstance(raw, GatedConnection) and raw.others_waiting()


def insert_later(
    session: Session, model: Any, rows: Sequence[Mapping[str, Any]]
) -> Callable[[], None]:
    """The write that inserts ``rows`` (as ``bulk_insert``), checked and ready to run."""
    if not rows:
        return lambda: None
    table = cast(Table, model.__table__)
    columns = list(rows[0])
    missing = [
        c.name
        for c in table.columns
        if c.name not in columns and c.default is not None and not c.primary_key
    ]
    if missing:
        raise ValueError(f"bulk_insert into {table.name} needs {', '.join(missing)}")
    connection = session.connection()
    if connection.dialect.name != "postgresql":

        def execute() -> None:
            session.execute(insert(table), rows)

        return execute
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    # each column's own conversion, as an INSERT would apply it (e.g. UTC datetimes)
    convert = [table.c[c].type.bind_processor(dialect) for c in columns]
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    mark_written(session, table.name)  # COPY goes past the engine's events

    def write() -> None:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            if not any(convert):  # e.g. duties: every value goes as it is (a million rows)
                values = itemgetter(*columns) if len(columns) > 1 else (lambda r: (r[columns[0]],))
                for row in rows:
                    copy.write_row(values(row))
                return
            for row in rows:
                copy.write_row(
                    [
                        row[c] if f is None else f(row[c])
                        for c, f in zip(columns, convert, strict=True)
                    ]
                )

    return write


def allocate_ids(session: Session, model: Any, count: int) -> list[int]:
    """``count`` new ids for rows of ``model`` written later in this transaction, ascending.

    Rows can then be written with what depends on their ids already in them (a first run's
    duties go in with the reminder sent about them, not written and then updated). PostgreSQL
    draws them from the table's own sequence. SQLite counts on from the highest id, after taking
    the database's write lock, so no other writer can use them first; without AUTOINCREMENT it
    would have handed out the same ids itself.
    """
    if count <= 0:
        return []
    table = cast(Table, model.__table__)
    if session.get_bind().dialect.name == "postgresql":
        # the sequence by number: named in the query it would be looked up for every id
        sequence = session.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')::regclass::oid"),
            {"table": table.name},
        )
        return sorted(
            session.scalars(
                text(
                    "SELECT nextval(CAST(CAST(:sequence AS oid) AS regclass)) "
                    "FROM generate_series(1, :count)"
                ),
                {"sequence": sequence, "count": count},
            )
        )
    ids = table.c.id
    session.execute(update(table).where(false()).values(id=ids))  # takes the write lock
    top = int(session.scalar(select(func.coalesce(func.max(ids), 0))) or 0)
    return list(range(top + 1, top + count + 1))


def one_of(
    session: Session, column: QueryableAttribute[Any], name: str
) -> tuple[ColumnElement[bool], int]:
    """``column IN :name`` for a list given when run, and how many values to give at once.

    PostgreSQL takes the list as one array (``= ANY``): a statement with thousands of values
    costs one parameter to send and plan, not one each (measured: 5x less client CPU and
    half the time for 60,000 ids). SQLite takes it as one JSON array read by ``json_each``:
    the statement is compiled once, where an expanding list was rendered again for each
    500 values (a digest day's 100,000 reminder stages: 200 statements).
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type))), 5000
    values = func.json_each(bindparam(name, type_=_JSONList())).table_valued("value")
    return column.in_(select(values.c.value)), 5000


class _JSONList(TypeDecorator[Sequence[Any]]):
    """A list given as one JSON array (SQLite's ``json_each`` reads it: ``one_of``)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Sequence[Any] | None, dialect: Any) -> str | None:
        """The list as JSON text."""
        return None if value is None else orjson.dumps(list(value)).decode()


def bulk_set(session: Session, column: QueryableAttribute[Any], values: Mapping[int, Any]) -> None:
    """Set ``column`` of many rows, given as primary key -> new value (None clears it).

    PostgreSQL: one statement per 5,000 rows, joined to two arrays (``UPDATE ... FROM
    unnest(:keys, :values)``); with psycopg an executemany would be one statement per row on
    the server (measured: less than half the time for 10,000 rows). SQLite: one executemany of
    a prepared UPDATE, as fast there as a ``CASE`` per 500 rows. Column ``onupdate`` defaults
    apply as in any UPDATE.
    """
    table = cast(Table, column.class_.__table__)
    key, target = table.primary_key.columns.values()[0], table.c[column.key]
    pairs = list(values.items())
    if not pairs:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            update(table).where(key == bindparam("_key")).values({target: bindparam("_value")}),
            [{"_key": k, "_value": v} for k, v in pairs],
        )
        return
    rows = (
        func.unnest(
            bindparam("keys", type_=postgresql.ARRAY(key.type)),
            bindparam("values", type_=postgresql.ARRAY(target.type)),
        )
        .table_valued("key", "value")
        .render_derived(name="v")
    )
    statement = update(table).values({target: rows.c.value}).where(key == rows.c.key)
    for start in range(0, len(pairs), 5000):
        chunk = pairs[start : start + 5000]
        session.execute(statement, {"keys": [k for k, _ in chunk], "values": [v for _, v in chunk]})


def dialect_insert(session: Session, model: Any) -> Any:
    """An INSERT for ``model`` with ``on_conflict_do_nothing/do_update`` for this database.

    Both dialects take a lock with such an upsert, which callers rely on: PostgreSQL locks the
    conflicting row until the transaction ends; on SQLite any write takes the database's single
    write lock (with pysqlite the transaction begins at the first write, so a read-modify-write
    that starts with an upsert sees every committed change and no other writer can interleave).

    Example::

        stmt = dialect_insert(session, ConnectorState).values(school_id="oak", key="k", value="")
        session.execute(stmt.on_conflict_do_nothing(index_elements=["school_id", "key"]))
    """
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(model)


LOCK_CLASS = 0x0C0B  # the first key of our two-key advisory locks (the scheduler uses one key)
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


@contextmanager
def exclusive(session: Session, name: str, timeout: float = 120.0) -> Iterator[None]:
    """Run the block holding the lock ``name`` for this database, across threads and processes.

    It never blocks other writers. PostgreSQL: a transaction-level advisory lock, kept until
    the session's transaction ends (released even if the connection drops). SQLite: a lock
    file beside the database file, released when the block ends (an in-memory database: a
    lock in this process). Raises ``TimeoutError`` after ``timeout`` seconds on SQLite.

    Example::

        with exclusive(session, "reports.mirror:oak"):
            write_the_platform_rows()
    """
    digest = hashlib.sha256(name.encode()).digest()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        key = int.from_bytes(digest[:4], "big", signed=True)
        session.execute(
            text("SELECT pg_advisory_xact_lock(:cls, :key)"), {"cls": LOCK_CLASS, "key": key}
        )
        yield
        return
    database = bind.engine.url.database
    if database and database != ":memory:":
        with FileLock(f"{database}.{digest.hex()[:16]}.lock", timeout=timeout):
            yield
        return
    with _memory_guard:
        lock = _memory_locks.setdefault(name, threading.Lock())
    if not lock.acquire(timeout=timeout):
        raise TimeoutError(f"lock {name!r} is still held after {timeout:.0f} s")
    try:
        yield
    finally:
        lock.release()


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at our migrations and this engine."""
    from alembic.config import Config  # lazy: Alembic adds ~0.3 s (module docstring)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=\s*(.*)$", re.MULTILINE)


@cache
def _script_heads() -> frozenset[str]:
    """The newest migration revision(s), read from the version files without Alembic.

    Importing Alembic costs every command about half a second; most runs find the database
    already current, which this and one query can tell.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            ids = set(re.findall(r"[\"']([^\"']+)[\"']", value))
            (revisions if name == "revision" else parents).update(ids)
    return frozenset(revisions - parents)


@dataclass(frozen=True)
class Space:
    """A SQLite database's disk space: the files (database and its log), what its pages in use
    take, and the free pages inside the file (reused by new rows before the file grows)."""

    file_bytes: int
    used_bytes: int
    free_bytes: int
    returns_free_space: bool  # auto_vacuum=INCREMENTAL: free pages can go back to the disk


class Store:
    """Holds the engine and hands out sessions."""

    def __init__(self, url: str, *, keys: Keyring | None = None) -> None:
        """``keys``: the audit keyring (``Settings.audit_keyring()``); without it the store can
        read, but any write that reaches the audit log raises ``AuditKeyError``."""
        self.url = url
        self.keys = keys
        self.engine = make_engine(url)
        self._sessions = self._factory(self.engine)

    def _factory(self, bind: Engine | Connection) -> sessionmaker[Session]:
        """Sessions that keep the school's figures as they change and seal the records that
        matter into the audit chain: the figures' rows are locked first, before the chain's head
        (as ``figures rebuild`` locks them), one order so that no two commits deadlock."""
        factory = sessionmaker(bind, expire_on_commit=False, info=self._info())
        for hooks in (KEEPING, SEALING):
            for name, hook in hooks.items():
                event.listen(factory, name, hook)
        return factory

    def _info(self) -> dict[str, Any]:
        """What every session carries: the audit keyring, when the store has one."""
        return {} if self.keys is None else {KEYS: self.keys}

    def upgrade(self) -> None:
        """Apply pending migrations (idempotent), seed the audit chain's head row, and have
        the chain record that it continues under this store's key (``audit.adopt_key``).

        Seeding here, not on first use, means two first writers cannot race to create it.
        """
        carry_unkeyed = upgraded = seal_queue = False
        before = None
        if not self._at_head():
            from alembic import command

            carry_unkeyed = not self._log_is_keyed()
            before = max(self._versions(), default=None)  # the newest (None: no schema yet)
            seal_queue = not self._has_column("outbox", "seal")
            command.upgrade(alembic_config(self.engine), "head")
            upgraded = True
        with self.transaction() as session:
            if session.get(AuditHead, 1) is None:
                session.add(AuditHead(id=1, last_hash=GENESIS, count=0))
        if self.keys is not None:
            with self.transaction() as session:
                adopt_key(session, carry_unkeyed=carry_unkeyed)
                if carry_unkeyed:
                    seal_baseline(session)
                elif upgraded:
                    seal_new_kinds(session, before)
        if seal_queue:  # the upgrade that brings queued messages' seals seals those waiting
            with self.transaction() as session:
                seal_waiting(session)

    def _versions(self) -> set[str]:
        """The database's revision(s) (none: no schema yet)."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return set()
            return set(conn.scalars(text("SELECT version_num FROM alembic_version")))

    def _has_column(self, table: str, column: str) -> bool:
        """Whether ``table`` exists and has ``column`` (before an upgrade: what it brings)."""
        with self.engine.connect() as conn:
            found = inspect(conn)
            return found.has_table(table) and any(
                c["name"] == column for c in found.get_columns(table)
            )

    def _log_is_keyed(self) -> bool:
        """Whether the schema already has the keyed audit log (migration 0027). Only the
        upgrade that brings it carries an unkeyed log over: an unkeyed log found later was
        put there by someone else, and is never adopted."""
        return self._has_column("audit_events", "key_id")

    def _at_head(self) -> bool:
        """True when the database is at the one newest revision (checked without Alembic)."""
        heads = _script_heads()
        return len(heads) == 1 and self._versions() == heads

    def session(self) -> Session:
        """A new session (caller commits)."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def pinned(self) -> Iterator[Store]:
        """This store with one connection held for the block: its transactions follow one
        another on that connection instead of each taking one from the pool (on PostgreSQL
        each checkout costs a liveness ping, a round trip). For a loop of many short
        transactions, such as a dispatch pass; one session at a time.

        Example::

            with store.pinned() as one_connection:
                for row_id in claimed:
                    with one_connection.transaction() as session:
                        mark_sending(session, row_id)
        """
        with self.engine.connect() as connection:
            pinned = copy.copy(self)
            pinned._sessions = self._factory(connection)
            yield pinned

    @property
    def is_sqlite(self) -> bool:
        """Whether the backend is SQLite."""
        return self.engine.dialect.name == "sqlite"

    def space(self) -> Space | None:
        """The SQLite file's space (None on PostgreSQL, which manages its own files)."""
        if not self.is_sqlite:
            return None
        with self.engine.connect() as conn:
            pages, free, size, mode = (
                int(conn.execute(text(f"PRAGMA {name}")).scalar_one())
                for name in ("page_count", "freelist_count", "page_size", "auto_vacuum")
            )
        database = self.engine.url.database
        files = 0
        if database and database != ":memory:":
            files = sum(
                p.stat().st_size for p in (Path(database), Path(f"{database}-wal")) if p.exists()
            )
        return Space(
            file_bytes=files,
            used_bytes=(pages - free) * size,
            free_bytes=free * size,
            returns_free_space=mode == 2,
        )

    def release_free_space(self) -> int:
        """Give the SQLite file's free pages back to the disk and cut the log back; the bytes
        returned (0 on PostgreSQL, or a file made before ``auto_vacuum``: see ``compact``)."""
        before = self.space()
        if before is None or not before.returns_free_space:
            return 0
        with self.engine.connect() as conn:
            raw = cast(sqlite3.Connection, conn.connection.dbapi_connection)
            try:
                # a script steps the pragma to its end (one execute frees a single page)
                raw.executescript("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")
            except sqlite3.OperationalError as exc:
                if (exc.sqlite_errorcode & 0xFF) != sqlite3.SQLITE_BUSY:
                    raise
                return 0  # a writer held on past the busy timeout: the next run gives it back
        after = self.space()
        return max(0, before.file_bytes - (after.file_bytes if after else 0))

    def compact(self) -> Space | None:
        """Rewrite the SQLite file once (``VACUUM``) so that it returns free space by itself
        from then on; None on PostgreSQL (autovacuum reuses its space).

        It needs free disk space the size of the database and holds every writer until done.
        """
        if not self.is_sqlite:
            return None
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("PRAGMA auto_vacuum=INCREMENTAL"))
            conn.execute(text("VACUUM"))
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).all()
        return self.space()

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def shown_url(url: str) -> str:
    """The database's address as a person may see it: the password left out."""
    parsed = make_url(url)
    # ``URL.set(password=None)`` keeps the password (None means "unchanged"): build it anew
    bare = URL.create(
        parsed.drivername,
        parsed.username,
        None,
        parsed.host,
        parsed.port,
        parsed.database,
        parsed.query,
    )
    return bare.render_as_string(hide_password=False)


def database_exists(url: str) -> bool:
    """Whether the bot's database is already there: a SQLite file that exists, or a server
    database holding our tables. Never creates anything (opening a SQLite URL would)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return (
            not parsed.database or parsed.database == ":memory:" or Path(parsed.database).exists()
        )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table("alembic_version")
    finally:
        engine.dispose()
