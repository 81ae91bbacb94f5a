"""Writes that run behind a session: the database writes a batch while the caller computes the
next (a sweep plans the next people while this batch's duties go in).

The contract, kept in code: from the moment the writes start until :meth:`WriteBehind.result`
(or :meth:`WriteBehind.abandon`) returns, the session's connection is lent to them. Any
statement the caller runs on it meanwhile fails with :class:`SessionLent` (psycopg lets one
statement at a time use a connection, and a commit or rollback would move the transaction under
the writes). On PostgreSQL the writes run on a thread of their own; on SQLite, one file and one
writer, they wait and run in the caller's thread when it asks for the result, so the same
ordering is exercised by every test run on either database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

__all__ = ["SessionLent", "WriteBehind", "install", "write_behind"]

_LENT = "write_behind.lent"  # connection info: the writes it is lent to
# how many connections are lent now: while none is, a statement is let through at once
# (every statement and commit of the process passes ``_refuse_while_lent``)
_lent = 0
_lent_lock = threading.Lock()


class SessionLent(RuntimeError):
    """The session was used while writes behind it were still running."""


class WriteBehind:
    """Prepared writes (``store.insert_later``...) running in order behind ``session``."""

    def __init__(self, session: Session, writes: Sequence[Callable[[], None]]) -> None:
        self._writes = list(writes)
        self._error: BaseException | None = None
        self._writer: int | None = None  # the thread the writes run on, once they run
        self._finished = threading.Event()
        self._info: dict[Any, Any] | None = None
        if not self._writes:
            self._finished.set()
            return
        connection = session.connection()
        self._info = connection.info
        _lend(self._info, self)
        # a thread of its own for each call: one worker shared by a web process's requests
        # could leave a request waiting on writes queued behind another's, which wait on its
        # locks
        self._thread: threading.Thread | None = None
        if connection.dialect.name == "postgresql":
            self._thread = threading.Thread(target=self._run, name="write-behind", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        self._writer = threading.get_ident()
        try:
            for write in self._writes:
                write()
        except BaseException as exc:  # handed to whoever waits, as a future would
            self._error = exc
        finally:
            self._finished.set()

    def _give_back(self) -> None:
        """The connection is the caller's again: only ``result`` and ``abandon`` say so, never
        the writes finishing on their own (a caller that forgot to wait is refused every time,
        not only when the writes happen to be slow)."""
        if self._info is not None and self._info.get(_LENT) is self:
            _lend(self._info, None)

    def result(self) -> None:
        """Wait until the writes are done (on SQLite: run them now); raise what they raised."""
        try:
            if not self._finished.is_set() and self._thread is None:
                self._run()
            self._finished.wait()
        finally:
            self._give_back()
        if self._error is not None:
            raise self._error

    def abandon(self) -> None:
        """The caller is failing: let the connection go back to it (writes already running
        finish; writes not yet begun never run — the transaction is rolled back anyway)."""
        if self._thread is not None:
            self._finished.wait()
        self._finished.set()
        self._give_back()

    def lent_to_others(self) -> bool:
        """Whether a statement from the calling thread must be refused now (anyone but the
        writes, until ``result`` or ``abandon`` gives the connection back)."""
        lent = self._info is not None and self._info.get(_LENT) is self
        return lent and (threading.get_ident() != self._writer or self._finished.is_set())


def write_behind(session: Session, writes: Sequence[Callable[[], None]]) -> WriteBehind:
    """Start ``writes`` behind ``session`` (see the module's text for what the caller may do
    until :meth:`WriteBehind.result` returns)."""
    return WriteBehind(session, writes)


def _lend(info: dict[Any, Any], writes: WriteBehind | None) -> None:
    """Lend the connection whose ``info`` this is to ``writes`` (None: give it back)."""
    global _lent
    with _lent_lock:
        had = info.pop(_LENT, None) is not None
        if writes is not None:
            info[_LENT] = writes
        _lent += (writes is not None) - had


def _refuse_while_lent(conn: Any, *_statement: Any) -> None:
    """Refuse a statement or a commit on ``conn`` while it is lent (``before_execute`` also
    passes the statement and its parameters)."""
    if not _lent:
        return
    lent = conn.info.get(_LENT)
    if lent is not None and lent.lent_to_others():
        raise SessionLent(
            "the session is lent to writes running behind it: wait for them "
            "(WriteBehind.result()) before using it"
        )


def install(engine: Engine) -> None:
    """Make ``engine`` refuse a lent connection's statements and commit from anyone but its
    writes (``make_engine`` calls it). A rollback is let through: it is how a failing caller
    gives up, and the writes' own error is then theirs to raise."""
    event.listen(engine, "before_execute", _refuse_while_lent)
    event.listen(engine, "commit", _refuse_while_lent)
