"""The SQLite write gate: one writer at a time within a process, first come first served."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from bot.core.database.sqlite_gate import GatedConnection, WriteGate
from bot.core.database.store import Store


def _until(condition: Callable[[], bool]) -> None:
    """Wait (without a time limit of our own) until another thread has got somewhere."""
    event = threading.Event()
    while not condition():
        event.wait(0.001)


def test_writers_are_served_in_the_order_they_asked() -> None:
    gate = WriteGate()
    order: list[str] = []
    first = object()
    assert gate.enter(first)

    def writer(name: str) -> None:
        me = object()
        assert gate.enter(me)
        order.append(name)
        gate.leave(me)

    threads = []
    for n, name in enumerate(["b", "c", "d"], start=2):
        thread = threading.Thread(target=writer, args=(name,))
        thread.start()
        _until(lambda n=n: gate._next_ticket == n)  # queued before the next one asks
        threads.append(thread)
    gate.leave(first)
    for thread in threads:
        thread.join()
    assert order == ["b", "c", "d"]


def test_a_writer_that_stops_waiting_does_not_hold_up_the_one_behind() -> None:
    gate = WriteGate()
    holder, impatient, patient = object(), object(), object()
    assert gate.enter(holder)
    assert gate.enter(impatient, wait_for=0.01) is False  # gives up its place
    got: list[bool] = []
    thread = threading.Thread(target=lambda: got.append(gate.enter(patient)))
    thread.start()
    _until(lambda: gate._next_ticket == 3)
    gate.leave(holder)
    thread.join()
    assert got == [True]
    gate.leave(impatient)  # not its to give back: nothing changes
    gate.leave(patient)
    assert gate.enter(object(), wait_for=0.01)


def test_a_connection_holds_the_gate_from_its_first_write_to_commit_or_rollback(
    tmp_path: Path,
) -> None:
    conn = sqlite3.connect(tmp_path / "g.db", factory=GatedConnection)
    conn.gate = gate = WriteGate()
    cur = conn.cursor()  # as SQLAlchemy uses it (Connection.execute bypasses the gate)
    cur.execute("CREATE TABLE t (x INTEGER)")  # outside a transaction: let go at once
    assert gate._holder is None
    cur.execute("SELECT * FROM t").fetchall()  # reads never take it
    assert gate._holder is None
    cur.execute("INSERT INTO t VALUES (1)")
    assert gate._holder is conn
    conn.commit()
    assert gate._holder is None
    cur.execute("UPDATE t SET x = 2")
    conn.rollback()
    assert gate._holder is None
    cur.execute("DELETE FROM t")
    conn.close()  # closing ends the transaction, and the turn
    assert gate._holder is None


def test_many_threads_writing_through_the_store_all_succeed(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'many.db'}")
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE hits (n INTEGER)"))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                with store.transaction() as session:
                    session.execute(text("INSERT INTO hits VALUES (:n)"), {"n": n * 100 + i})
                    session.execute(text("SELECT count(*) FROM hits")).scalar_one()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hits")).scalar_one() == 200
    store.dispose()
