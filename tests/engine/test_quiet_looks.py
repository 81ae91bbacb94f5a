"""A quiet sweep's steps look once where they read many times, and the one look misses nothing
(#60): the settings step's rows in one statement (a change of a column of each kind it keeps,
text, JSON, date, flag, made behind the sync's back, syncs again), and the people register's
one look (an entry added brings the person in on the next sweep; removed, they go missing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from bot.core.deployment.context import AppContext
from bot.core.models import (
    Decision,
    Duty,
    ExtraPerson,
    OfficialAccount,
    Person,
    Policy,
    VisitorAssurance,
)
from bot.engine.sweep import SchoolSweep
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder
from tests.support.quiet_school import MONDAY, built_once, copied, quiet_school, sweep_school

VOL = "val@oak.example"


def _sweep(ctx: AppContext, clock: FrozenClock, minute: int) -> SchoolSweep:
    return sweep_school(ctx, clock, MONDAY, minute)


def _policy(**values: Any) -> Callable[[AppContext], None]:
    def change(ctx: AppContext) -> None:
        with ctx.store.transaction() as session:
            session.execute(update(Policy).values(**values))

    return change


@pytest.mark.parametrize(
    "change",
    [
        _policy(title="Renamed behind its back"),  # text
        _policy(reviewers=["someone@oak.example"]),  # JSON
        _policy(last_reviewed=date(2020, 1, 1)),  # a date where there was none
        _policy(is_aup=True),  # a flag
    ],
    ids=["text", "json", "date", "flag"],
)
def test_a_change_of_any_kind_of_kept_column_syncs_again(
    school: SchoolBuilder,
    database_url: str,
    frozen_clock: FrozenClock,
    syncs: list[str],
    change: Callable[[AppContext], None],
) -> None:
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    ctx = school.context(database_url)
    _sweep(ctx, frozen_clock, 0)
    _sweep(ctx, frozen_clock, 15)
    assert syncs == ["oak"]  # quiet: not synced again
    change(ctx)
    _sweep(ctx, frozen_clock, 30)
    assert syncs == ["oak", "oak"]
    _sweep(ctx, frozen_clock, 45)
    assert syncs == ["oak", "oak"]  # the sync's own result is quiet again


@pytest.mark.parametrize(
    ("email", "synced"),
    [("clerk@oak.example", ["oak", "oak"]), ("new@oak.example", ["oak"])],
    ids=["named-in-the-settings", "not-named"],
)
def test_the_settings_look_reads_the_people_the_settings_name_not_the_whole_staff(
    school: SchoolBuilder,
    database_url: str,
    frozen_clock: FrozenClock,
    syncs: list[str],
    email: str,
    synced: list[str],
) -> None:
    """The clerk the settings name, not yet known, arriving syncs again (and the warning that
    they are not known goes); someone the settings never name arriving is not their business
    (the look reads the people the settings can name, not every member of staff)."""
    school.school["clerk"] = "clerk@oak.example"
    ctx = school.context(database_url)
    assert any("clerk@oak.example" in str(w) for w in _sweep(ctx, frozen_clock, 0).warnings)
    _sweep(ctx, frozen_clock, 15)
    assert syncs == ["oak"]
    with ctx.store.transaction() as session:
        session.add(Person(school_id="oak", email=email, display_name="Arriving"))
    warned = _sweep(ctx, frozen_clock, 30).warnings
    assert syncs == synced
    assert any("clerk@oak.example" in str(w) for w in warned) == (email != "clerk@oak.example")


def _register_person(ctx: AppContext) -> tuple[bool, str] | None:
    with ctx.store.session() as session:
        row = session.execute(
            select(Person.active, Person.source).where(Person.email == VOL)
        ).one_or_none()
    return None if row is None else (bool(row[0]), str(row[1]))


def _missing_since(ctx: AppContext) -> date | None:
    with ctx.store.session() as session:
        return session.scalar(select(Person.missing_since).where(Person.email == VOL))


def test_the_register_s_one_look_misses_an_entry_added_or_removed(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    ctx = school.context(database_url)
    _sweep(ctx, frozen_clock, 0)
    _sweep(ctx, frozen_clock, 15)  # nobody on the register: one look, nobody brought in
    assert _register_person(ctx) is None
    with ctx.store.transaction() as session:
        session.add(
            ExtraPerson(
                school_id="oak", email=VOL, display_name="Valerie Volunteer", roles=["governor"]
            )
        )
    assert _sweep(ctx, frozen_clock, 30).directory.added == 1
    assert _register_person(ctx) == (True, "register")
    assert _missing_since(ctx) is None
    with ctx.store.transaction() as session:
        session.execute(delete(ExtraPerson).where(ExtraPerson.email == VOL))
    _sweep(ctx, frozen_clock, 45)  # still here on the register's side: made missing
    assert _missing_since(ctx) == MONDAY


# a quiet school's sweep, statement by statement (savepoints too): the report deadlines, the
# directory's and settings' looks, the duties step's one look, the idle feature steps' one look,
# the digest's keys on a Monday, and the run's record: 41 on SQLite, 40 on PostgreSQL (the
# quiet-sweep benchmark's school cost 71 before #60 item 2, 41 after)
QUIET_STATEMENTS = 41


def _statements(ctx: AppContext) -> tuple[list[str], Callable[[], None]]:
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(ctx.store.engine, "before_cursor_execute", seen)
    return sent, lambda: event.remove(ctx.store.engine, "before_cursor_execute", seen)


def test_a_quiet_school_costs_few_statements(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    quiet_school(school)
    ctx = school.context(database_url)
    _sweep(ctx, frozen_clock, 0)
    _sweep(ctx, frozen_clock, 15)
    sent, stop = _statements(ctx)
    result = _sweep(ctx, frozen_clock, 30)
    stop()
    assert result.planned == "quiet"
    assert len(sent) <= QUIET_STATEMENTS, "\n".join(sent)
    idle_tables = ("visitor_assurances", "decisions", "complaints", "scr_entries")
    read = [s for s in sent if any(f"FROM {t} " in s for t in idle_tables)]
    assert len(read) == 1 and "AS busy_" in read[0], read  # the one look's EXISTS
    ctx.store.dispose()


def _old_visitor(session: Session) -> None:
    session.add(
        VisitorAssurance(
            school_id="oak",
            name="A Visitor",
            organisation=None,
            visit_date=date(2024, 1, 8),
            rules_sha256="0" * 64,
        )
    )


def _decision_due(session: Session) -> None:
    head = session.scalars(select(Person.id).order_by(Person.id)).first()
    assert head is not None
    session.add(
        Decision(
            school_id="oak",
            kind="risk_assessment",
            subject_type="other",
            decision="A decision",
            reasons="Reasons",
            decided_by_id=head,
            decided_on=date(2025, 11, 24),
            review_on=MONDAY,
            review_set_on=date(2025, 11, 24),
            recorded_by="head@oak.example",
        )
    )


def _review_near(session: Session) -> None:
    session.execute(update(Policy).values(next_review_due=date(2027, 1, 4)))


def _capped_duty(session: Session) -> None:
    first = session.scalars(select(Duty.id).order_by(Duty.id)).first()
    session.execute(update(Duty).where(Duty.id == first).values(reminders_sent=99))


def _handover_flagged(session: Session) -> None:
    session.add(
        OfficialAccount(
            school_id="oak",
            key="facebook",
            platform="Facebook",
            name="Oak on Facebook",
            handover_needed=True,
            handover_since=MONDAY,
        )
    )


def _task_open(session: Session) -> None:
    first = session.scalars(select(Duty.id).order_by(Duty.id)).first()
    session.execute(update(Duty).where(Duty.id == first).values(kind="recurring_task"))


@pytest.fixture(scope="module")
def idle_built(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> tuple[tuple[Path, str], Any]:
    """A quiet school swept, then swept again with nothing new (what the second sweep ran
    besides the engine's steps): once per backend, copied for each test (``idle``)."""
    folder = tmp_path_factory.mktemp("idle")
    with built_once(folder, module_database_url, quiet_school) as (_, ctx, clock):
        sweep_school(ctx, clock, MONDAY, 0)
        extra = sweep_school(ctx, clock, MONDAY, 15).extra
    return (ctx.settings.home, module_database_url), extra


@pytest.fixture
def idle(
    idle_built: tuple[tuple[Path, str], Any], school: SchoolBuilder, tmp_path: Path
) -> Iterator[AppContext]:
    """The test's own copy of ``idle_built``."""
    quiet_school(school)
    yield from copied(idle_built[0], school, tmp_path)


@pytest.mark.parametrize(
    ("arrives", "ran"),
    [
        (_old_visitor, "visitors_purged"),
        (_decision_due, "decision_reminders"),
        (_review_near, "governor_alerts"),
        (_capped_duty, "chasing_stopped"),
        (_handover_flagged, "handover_chases"),
        (_task_open, "tasks_closed"),
    ],
    ids=["visitor", "decision", "review", "capped", "handover", "task"],
)
def test_an_idle_step_runs_on_the_sweep_after_its_input_arrives(
    idle_built: tuple[tuple[Path, str], Any],
    idle: AppContext,
    frozen_clock: FrozenClock,
    arrives: Callable[[Session], None],
    ran: str,
) -> None:
    assert ran not in idle_built[1]  # idle: not run on the second sweep
    ctx = idle
    with ctx.store.transaction() as session:
        arrives(session)
    assert ran in _sweep(ctx, frozen_clock, 30).extra
    if arrives is _old_visitor:  # and its work is done
        with ctx.store.session() as session:
            assert session.scalar(select(func.count()).select_from(VisitorAssurance)) == 0
