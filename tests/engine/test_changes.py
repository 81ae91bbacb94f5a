"""The change marks the duties step plans from (#60): every table it reads is watched by the
database's triggers, and writes of every kind (ORM, bulk, hand-written SQL) mark the person."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, inspect, select, text, update

from bot.core.deployment.context import AppContext
from bot.core.models import (
    Duty,
    DutyTally,
    OutboxMessage,
    Person,
    PersonTally,
    PolicyVersion,
    TrainingRecord,
)
from bot.engine import changes
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder, acknowledged_by_link
from tests.support.migrated import copy_database, drop_copy
from tests.support.quiet_school import MONDAY, quiet_school, sweep_school
from tests.support.scale import full_size

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")  # hypothesis derandomized

# what the duties step reads that is not a watched table, and why that is safe
_NOT_WATCHED = {
    "changed_people": "the marks themselves",
    "connector_state": "the step's own context digest",
    "attention": "the step's own next-attention dates (written as it plans each person)",
    "outbox": "today's digest keys: what the step queued itself (its fixed point)",
    "duty_snapshots": "the dashboard's counts, derived from the duties",
    "duty_tallies": "the dashboard's counts, derived from the duties",
    "person_tallies": "the dashboard's counts, derived from the duties",
    "audience_sizes": "the dashboard's counts, derived from the people",
    "schools": "the school's own row (its settings are compared by ``changes.context``)",
    "teams_chats": "who the Teams bot reaches: a card or an email for a digest not queued yet",
    "setup_state": "whether the school sends (compared by ``changes.context``)",
    "generate_series": "PostgreSQL's numbers for new duties' ids (``allocate_ids``)",
    "json_each": "SQLite's reading of a list of ids given as one value (``store.one_of``)",
}
_TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"?([a-z_]+)"?', re.IGNORECASE)


@pytest.fixture
def ctx(school: SchoolBuilder, database_url: str) -> AppContext:
    quiet_school(school)
    return school.context(database_url)


def _sweep(ctx: AppContext, clock: FrozenClock, minute: int) -> Any:
    return sweep_school(ctx, clock, MONDAY, minute)


@pytest.fixture
def reads(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """The tables read while the duties step plans (between ``changes.start`` and ``finish``)."""
    found: set[str] = set()
    planning = [False]
    start, finish = changes.start, changes.finish

    def started(*args: Any) -> changes.Changes:
        marks = start(*args)
        planning[0] = True
        return marks

    def finished(*args: Any) -> None:
        planning[0] = False
        finish(*args)

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if planning[0] and statement.lstrip().upper().startswith("SELECT"):
            found.update(t.lower() for t in _TABLE.findall(statement))

    monkeypatch.setattr(changes, "start", started)
    monkeypatch.setattr(changes, "finish", finished)
    event.listen(ctx.store.engine, "before_cursor_execute", seen)
    yield found
    event.remove(ctx.store.engine, "before_cursor_execute", seen)


def test_every_table_the_duties_step_reads_is_watched(
    ctx: AppContext, reads: set[str], frozen_clock: FrozenClock
) -> None:
    assert _sweep(ctx, frozen_clock, 0).planned == "everyone"
    assert reads, "the duties step read nothing?"
    unwatched = reads - changes.WATCHED - set(_NOT_WATCHED)
    assert not unwatched, f"the duties step reads {unwatched}: add triggers (a migration)"
    with ctx.store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            triggers = set(
                conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            )
        else:
            triggers = set(conn.scalars(text("SELECT tgname FROM pg_trigger")))
        assert inspect(conn).has_table("changed_people")
    for table in changes.WATCHED:
        for kind in ("insert", "update", "delete"):
            assert f"changed_{table}_{kind}" in triggers


def _marked(ctx: AppContext) -> set[int]:
    with ctx.store.session() as session:
        return set(
            session.scalars(text("SELECT person_id FROM changed_people WHERE school_id = 'oak'"))
        )


def test_writes_of_every_kind_mark_their_person_and_only_watched_columns_count(
    ctx: AppContext, frozen_clock: FrozenClock
) -> None:
    _sweep(ctx, frozen_clock, 0)
    assert _marked(ctx) == set()  # the step's own writes are not changes
    with ctx.store.session() as session:
        ids = {email: pid for email, pid in session.execute(select(Person.email, Person.id))}
    amy, ben, cat = (ids[f"{n}@oak.example"] for n in ("amy", "ben", "gov"))
    with ctx.store.transaction() as session:  # the ORM
        session.add(
            TrainingRecord(
                school_id="oak",
                person_id=amy,
                course="Online safety",
                completed_on=MONDAY,
                source="manual",
                import_key="amy",
            )
        )
    assert _marked(ctx) == {amy}
    with ctx.store.transaction() as session:  # a bulk insert and a hand-written update
        session.execute(
            insert(TrainingRecord),
            [
                dict(
                    school_id="oak",
                    person_id=ben,
                    course="First aid",
                    completed_on=MONDAY,
                    source="manual",
                    import_key="ben",
                )
            ],
        )
        session.execute(text("UPDATE people SET display_name = 'C' WHERE id = :id"), {"id": cat})
    assert _marked(ctx) == {amy, ben, cat}
    assert _sweep(ctx, frozen_clock, 15).planned == "changed"
    assert _marked(ctx) == set()
    with ctx.store.transaction() as session:  # a column the step does not read: no change
        session.execute(update(Person).where(Person.id == amy).values(language="cy"))
    assert _marked(ctx) == set()
    assert _sweep(ctx, frozen_clock, 30).planned == "quiet"
    with ctx.store.transaction() as session:  # someone's line manager: everyone's reminders
        session.execute(update(Person).where(Person.id == ben).values(manager_id=amy))
    assert _marked(ctx) == {ben}
    with ctx.store.transaction() as session:
        session.execute(update(Person).where(Person.id == amy).values(given_name="Amelia"))
    assert changes.WHOLE in _marked(ctx)
    assert _sweep(ctx, frozen_clock, 45).planned == "everyone"
    with ctx.store.transaction() as session:  # a deletion by hand
        session.execute(text("DELETE FROM training_records WHERE person_id = :id"), {"id": ben})
    assert _marked(ctx) == {ben}


def _state(ctx: AppContext) -> tuple[list[tuple[Any, ...]], ...]:
    """The duties, the dashboard's counts and the outbox's keys, as they stand."""
    with ctx.store.session() as session:
        return tuple(
            sorted(tuple(row) for row in session.execute(statement))
            for statement in (
                select(
                    Duty.id,
                    Duty.person_id,
                    Duty.cycle,
                    Duty.status,
                    Duty.opened_on,
                    Duty.due_on,
                    Duty.closed_on,
                    Duty.last_stage,
                    Duty.reminders_sent,
                    Duty.last_reminded_on,
                ),
                select(*(c for c in DutyTally.__table__.c if c.name != "id")),
                select(*(c for c in PersonTally.__table__.c if c.name != "id")),
                select(OutboxMessage.idempotency_key),
            )
        )


@dataclass
class World:
    """What the operations change: the school's files, its database, and the day it is."""

    ctx: AppContext
    school: SchoolBuilder
    clock: FrozenClock
    today: date = MONDAY
    minute: int = 0

    def sweep(self) -> Any:
        """A sweep of ``today``, two minutes after the last one: before the nightly full sweep
        (01:00), so a new day's first plans from the next-attention dates."""
        self.minute += 2
        return sweep_school(self.ctx, self.clock, self.today, self.minute, hour=0)


