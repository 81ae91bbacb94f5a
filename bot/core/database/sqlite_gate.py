"""One SQLite writer at a time within a process, in the order they asked: a fair write gate.

SQLite lets one connection write at a time. A connection that finds the file locked waits in
SQLite's busy handler, which sleeps and retries (1, 2, 5 … 100 ms), so under steady writing a
waiter keeps waking just after someone else took the lock: measured on the public form with
eight people reporting at once, most reports were stored in 90 ms but one in twenty waited
over 1.4 s. Within one process the writers can queue instead: each connection takes this gate
before its transaction's first write and gives it back when the transaction ends, and the gate
serves them first come, first served. Other processes (a dispatch worker, the scheduler) still
meet SQLite's own lock and busy handler, as before.

Writers inside ``first_in_line`` (the web process handing urgent mail to the platform after a
report is stored) are served before the others waiting: otherwise the hand-over's two writes a
message (its move to ``sending``, then the platform's answer) each queue behind every report
of a burst being stored, and an alert waits for all of them (#55).

A writer that waits longer than ``WAIT_FOR`` goes ahead without the gate (and so meets
SQLite's busy timeout, as it would have without the gate): the gate orders writers, it never
makes one fail that would have succeeded.
"""

from __future__ import annotations

import heapq
import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Self

__all__ = ["WAIT_FOR", "GatedConnection", "WriteGate", "first_in_line", "gate_for"]

log = logging.getLogger(__name__)

WAIT_FOR = 10.0  # seconds; the same patience as SQLite's busy timeout (store.py)
# statements that take SQLite's write lock (a CTE may end in one of the others)
_WRITES = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|WITH\b.*\b(?:INSERT|UPDATE|DELETE))\b",
    re.IGNORECASE | re.DOTALL,
)


class WriteGate:
    """A lock held by one connection at a time, given in the order it was asked for; a writer
    marked *first* (``first_in_line``: the web process's hand-over of urgent mail) is given it
    before every writer that is not, so that an alert never queues behind a burst of writes."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._next_ticket = 0  # how many have asked (the order among equals)
        self._waiting: list[tuple[int, int, object]] = []  # (0 first / 1 not, ticket, holder)
        self._holder: object | None = None

    def enter(self, holder: object, wait_for: float = WAIT_FOR, *, first: bool = False) -> bool:
        """Wait for ``holder``'s turn; True when it holds the gate, False after ``wait_for``."""
        with self._turn:
            ticket = self._next_ticket
            self._next_ticket += 1
            if self._holder is None and not self._waiting:
                self._holder = holder
                return True
            place = (0 if first else 1, ticket, holder)
            heapq.heappush(self._waiting, place)
            if self._turn.wait_for(lambda: self._holder is holder, timeout=wait_for):
                return True
            # give up the place in the queue: whoever is behind must not wait for this one
            self._waiting.remove(place)
            heapq.heapify(self._waiting)
            return False

    def waiting(self) -> bool:
        """Whether any writer waits for the gate."""
        with self._turn:
            return bool(self._waiting)

    def leave(self, holder: object) -> None:
        """Give the gate to the next in line (only its holder can)."""
        with self._turn:
            if self._holder is not holder:
                return
            self._holder = heapq.heappop(self._waiting)[2] if self._waiting else None
            self._turn.notify_all()


_FIRST = threading.local()  # this thread's writes go first (``first_in_line``)


@contextmanager
def first_in_line() -> Iterator[None]:
    """Writes made on this thread inside the block take the gate before every writer waiting
    that is not first (the hand-over of urgent mail, never routine work: it would starve)."""
    before = getattr(_FIRST, "on", False)
    _FIRST.on = True
    try:
        yield
    finally:
        _FIRST.on = before


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

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or _GatedCursor)

    def before(self, sql: str) -> None:
        """Take the gate before the first write of a transaction."""
        if self._holding or self.gate is None or not _WRITES.match(sql):
            return
        if self.gate.enter(self, first=getattr(_FIRST, "on", False)):
            self._holding = True
        else:
            log.warning("a database write waited %.0f s for its turn; going ahead", WAIT_FOR)

    def others_waiting(self) -> bool:
        """Whether this connection holds the gate and another writer waits for it (a long
        transaction may commit early and let it go first)."""
        return self._holding and self.gate is not None and self.gate.waiting()

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
