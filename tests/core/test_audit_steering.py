"""What steers mail is sealed too: a school renamed, or a policy's source file replaced in the
school's stored settings, directly in SQL, makes the real ``compliance-bot audit verify`` fail
naming it, on SQLite and PostgreSQL (the queued mail and a school's sending state have their
own cases in ``test_audit_tamper.py``).

One school is built through the bot (a sweep stores the school, its policies' versions and its
last good settings) once per backend; each case edits a row as someone with database access
would, runs ``audit verify``, and puts the row back exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from tests.support.audited import BACKENDS, Built, database, verify
from tests.support.helpers import SchoolBuilder, sweep

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """A school swept once through the bot: its row, policy versions and last good settings."""
    root = tmp_path_factory.mktemp(f"steering-{request.param}")
    with database(request.param, root) as url:
        yield _build(root, url)


def _build(root: Path, url: str) -> Built:
    builder = SchoolBuilder(root / "school")
    builder.policy("online-safety", "2026.1", title="Online Safety")
    context = builder.context(url, demo=True)
    sweep(context, NOW.date(), NOW, deliver=False)
    context.store.dispose()
    return Built(url, builder.home)


def _renamed(conn: Connection) -> None:
    conn.execute(text("UPDATE schools SET name = 'Elsewhere Academy'"))


def _source_replaced(conn: Connection) -> None:
    """The stored settings now name another file for the policy (and a fingerprint to match)."""
    school_id, document = conn.execute(
        text("SELECT school_id, document FROM school_settings")
    ).one()
    data = json.loads(document)
    for policy in data["school"]["policies"]:
        policy["document"] = "/srv/elsewhere/forged.pdf"
    forged = json.dumps(data, sort_keys=True)
    conn.execute(
        text("UPDATE school_settings SET document = :d, sha256 = :s WHERE school_id = :i"),
        {"d": forged, "s": "0" * 64, "i": school_id},
    )


CASES: dict[str, tuple[Callable[[Connection], None], tuple[str, ...], str]] = {
    "school renamed": (
        _renamed,
        ("schools",),
        "The school Elsewhere Academy (id oak in the settings) was changed after it was recorded"
        " (name).",
    ),
    "policy source file replaced": (
        _source_replaced,
        ("school_settings",),
        "The stored copy of Oak Test School's last good settings was changed after it was"
        " recorded (document, file fingerprint).",
    ),
}


@pytest.fixture
def raw(built: Built) -> Iterator[Callable[[tuple[str, ...]], Connection]]:
    """A plain connection to the built database (not the bot's), and the tables it may change
    put back exactly as they were afterwards."""
    engine = create_engine(built.url, poolclass=NullPool)
    saved: dict[str, list[dict[str, object]]] = {}

    def open_for(tables: tuple[str, ...]) -> Connection:
        conn = engine.connect()
        for table in tables:
            saved[table] = [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table}"))]
        return conn

    yield open_for
    with engine.begin() as conn:
        for table, rows in saved.items():
            for row in rows:
                sets = ", ".join(f"{k} = :{k}" for k in row if k != "id")
                conn.execute(text(f"UPDATE {table} SET {sets} WHERE id = :id"), row)
    engine.dispose()


def test_the_built_school_verifies(built: Built) -> None:
    said = verify(built)
    assert said.startswith("exit 0"), said
    assert "1 school," in said and "1 school's last good settings" in said


@pytest.mark.parametrize("case", list(CASES))
def test_what_steers_mail_changed_in_sql_is_named(
    built: Built, raw: Callable[[tuple[str, ...]], Connection], case: str
) -> None:
    tamper, tables, words = CASES[case]
    with raw(tables) as conn:
        tamper(conn)
        conn.commit()
    said = verify(built)
    assert said.startswith("exit 1"), said
    assert words in said, said
