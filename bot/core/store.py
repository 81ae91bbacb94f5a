"""The store: engine, sessions and migrations. The only module that knows about the database."""

from __future__ import annotations

import copy
import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["Store", "StoreError", "dialect_insert", "exclusive", "make_engine"]

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(Exception):
    """The database could not be opened or is at an unexpected revision."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, real foreign keys, and patience when the file is busy."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get their folder created and WAL mode switched on.

    Parameters are hidden from every error message and log line the engine makes: they are
    report contents, names and email addresses, and an error's text ends up in logs.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)


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
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


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
    from alembic.config import Config

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


class Store:
    """Holds the engine and hands out sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        from bot.core.seals import install

        install(self._sessions)  # records that matter are sealed into the audit chain

    def upgrade(self) -> None:
        """Apply pending migrations (idempotent) and seed the audit chain's head row.

        Seeding here, not on first use, means two first writers cannot race to create it.
        """
        if not self._at_head():
            from alembic import command

            command.upgrade(alembic_config(self.engine), "head")
        from bot.core.audit import GENESIS
        from bot.core.models import AuditHead

        with self.transaction() as session:
            if session.get(AuditHead, 1) is None:
                session.add(AuditHead(id=1, last_hash=GENESIS, count=0))

    def _at_head(self) -> bool:
        """True when the database is at the one newest revision (checked without Alembic)."""
        heads = _script_heads()
        if len(heads) != 1:
            return False
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return False
            current = set(conn.scalars(text("SELECT version_num FROM alembic_version")))
        return current == heads

    def is_current(self) -> bool:
        """True when the database is at the newest migration."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(alembic_config(self.engine))
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return current == script.get_current_head()

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
        from bot.core.seals import install

        with self.engine.connect() as connection:
            pinned = copy.copy(self)
            pinned._sessions = sessionmaker(connection, expire_on_commit=False)
            install(pinned._sessions)
            yield pinned

    @property
    def is_sqlite(self) -> bool:
        """Whether the backend is SQLite."""
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
