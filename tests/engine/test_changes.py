"""The change marks the duties step plans from (#60): every table it reads is watched by the
database's triggers, and writes of every kind (ORM, bulk, hand-written SQL) mark the person."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, inspect, select, text, update

from bot.core.context import AppContext
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
from bot.engine.sweep import run_sweep
from bot.features.policies.attest import acknowledge
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder, at

MONDAY = date(2026, 11, 23)

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
}
_TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"?([a-z_]+)"?', re.IGNORECASE)


@pytest.fixture
def ctx(school: SchoolBuilder, database_url: str) -> AppContext:
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
        due_days=14,
    )
    school.requirement(
        id="train-os",
        kind="complete_training",
        course="Online safety",
        audience={"roles": ["staff"]},
        due_days=28,
    )
    return school.context(database_url)


def _sweep(
    ctx: AppContext, clock: FrozenClock, minute: int, day: date = MONDAY, hour: int = 9
) -> Any:
    [result], _ = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=day,
        now=clock.at(day, hour, minute),
        deliver=False,
    )
    assert not result.failed
    return result


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


def _random_change(ctx: AppContext, school: SchoolBuilder, rng: random.Random) -> str:
    """One change of a kind staff, the office or the directory make during a day."""
    kind = rng.choice(["starter", "leaver", "role", "training", "acknowledged", "manager"])
    if kind in ("starter", "leaver", "role", "manager"):
        staff = [r for r in school.people if r.roles == "staff" and "head" not in r.email]
        if kind == "starter":
            n = len(school.people)
            school.people.append(Row(f"new{n}@oak.example", f"New Starter{n}"))
        elif kind == "leaver" and staff:
            school.people.remove(rng.choice(staff))
        elif kind == "role" and staff:
            rng.choice(staff).roles = rng.choice(["volunteer", "staff;governor"])
        elif staff:
            rng.choice(staff).manager = rng.choice(["head@oak.example", ""])
        school.write()
        ctx.forget_config()
        return kind
    with ctx.store.transaction() as session:
        duties = session.scalars(
            select(Duty)
            .where(Duty.status == "open", Duty.kind == "acknowledge_policy")
            .order_by(Duty.id)
        ).all()
        people = session.scalars(
            select(Person).where(Person.active.is_(True)).order_by(Person.id)
        ).all()
        if kind == "training" and people:
            person = rng.choice(people)
            session.add(
                TrainingRecord(
                    school_id="oak",
                    person_id=person.id,
                    course="Online safety",
                    completed_on=MONDAY,
                    source="manual",
                    import_key=f"r-{rng.random()}",
                )
            )
        elif duties:
            duty = rng.choice(duties)
            person = session.get(Person, duty.person_id)
            version = session.get(PolicyVersion, duty.policy_version_id)
            assert person is not None and version is not None
            acknowledge(
                session,
                person,
                duty,
                version,
                method="link",
                ip=None,
                user_agent="test",
                now=at(MONDAY, 12),
            )
    return kind


@pytest.mark.parametrize("seed", [1, 2])
def test_random_changes_planned_from_the_marks_equal_a_full_recount(
    school: SchoolBuilder, ctx: AppContext, frozen_clock: FrozenClock, seed: int
) -> None:
    rng = random.Random(seed)
    later = random.Random(f"later-{seed}")  # new days (#60), apart from the changes' draws
    day = MONDAY
    # every sweep before the day's full one (01:00): a new day's first plans from the dates
    _sweep(ctx, frozen_clock, 0, day, hour=0)
    kinds = []
    for minute in range(1, 7):
        steps = [_random_change]
        if later.random() < 0.6:
            steps.insert(later.randrange(2), _later)
        for step in steps:
            if step is _later:
                day += timedelta(days=later.randint(1, 40))
                kinds.append(f"to {day}")
            else:
                kinds.append(_random_change(ctx, school, rng))
            result = _sweep(ctx, frozen_clock, minute * 5, day, hour=0)
            assert result.planned in (
                ("attention", "everyone") if step is _later else ("changed", "everyone", "quiet")
            )
            planned = _state(ctx)
            with ctx.store.transaction() as session:
                changes.everyone(session, "oak")
            recount = _sweep(ctx, frozen_clock, minute * 5 + 1, day, hour=0)
            assert recount.planned == "everyone"
            assert (recount.opened, recount.closed) == (0, {}), kinds
            assert _state(ctx) == planned, kinds


def _later() -> None:
    """A step of the seeded walk: a later day (1 to 40 days on)."""
