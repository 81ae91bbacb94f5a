"""How a database address becomes an engine: SQLite's pragmas (WAL, real foreign keys,
patience when busy), its savepoints nested as on PostgreSQL, this process's SQLite writers in
turn (``sqlite_gate``), JSON written with orjson, and parameters kept out of every error and
log line. The store (``bot.core.database.store``) opens one of these."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from bot.core.audit.batches import install_tags
from bot.core.database.sqlite_gate import GatedConnection, gate_for

__all__ = ["WAL_SIZE_LIMIT", "make_engine"]


# the write-ahead log is cut back to this size after a big transaction (a digest day's queue)
WAL_SIZE_LIMIT = 16 * 1024 * 1024


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, real foreign keys, and patience when the file is busy.

    A new (empty) file gets ``auto_vacuum=INCREMENTAL`` first, before WAL: SQLite takes it only
    while a file has no tables (an older file gets it at ``Store.compact``), and setting it on a
    file that has them would write to it at every connection.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
        cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
    for pragma in (
        "journal_mode=WAL",
        f"journal_size_limit={WAL_SIZE_LIMIT}",
        "foreign_keys=ON",
        "synchronous=NORMAL",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_savepoint_inside(conn: Connection, _name: str) -> None:
    """Open the transaction before a savepoint that would otherwise be its start.

    pysqlite begins a transaction only before a write; a SAVEPOINT outside one starts one of
    its own, which its RELEASE then commits. So a session that had only read when it made a
    savepoint (``begin_nested``) kept the savepoint's writes even when it rolled back later:
    a report stored and its clock and alerts lost. ``BEGIN`` first (deferred: it takes no lock
    the SAVEPOINT would not have taken) makes the savepoint nested, as on PostgreSQL.
    """
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        dbapi.execute("BEGIN")


def _json_dumps(value: Any) -> str:
    """JSON columns written with orjson: a digest day encodes 10,000 rendered emails.

    Like ``json.dumps`` it turns non-string keys into strings; unlike it, text stays UTF-8
    rather than ``\\u`` escapes (both read back the same).
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get their folder created and WAL mode switched on.

    Parameters are hidden from every error message and log line the engine makes: they are
    report contents, names and email addresses, and an error's text ends up in logs.
    """
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    connect_args: dict[str, Any] = {"check_same_thread": False} if sqlite else {}
    if sqlite and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        # this process's writers queue for the file in turn (see sqlite_gate)
        connect_args["factory"] = GatedConnection
        gate = gate_for(str(path.resolve()))

        def _gated(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.gate = gate

    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(
        parsed,
        connect_args=connect_args,
        pool_pre_ping=not sqlite,
        hide_parameters=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _sqlite_savepoint_inside)
    if "factory" in connect_args:
        event.listen(engine, "connect", _gated)
    install_tags(engine)  # rows its connections write to bulk-sealed tables are noted
    return engine