def _staff(world: World) -> list[Row]:
    return [r for r in world.school.people if r.roles == "staff" and "head" not in r.email]


def _directory(change: Callable[[World, int], None]) -> Callable[[World, int], None]:
    """A change the directory makes: the file is written again and the school's config reread."""

    def changed(world: World, pick: int) -> None:
        change(world, pick)
        world.school.write()
        world.ctx.forget_config()

    return changed


@_directory
def _starter(world: World, pick: int) -> None:
    n = len(world.school.people)
    world.school.people.append(Row(f"new{n}@oak.example", f"New Starter{n}"))


@_directory
def _leaver(world: World, pick: int) -> None:
    if staff := _staff(world):
        world.school.people.remove(staff[pick % len(staff)])


@_directory
def _role(world: World, pick: int) -> None:
    if staff := _staff(world):
        staff[pick % len(staff)].roles = ("volunteer", "staff;governor")[pick // len(staff) % 2]


@_directory
def _manager(world: World, pick: int) -> None:
    if staff := _staff(world):
        staff[pick % len(staff)].manager = ("head@oak.example", "")[pick // len(staff) % 2]


def _training(world: World, pick: int) -> None:
    with world.ctx.store.transaction() as session:
        people = session.scalars(
            select(Person).where(Person.active.is_(True)).order_by(Person.id)
        ).all()
        if people:
            session.add(
                TrainingRecord(
                    school_id="oak",
                    person_id=people[pick % len(people)].id,
                    course="Online safety",
                    completed_on=world.today,
                    source="manual",
                    import_key=f"r-{world.minute}-{pick}",
                )
            )


def _acknowledged(world: World, pick: int) -> None:
    with world.ctx.store.transaction() as session:
        duties = session.scalars(
            select(Duty)
            .where(Duty.status == "open", Duty.kind == "acknowledge_policy")
            .order_by(Duty.id)
        ).all()
        if duties:
            duty = duties[pick % len(duties)]
            person = session.get(Person, duty.person_id)
            version = session.get(PolicyVersion, duty.policy_version_id)
            assert person is not None and version is not None
            acknowledged_by_link(session, person, duty, version, world.today)


# the changes staff, the office or the directory make during a day: each takes the world and a
# number that picks whom (add a kind here and the test below draws it)
def _later(world: World, pick: int) -> None:
    """A later day, 1 to 40 days on: what falls due by then is planned from the dates (#60)."""
    world.today += timedelta(days=1 + pick % 40)
    world.minute = 0


OPERATIONS: dict[str, Callable[[World, int], None]] = {
    "starter": _starter,
    "leaver": _leaver,
    "role": _role,
    "manager": _manager,
    "training": _training,
    "acknowledged": _acknowledged,
    "later": _later,
}
_DAYS = st.lists(
    st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(min_value=0, max_value=99)),
    min_size=1,
    max_size=6,
)


def test_changes_planned_from_the_marks_equal_a_full_recount(
    school: SchoolBuilder,
    ctx: AppContext,
    database_url: str,
    frozen_clock: FrozenClock,
    tmp_path: Path,
) -> None:
    """Any run of changes, each swept from the change marks and then recounted in full: the
    same duties, dashboard counts and outbox keys (hypothesis draws the runs; each starts from
    a copy of one first sweep's database)."""
    World(ctx, school, frozen_clock).sweep()
    ctx.store.engine.dispose()  # the copies are taken with nobody connected
    people = [replace(row) for row in school.people]
    runs = count()

    @settings(
        max_examples=full_size(4, 100),
        deadline=None,
        derandomize=IN_CI,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(operations=_DAYS)
    @example(operations=[("later", 6), ("training", 1), ("later", 33), ("leaver", 2), ("later", 0)])
    def run(operations: list[tuple[str, int]]) -> None:
        school.people = [replace(row) for row in people]
        school.write()
        folder = tmp_path / f"run{next(runs)}"
        folder.mkdir()
        url = copy_database(database_url, folder)
        world = World(school.context(url), school, frozen_clock, minute=5)
        try:
            for done, (kind, pick) in enumerate(operations, 1):
                OPERATIONS[kind](world, pick)
                assert world.sweep().planned in (
                    ("attention", "everyone")
                    if kind == "later"
                    else ("changed", "everyone", "quiet")
                )
                planned = _state(world.ctx)
                with world.ctx.store.transaction() as session:
                    changes.everyone(session, "oak")
                recount = world.sweep()
                assert recount.planned == "everyone"
                assert (recount.opened, recount.closed) == (0, {}), operations[:done]
                assert _state(world.ctx) == planned, operations[:done]
        finally:
            world.ctx.store.engine.dispose()
            drop_copy(url)

    run()


def test_a_reminder_stage_is_the_steps_own_and_any_other_duty_column_marks(
    ctx: AppContext, frozen_clock: FrozenClock
) -> None:
    """Only the duties step writes a duty's reminder stage (``record_stages_later``, while it
    plans): an update of the stage alone is not a change (migration 0052: SQLite does not run
    the row trigger for it), any other column of the same row is, in the same statement too."""
    _sweep(ctx, frozen_clock, 0)
    with ctx.store.session() as session:
        duty_id, person = session.execute(
            select(Duty.id, Duty.person_id).where(Duty.status == "open").order_by(Duty.id)
        ).first()  # type: ignore[misc]
    stage = {"last_stage": 0, "reminders_sent": 1, "last_reminded_on": MONDAY}
    with ctx.store.transaction() as session:
        session.execute(update(Duty).where(Duty.id == duty_id).values(**stage))
    assert _marked(ctx) == set()
    with ctx.store.transaction() as session:
        session.execute(
            update(Duty)
            .where(Duty.id == duty_id)
            .values(**stage, due_on=MONDAY + timedelta(days=1))
        )
    assert _marked(ctx) == {person}
