"""The suite's own guards, each run in a pytest of its own on a tiny file with the project's
pyproject: a test that hangs is stopped, every thread's stack printed, and its xdist worker goes
on; in CI a skip fails unless it names why CI cannot run the test (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

HANGS = """
import threading


def the_other_thread_waits(lock):
    with lock:
        pass


def test_hangs():
    lock = threading.Lock()
    lock.acquire()
    threading.Thread(target=the_other_thread_waits, args=(lock,), daemon=True).start()
    threading.Event().wait()


def test_after_it():
    pass
"""

SKIPS = """
import pytest

from tests.conftest import cannot_run_in_ci


def test_bare():
    pytest.skip("not here")


def test_named():
    cannot_run_in_ci("nothing it can install has it")


@pytest.mark.skipif(True, reason="a marker")
def test_marked():
    pass


@pytest.mark.xfail(reason="known", strict=True)
def test_known():
    raise AssertionError
"""


def _pytest(tmp_path: Path, files: dict[str, str], *args: str, **env: str) -> str:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(REPO / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-rA",
            *args,
            *(str(tmp_path / name) for name in files),
        ],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def test_a_hanging_test_is_stopped_with_every_thread_s_stack_and_the_worker_goes_on(
    tmp_path: Path,
) -> None:
    out = _pytest(
        tmp_path,
        {"test_hang.py": HANGS},
        "-n",
        "1",
        "-o",
        "faulthandler_timeout=1",
        "-o",
        "timeout=2",
    )
    dumped = out.split("Timeout (0:00:01)!", 1)[-1]  # faulthandler's: from C, every thread
    assert "in the_other_thread_waits" in dumped and "in test_hangs" in dumped, out
    assert "Failed: Timeout (>2.0s) from pytest-timeout" in out  # with each thread's stack
    assert "Stack of Thread" in out and "(the_other_thread_waits)" in out, out
    assert "1 failed, 1 passed" in out and "crashed" not in out, out


def test_in_ci_a_skip_fails_unless_it_names_why_ci_cannot_run_it(tmp_path: Path) -> None:
    out = _pytest(
        tmp_path,
        {
            "test_skips.py": SKIPS,
            "test_module.py": "import pytest\npytest.importorskip('no_such')\n",
        },
        "-n",
        "0",
        "-p",
        "tests.conftest",
        "--continue-on-collection-errors",
        CI="true",
    )
    assert "FAILED" in out and "test_skips.py::test_bare - skipped in CI: not here" in out, out
    assert "ERROR" in out and "test_skips.py::test_marked - skipped in CI: a marker" in out, out
    assert "test_module.py - skipped in CI: could not import 'no_such'" in out, out
    assert "SKIPPED" in out and "cannot run in CI because nothing it can install has" in out, out
    assert "1 failed, 1 skipped, 1 xfailed, 2 errors" in out, out


def test_a_postgresql_database_the_template_replaced_is_the_next_test_s_and_empty(
    postgres_url: str,
) -> None:
    """tests/support/migrated.py: a later empty store on PostgreSQL gets the migrated
    template's copy under its own name; the empty database it replaced is renamed aside (no
    ``DROP DATABASE``, a checkpoint of the whole server) and handed, empty, to the next test."""
    from sqlalchemy import create_engine, inspect

    from bot.core.database.store import Store
    from tests.support.migrated import DATABASES

    server = os.environ["COMPLIANCE_BOT_TEST_POSTGRES_URL"]
    first = DATABASES.take(server)  # the process's template is made by now, at the latest
    try:
        for url in (first, postgres_url):
            store = Store(url)
            try:
                store.upgrade()
                with store.engine.connect() as conn:
                    assert "outbox" in inspect(conn).get_table_names()
            finally:
                store.dispose()
            spares = [name for names in DATABASES.spare.values() for name in names]
    finally:
        DATABASES.drop(first)
    assert spares, "the empty database the copy replaced was not kept"
    spare = DATABASES.take(server)
    try:
        assert spare.rsplit("/", 1)[1] == spares[-1]
        engine = create_engine(spare)
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
        engine.dispose()
    finally:
        DATABASES.drop(spare)


SEEN: list[str] = []  # the databases the two tests below were given, in the order they ran


@pytest.mark.parametrize("turn", ["one", "another"])
def test_a_postgresql_test_never_sees_an_earlier_test_s_database_and_it_is_dropped(
    postgres_url: str, turn: str
) -> None:
    """tests/support/migrated.py drops each test's database in the background: whichever of
    the two runs second gets a database of its own, empty (no table, so none of the first's
    rows), under a new name, and the first's is gone once the drops have settled."""
    from sqlalchemy import create_engine, inspect, text

    from tests.support.migrated import DATABASES

    name = postgres_url.rsplit("/", 1)[1]
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            assert inspect(conn).get_table_names() == []
            conn.execute(text("CREATE TABLE written_by_a_test (turn text)"))
            conn.execute(text("INSERT INTO written_by_a_test VALUES (:turn)"), {"turn": turn})
    finally:
        engine.dispose()
    if SEEN:
        assert name not in SEEN
        DATABASES.settle()
        with DATABASES.server(postgres_url).connect() as conn:
            left = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"), {"names": SEEN}
            )
            assert left.scalars().all() == []
    SEEN.append(name)
