"""Sweeps that leave planning out when nothing changed (#44; and right after a busy sweep, #60)
and sweeps that plan only the people who changed, or on a new day also those whose
next-attention date came (#60), queue the same emails on the same days and leave the same
duties as sweeps that plan everyone every time: a stretch of the school year in every nation
(the year walk of ``test_school_year_nations``: starters, a leaver and a returner, a new
edition, answers at random, governors' reviews), swept twice each morning and again after the
day's answers and a change made between sweeps (a person added, one leaving, a training record,
one whose renewal opens days later, an edition registered for a later day, a governor's review
date moved, a requirement changed). The day's full sweep is set for 09:00: the 08:15 sweeps
plan from the dates, and only a sweep at or after 09:00 (every third day's second, or one after
the answers) plans everyone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

import tests.engine.test_school_year_nations as year
from bot.core.database.store import Store
from bot.core.deployment.context import AppContext
from bot.core.models import ConnectorState, Duty, Person, Policy, TrainingRecord
from bot.engine import changes
from bot.engine.duties_step import QUIET_KEY
from bot.engine.sweep import run_sweep
from bot.features.policies.review import confirm_review_date
from bot.features.reading.service import register_edition
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder

FIRST = date(2026, 11, 9)
FULL_SWEEP_HOUR = 9  # the incremental walk's daily full sweep: the 08:15 sweeps are before it
LAST = FIRST + timedelta(days=13)  # two weeks of term: asks, reminders, a starter, a leaver
DutyState = tuple[Any, ...]


def _twice(
    full: bool, days: list[list[DutyState]], clock: FrozenClock, planned: list[str]
) -> Callable[..., tuple[list[Any], None]]:
    """The walk's daily sweep (08:15), run twice, every third day the second at 09:30; with
    ``full`` each forgets the quiet mark first (a full recount). After both, the day's duties
    as they stand."""

    def sweep(store: Store, *args: Any, **kwargs: Any) -> tuple[list[Any], None]:
        day = FIRST + timedelta(days=len(days))
        for n in range(2):
            if full:
                with store.transaction() as session:
                    session.execute(delete(ConnectorState).where(ConnectorState.key == QUIET_KEY))
            if n and len(days) % 3 == 0:
                clock.at(day, FULL_SWEEP_HOUR, 30)
            results, _ = run_sweep(store, *args, **kwargs)
            planned.extend(r.planned for r in results)
        clock.at(day, 8, 15)
        with store.session() as session:
            days.append(
                sorted(
                    tuple(row)
                    for row in session.execute(
                        select(
                            Duty.id,
                            Duty.person_id,
                            Duty.requirement_id,
                            Duty.cycle,
                            Duty.status,
                            Duty.opened_on,
                            Duty.due_on,
                            Duty.closed_on,
                            Duty.last_stage,
                            Duty.reminders_sent,
                            Duty.last_reminded_on,
                        )
                    )
                )
            )
        return [], None

    return sweep


_MIDDAY = (1, 2, 3, 4, 8, 9)  # the days (from FIRST) of a change and a sweep after the answers
_ANSWER = year._answer  # the walk's own (each walk's is patched in turn)


def _midday(day: date, ctx: AppContext, builder: SchoolBuilder) -> None:
    """A change between two sweeps of one day, the same for both walks."""
    n = (day - FIRST).days  # school days: FIRST is a Monday
    if n == 1:  # an edition registered today, in force on Friday (its date is the school's)
        path = builder.home / "guidance-friday.md"
        path.write_text("# Guidance\n\nIn force from Friday.\n")
        with ctx.store.transaction() as session:
            register_edition(
                session,
                ctx.config.schools[0],
                "read-guidance",
                "part-1",
                title="Guidance (Friday)",
                edition="friday",
                path=path,
                in_force=day + timedelta(days=3),
                actor=f"dep@{year.DOMAIN}",
            )
    if n in (1, 8):  # a person added mid-week, and leaving a week later
        if n == 1:
            builder.people.append(Row(f"ivy@{year.DOMAIN}", "Ivy Midweek"))
        else:
            builder.people = [r for r in builder.people if not r.email.startswith("ivy@")]
        builder.write()
        ctx.forget_config()
    with ctx.store.transaction() as session:
        if n in (2, 9):  # a training record for someone
            people = list(session.scalars(select(Person.id).order_by(Person.id)))
            untrained = session.scalars(  # Wednesday's: someone not trained yet
                select(Duty.person_id)
                .where(Duty.kind == "complete_training", Duty.status == "open")
                .order_by(Duty.person_id)
            ).first()
            session.add(
                TrainingRecord(
                    school_id="oak",
                    person_id=people[n % len(people)] if n == 9 or untrained is None else untrained,
                    course="Safeguarding",
                    # Wednesday's: a year ago and a month, so its renewal opens on Monday (a
                    # date of that person's); the next week's: today
                    completed_on=day
                    if n == 9
                    else date(day.year - 1, day.month, day.day) + timedelta(days=35),
                    import_key=f"midday-{n}",
                )
            )
        if n == 3:  # a governor's review date moved
            policy = session.scalar(select(Policy).where(Policy.key == "child-protection"))
            if policy is not None and policy.next_review_due is not None:
                confirm_review_date(
                    session,
                    policy,
                    actor=f"head@{year.DOMAIN}",
                    today=day,
                    new_date=policy.next_review_due + timedelta(days=21),
                )
    if n == 4:  # a requirement changed: the training now due sooner
        for requirement in builder.school["requirements"]:
            if requirement.get("kind") == "complete_training":
                requirement["due_days"] = max(7, int(requirement.get("due_days", 28)) - 7)
        builder.write()
        ctx.forget_config()


def _answered(
    full: bool, builder: SchoolBuilder, clock: FrozenClock, planned: list[str]
) -> Callable[..., None]:
    """The walk's answers, then a change and another sweep that day (11:00): with ``full``
    it forgets the marks first (a full recount), else it plans only who changed."""
    answer = _ANSWER

    def answered(ctx: AppContext, day: date, *args: Any) -> None:
        answer(ctx, day, *args)
        if (day - FIRST).days not in _MIDDAY:
            return
        _midday(day, ctx, builder)
        if full:
            with ctx.store.transaction() as session:
                changes.everyone(session, "oak")
        clock.at(day, 11, 0)
        results, _ = run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        planned.extend(r.planned for r in results)

    return answered


def _sent(walked: year.Walked) -> list[tuple[str, str, tuple[str, ...], date]]:
    return [
        (purpose if purpose.startswith("complaint") else key, purpose, to, day)
        for key, purpose, to, day in walked.sent
    ]


@pytest.mark.slow
@pytest.mark.parametrize("nation", list(year.NATIONS))
def test_quiet_sweeps_queue_and_leave_what_full_sweeps_do(
    nation: str, tmp_path: Path, frozen_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = {}
    planned: dict[bool, list[str]] = {False: [], True: []}
    monkeypatch.setenv("COMPLIANCE_BOT_FULL_SWEEP_HOUR", str(FULL_SWEEP_HOUR))
    for full in (False, True):
        days: list[list[DutyState]] = []
        home = tmp_path / ("full" if full else "quiet")
        builder = SchoolBuilder(home / "school")
        monkeypatch.setattr(year, "run_sweep", _twice(full, days, frozen_clock, planned[full]))
        monkeypatch.setattr(year, "_answer", _answered(full, builder, frozen_clock, planned[full]))
        walked[full] = (
            year.walk(builder, f"sqlite:///{home / 'test.db'}", frozen_clock, nation, FIRST, LAST),
            days,
        )
    (quiet, quiet_days), (full_walk, full_days) = walked[False], walked[True]
    assert quiet.sent and [r for r in quiet.sent if r[1] == "reminder"]  # it asked and chased
    # the same emails, to the same people, on the same days (a complaint's key holds its
    # reference, a random code: its purpose stands for it)
    assert _sent(quiet) == _sent(full_walk)
    assert quiet_days == full_days  # the same duties, day by day
    assert quiet.problems == full_walk.problems
    assert set(planned[True]) == {"everyone"}
    assert "changed" in planned[False]  # some sweeps planned only who changed
    # most new days planned from the dates: only the 09:30 sweeps and some after the answers
    # planned everyone
    assert planned[False].count("attention") >= 7, planned[False]
