"""What an import stores is sealed, and so are the rows that steer the bot without being a
record a person reads: an SCR row changed, deleted or re-attributed, a gap closed, a scheduler
beat forged, a settings problem cleared, where the settings are kept flipped, a person's
language set, each directly in SQL, make the real ``compliance-bot audit verify`` fail naming
it, on SQLite and PostgreSQL; and a forged beat does not make a web process believe a
scheduler runs.

One school is built through the bot (a sweep, setup begun, an SCR sheet imported, its gaps
found, a person choosing their language, the scheduler's beat kept) once per backend; each case
edits rows as someone with database access would, runs ``audit verify``, and puts the rows back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, event, select, text
from sqlalchemy.pool import NullPool

from bot.core.deployment import scheduler_health, setup_state
from bot.core.deployment.scheduler_health import beat_seal
from bot.core.models import Person, SchedulerBeat, ScrGap
from bot.features.scr.service import import_sheet, refresh_gaps
from bot.features.scr.sheet import read_sheet
from tests.support.audited import BACKENDS, Built, database, verify
from tests.support.helpers import SchoolBuilder, sweep
from tests.support.keys import TEST_SECRET as SECRET

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
# a fictional SCR of the test school's staff: Amy's DBS check after she started (a gap), Ben's
# complete
SHEET = (
    "Surname,Forename,Start date,Identity checked,Barred list check,Enhanced DBS check date\n"
    "Able,Amy,01/09/2020,01/08/2020,01/08/2020,01/10/2020\n"
    "Brook,Ben,01/09/2020,01/08/2020,01/08/2020,01/08/2020\n"
)


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """A school swept through the bot, its SCR imported and its gaps found."""
    root = tmp_path_factory.mktemp(f"imports-{request.param}")
    with database(request.param, root) as url:
        yield _build(root, url)


def _build(root: Path, url: str) -> Built:
    builder = SchoolBuilder(root / "school")
    context = builder.context(url, demo=True)
    sweep(context, NOW.date(), NOW, deliver=False)
    sheet = root / "scr.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    school = context.config.schools[0]
    with context.store.transaction() as session:
        setup_state.begin_setup(session, source="file", by="head@oak.example", now=NOW)
        import_sheet(
            session,
            school,
            read_sheet(sheet, NOW.date()),
            where="scr.csv",
            actor="head@oak.example",
            now=NOW,
        )
        refresh_gaps(session, school, NOW.date(), force=True)
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        amy.language = "en"
        every = 60
        session.add(
            SchedulerBeat(
                id=1,
                beat_at=NOW,
                every_seconds=every,
                seal=beat_seal(context.settings.audit_keyring(), NOW, every),
            )
        )
    with context.store.session() as session:
        assert session.scalars(select(ScrGap)).all(), "the sheet's late DBS check is a gap"
    context.store.dispose()
    return Built(url, builder.home)


def _sql(*statements: str) -> Callable[[Connection], None]:
    def tamper(conn: Connection) -> None:
        for statement in statements:
            conn.execute(text(statement))

    return tamper


_BEN = "(SELECT id FROM scr_entries WHERE name LIKE '%Ben%')"
FORGED_AT = (NOW + timedelta(days=30)).replace(tzinfo=None).isoformat(sep=" ")
CASES: dict[str, tuple[Callable[[Connection], None], tuple[str, ...], str]] = {
    "scr row changed": (
        _sql("UPDATE scr_entries SET start_date = '2021-01-04' WHERE name LIKE '%Amy%'"),
        ("scr_entries",),
        "The single central record row of amy@oak.example (row 2) was changed after it was "
        "recorded (start date).",
    ),
    "scr row re-attributed": (
        _sql("UPDATE scr_entries SET imported_by = 'someone@else.example'"),
        ("scr_entries",),
        "(row 3) was changed after it was recorded (imported by).",
    ),
    "scr row deleted": (
        _sql(
            f"DELETE FROM scr_checks WHERE entry_id = {_BEN}",
            "DELETE FROM scr_entries WHERE name LIKE '%Ben%'",
        ),
        ("scr_entries", "scr_checks"),
        "The single central record row of ben@oak.example (row 3) is missing: it was deleted "
        "from the database.",
    ),
    "scr check changed": (
        _sql(f"UPDATE scr_checks SET done = NOT done WHERE entry_id = {_BEN}"),
        ("scr_checks",),
        "check of single central record row #",
    ),
    "gap closed": (
        _sql("UPDATE scr_gaps SET closed_on = '2026-11-03'"),
        ("scr_gaps",),
        "The single central record gap (late check) about amy@oak.example was changed after it "
        "was recorded (closed on).",
    ),
    "beat forged": (
        _sql(f"UPDATE scheduler_beats SET beat_at = '{FORGED_AT}'"),
        ("scheduler_beats",),
        "The scheduler's last beat was written outside the bot",
    ),
    "settings problem set": (
        _sql("UPDATE school_settings SET problem = 'school.yaml line 3: forged'"),
        ("school_settings",),
        "last good settings was changed after it was recorded (problem).",
    ),
    "settings source flipped": (
        _sql("UPDATE setup_state SET config_source = 'web'"),
        ("setup_state",),
        "The record of where the settings are kept (school.yaml or the pages) was changed after "
        "it was recorded (config source).",
    ),
    "language changed": (
        _sql("UPDATE people SET language = 'cy' WHERE email = 'amy@oak.example'"),
        ("people",),
        "The language of amy@oak.example was changed after it was recorded.",
    ),
    "language set": (
        _sql("UPDATE people SET language = 'cy' WHERE email = 'ben@oak.example'"),
        ("people",),
        "The language of ben@oak.example is not in the audit log",
    ),
}


@pytest.fixture
def raw(built: Built) -> Iterator[Callable[[tuple[str, ...]], Connection]]:
    """A plain connection to the built database (not the bot's); the tables it may change
    are put back exactly as they were afterwards."""
    engine = create_engine(built.url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":  # the triggers' tag function, telling them nothing
        event.listen(
            engine, "connect", lambda dbapi, _: dbapi.create_function("seal_tag", 0, lambda: None)
        )
    saved: dict[str, list[dict[str, object]]] = {}

    def open_for(tables: tuple[str, ...]) -> Connection:
        conn = engine.connect()
        for table in tables:
            saved[table] = [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table}"))]
        return conn

    yield open_for
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # foreign keys not enforced, as an intruder can
            conn.execute(text("SET session_replication_role = replica"))
        for table in reversed(saved):
            conn.execute(text(f"DELETE FROM {table}"))
        for table, rows in saved.items():
            for row in rows:
                names = ", ".join(f'"{k}"' for k in row)  # "check" is a word of SQL's
                values = ", ".join(f":{k}" for k in row)
                conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), row)
    engine.dispose()


def test_the_built_school_verifies(built: Built) -> None:
    said = verify(built)
    assert said.startswith("exit 0"), said
    for counted in (
        "2 single central record rows",
        "single central record gap",
        "6 vetting",
        "1 record of where the settings are kept",
        "1 person's own language",
    ):
        assert counted in said, (counted, said)


@pytest.mark.parametrize("case", list(CASES))
def test_a_row_changed_in_sql_is_named(
    built: Built, raw: Callable[[tuple[str, ...]], Connection], case: str
) -> None:
    tamper, tables, words = CASES[case]
    with raw(tables) as conn:
        tamper(conn)
        conn.commit()
    said = verify(built)
    assert said.startswith("exit 1"), said
    assert words in said, said


def test_a_forged_beat_does_not_say_a_scheduler_runs(
    built: Built, raw: Callable[[tuple[str, ...]], Connection]
) -> None:
    """A web process without a scheduler judges the stored beat: one forged in SQL (fresh, no
    seal of the audit key) counts as none, so ``/readyz`` keeps failing."""
    from bot.core.guards.keys import Keyring

    keys = Keyring.from_secrets(SECRET)
    later = NOW + timedelta(days=30)
    with raw(("scheduler_beats",)) as conn:
        scheduler_health.watch(60, later - timedelta(minutes=10), keys)
        try:
            sealed = beat_seal(keys, later, 60)
            conn.execute(
                text("UPDATE scheduler_beats SET beat_at = :at, seal = :seal"),
                {"at": later.replace(tzinfo=None), "seal": sealed},
            )
            assert scheduler_health.stopped(later, conn) is None  # the bot's own beat
            conn.execute(text("UPDATE scheduler_beats SET seal = NULL"))
            assert scheduler_health.stopped(later, conn) is not None
        finally:
            scheduler_health._watch = None
            scheduler_health._keys = None
        conn.rollback()
