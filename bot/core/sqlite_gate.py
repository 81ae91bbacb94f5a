"""One SQLite writer at a time within a process, in the order they asked: a fair write gate.

SQLite lets one connection write at a time. A connection that finds the file locked waits in
SQLite's busy handler, which sleeps and retries (1, 2, 5 … 100 ms), so under steady writing a
waiter keeps waking just after someone else took the lock: measured on the public form with
eight people reporting at once, most reports were stored in 90 ms but one in twenty waited
over 1.4 s. Within one process the writers can queue instead: each connection takes this gate
before its transaction's first write and gives it back when the transaction ends, and the gate
serves them first come, first served. Other processes (a dispatch worker, the scheduler) still
meet SQLite's own lock and busy handler, as before.

A writer that waits longer than ``WAIT_FOR`` goes ahead without the gate (and so meets
SQLite's busy timeout, as it would have without the gate): the gate orders writers, it never
makes one fail that would have succeeded.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterable
from typing import Any, Self

__all__ = ["WAIT_FOR", "GatedConnection", "WriteGate", "gate_for"]

log = logging.getLogger(__name__)

WAIT_FOR = 10.0  # seconds; the same patience as SQLite's busy timeout (store.py)
# statements that take SQLite's write lock (a CTE may end in one of the others)
_WRITES = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|WITH\b.*\b(?:INSERT|UPDATE|DELETE))\b",
    re.IGNORECASE | re.DOTALL,
)


class WriteGate:
    """A first-come, first-served lock held by one connection at a time (a ticket lock)."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()  # tickets whose holders stopped waiting
        self._holder: object | None = None

    def enter(self, holder: object, wait_for: float = WAIT_FOR) -> bool:
        """Wait for ``holder``'s turn; True when it holds the gate, False after ``wait_for``."""
        with self._turn:
            ticket = self._next_ticket
            self._next_ticket += 1
            if self._turn.wait_for(lambda: self._serving == ticket, timeout=wait_for):
                self._holder = holder
                return True
            # give up the place in the queue: whoever is behind must not wait for this one
            self._abandoned.add(ticket)
            self._pass_on()
            return False

    def leave(self, holder: object) -> None:
        """Give the gate to the next in line (only its holder can)."""
        with self._turn:
            if self._holder is not holder:
                return
            self._holder = None
            self._serving += 1
            self._pass_on()

    def _pass_on(self) -> None:
        """Skip the tickets given up, then wake the waiters to see whose turn it is."""
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._turn.notify_all()


_GATES: dict[str, WriteGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(database: str) -> WriteGate:
    """The process's gate for one database file (one per path)."""
    with _GATES_LOCK:
        return _GATES.setdefault(database, WriteGate())


class _GatedCursor(sqlite3.Cursor):
    """A cursor whose writes wait for the connection's turn at the gate."""

    connection: GatedConnection

    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        self.connection.before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after()

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> Self:
        self.connection.before(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.after()


class GatedConnection(sqlite3.Connection):
    """A pysqlite connection that takes its database's write gate for each write transaction
    (``sqlite3.connect(..., factory=GatedConnection)``, then ``connection.gate = ...``).

    Statements go through ``cursor()``, as SQLAlchemy sends them; the shortcut
    ``Connection.execute`` makes its cursor in C and would pass the gate by.
    """

    gate: WriteGate | None = None
    _holding = False

    def cursor(self, factory: Any = _GatedCursor) -> Any:
        return super().cursor(factory)

    def before(self, sql: str) -> None:
        """Take the gate before the first write of a transaction."""
        if self._holding or self.gate is None or not _WRITES.match(sql):
            return
        if self.gate.enter(self):
            self._holding = True
        else:
            log.warning("a database write waited %.0f s for its turn; going ahead", WAIT_FOR)

    def after(self) -> None:
        """A statement outside a transaction (autocommit) ends the turn at once."""
        if self._holding and not self.in_transaction:
            self._release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.after()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.after()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._holding and self.gate is not None:
            self._holding = False
            self.gate.leave(self)
