"""The SQLite write gate's first lane: the hand-over of urgent mail goes ahead of the writers
already waiting (a burst of reports being stored), and among the first, first come first
served; a first writer that stops waiting holds nobody up (#55)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from bot.core.database.sqlite_gate import GatedConnection, WriteGate, first_in_line


def _until(condition: Callable[[], bool]) -> None:
    """Wait (without a time limit of our own) until another thread has got somewhere."""
    event = threading.Event()
    while not condition():
        event.wait(0.001)


def test_first_writers_go_ahead_of_those_waiting() -> None:
    gate = WriteGate()
    order: list[str] = []
    holder = object()
    assert gate.enter(holder)

    def writer(name: str, first: bool) -> None:
        me = object()
        assert gate.enter(me, first=first)
        order.append(name)
        gate.leave(me)

    threads = []
    asked = [
        ("report 1", False),
        ("report 2", False),
        ("alert 1", True),
        ("report 3", False),
        ("alert 2", True),
    ]
    for n, (name, first) in enumerate(asked, start=2):
        thread = threading.Thread(target=writer, args=(name, first))
        thread.start()
        _until(lambda n=n: gate._next_ticket == n)  # queued before the next one asks
        threads.append(thread)
    gate.leave(holder)
    for thread in threads:
        thread.join()
    assert order == ["alert 1", "alert 2", "report 1", "report 2", "report 3"]


def test_a_first_writer_that_stops_waiting_holds_nobody_up() -> None:
    gate = WriteGate()
    holder, report = object(), object()
    assert gate.enter(holder)
    assert gate.enter(object(), wait_for=0.01, first=True) is False  # gives up its place
    got: list[bool] = []
    thread = threading.Thread(target=lambda: got.append(gate.enter(report)))
    thread.start()
    _until(lambda: gate._next_ticket == 3)
    gate.leave(holder)
    thread.join()
    assert got == [True]
    gate.leave(report)
    assert gate.enter(object(), wait_for=0.01)


def test_a_connection_writes_first_inside_first_in_line(tmp_path: Path) -> None:
    gate = WriteGate()
    conns = []
    for name in ("report", "alert"):
        conn = sqlite3.connect(
            tmp_path / "g.db", factory=GatedConnection, check_same_thread=False, timeout=30
        )
        conn.gate = gate
        conns.append((name, conn))
    conns[0][1].cursor().execute("CREATE TABLE t (x TEXT)")
    holder = object()
    assert gate.enter(holder)
    order: list[str] = []

    def write(name: str, conn: sqlite3.Connection, first: bool) -> None:
        def run() -> None:
            conn.cursor().execute("INSERT INTO t VALUES (?)", (name,))
            order.append(name)
            conn.commit()

        if first:
            with first_in_line():
                run()
        else:
            run()

    threads = []
    asked = gate._next_ticket  # the table's creation took a turn too
    for n, ((name, conn), first) in enumerate(
        zip(conns, (False, True), strict=True), start=asked + 1
    ):
        thread = threading.Thread(target=write, args=(name, conn, first))
        thread.start()
        _until(lambda n=n: gate._next_ticket == n)
        threads.append(thread)
    gate.leave(holder)
    for thread in threads:
        thread.join()
    assert order == ["alert", "report"]
    for _, conn in conns:
        conn.close()
