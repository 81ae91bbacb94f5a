"""A quiet sweep (nothing changed since the last one that did nothing, the same day) leaves
the duties step out; any change of what it reads, or a new day, runs it again (#44)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import Duty, DutySnapshot, Person, SweepRun
from bot.engine import changes
from bot.features.dashboard.api import read_figures
from bot.features.evidence.people import training as training_matrix
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder
from tests.support.quiet_school import MONDAY, built_once, copied, quiet_school, record_training
from tests.support.quiet_school import sweep_school as _sweep


def _school(school: SchoolBuilder) -> None:
    school.school["directory"] = {"leaver_grace_days": 0, "max_removal_share": 0.5}
    quiet_school(school)


def _built_at(ctx: AppContext) -> object:
    with ctx.store.session() as session:
        return session.scalar(select(DutySnapshot.built_at))


@pytest.fixture(scope="module")
def quiet_built(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> tuple[Path, str]:
    """The first sweep, then a quiet one (the duties step runs, does nothing, and says so):
    once per backend (the school's folder and its database), copied for each test (``swept``)."""
    folder = tmp_path_factory.mktemp("quiet")
    with built_once(folder, module_database_url, _school) as (_, ctx, clock):
        assert _sweep(ctx, clock, MONDAY, 0).opened == 8  # 4 staff x 2 requirements
        quiet = _sweep(ctx, clock, MONDAY, 15)
        assert (quiet.opened, quiet.closed, quiet.reminders) == (0, {}, [])
    return ctx.settings.home, module_database_url


@pytest.fixture
def swept(
    quiet_built: tuple[Path, str], school: SchoolBuilder, tmp_path: Path
) -> Iterator[AppContext]:
    """The test's own copy of ``quiet_built`` (its folder and database), ``school`` configured
    as the build left it."""
    _school(school)
    yield from copied(quiet_built, school, tmp_path)


def test_a_quiet_sweep_leaves_the_duties_and_their_counts_as_they_were(
    swept: AppContext, frozen_clock: FrozenClock
) -> None:
    ctx = swept
    built = _built_at(ctx)
    again = _sweep(ctx, frozen_clock, MONDAY, 30)
    assert (again.opened, again.closed, again.reminders, again.open_duties) == (0, {}, [], 8)
    assert _built_at(ctx) == built  # the dashboard's counts were not rebuilt: nothing changed


def _new_starter(school: SchoolBuilder, ctx: AppContext) -> None:
    school.people.append(Row("cat@oak.example", "Cat Cole"))
    school.write()


def _leaver(school: SchoolBuilder, ctx: AppContext) -> None:
    school.people = [r for r in school.people if r.email != "ben@oak.example"]
    school.write()


def _role_change(school: SchoolBuilder, ctx: AppContext) -> None:
    [amy] = [r for r in school.people if r.email == "amy@oak.example"]
    amy.roles = "volunteer"
    school.write()


def _new_policy_version(school: SchoolBuilder, ctx: AppContext) -> None:
    school.policy("online-safety", "2026.2", published=str(MONDAY))
    school.write()


def _training_recorded(school: SchoolBuilder, ctx: AppContext) -> None:
    record_training(ctx, "amy@oak.example", MONDAY, "amy")


@pytest.mark.parametrize(
    ("change", "opened", "closed", "planned"),
    [
        (_new_starter, 2, {}, "changed"),
        (_leaver, 0, {"left": 2}, "changed"),
        # no longer owed, and the training never done: not required, never "done" (#81)
        (_role_change, 0, {"not_required": 2}, "changed"),
        (_new_policy_version, 4, {"superseded": 4}, "everyone"),
        (_training_recorded, 0, {"done": 1}, "changed"),
    ],
)
def test_a_change_after_a_quiet_sweep_is_picked_up_the_same_day(
    school: SchoolBuilder,
    swept: AppContext,
    frozen_clock: FrozenClock,
    change: Callable[[SchoolBuilder, AppContext], None],
    opened: int,
    closed: dict[str, int],
    planned: str,
) -> None:
    ctx = swept
    change(school, ctx)
    result = _sweep(ctx, frozen_clock, MONDAY, 30)
    assert (result.opened, result.closed, result.planned) == (opened, closed, planned)
    assert result.planned_people == (1 if planned == "changed" else 0)
    with ctx.store.transaction() as session:  # a full recount finds nothing left to do
        changes.everyone(session, "oak")
    again = _sweep(ctx, frozen_clock, MONDAY, 45)
    assert (again.planned, again.opened, again.closed) == ("everyone", 0, {})
    assert not [r for r in again.reminders if r.queued]


def test_a_reminder_stage_falling_due_on_a_new_day_is_sent(
    swept: AppContext, frozen_clock: FrozenClock
) -> None:
    ctx = swept
    friday = MONDAY + timedelta(days=11)  # 3 days before the acknowledgement falls due
    for day in (MONDAY + timedelta(days=1), friday):
        first, quiet = _sweep(ctx, frozen_clock, day, 0), _sweep(ctx, frozen_clock, day, 15)
        assert quiet.reminders == []
        assert (first.planned, quiet.planned) == ("everyone", "quiet")  # each day's first: all
    assert [r for r in first.reminders if r.queued] and first.opened == 0
    with ctx.store.session() as session:  # each sweep's record says whom it planned
        stats = list(session.scalars(select(SweepRun.stats).order_by(SweepRun.id)))
    assert [s.get("planned") for s in stats[-2:]] == ["everyone", "quiet"]


def test_a_training_renewal_opening_on_a_new_day_is_opened(
    swept: AppContext, frozen_clock: FrozenClock
) -> None:
    ctx = swept
    # amy's course expires on 24 December: the renewal opens 30 days before, on Tuesday
    tuesday = MONDAY + timedelta(days=1)
    record_training(ctx, "amy@oak.example", date(2025, 12, 24), "amy")
    assert _sweep(ctx, frozen_clock, MONDAY, 30).closed == {"done": 1}
    assert _sweep(ctx, frozen_clock, MONDAY, 45).closed == {}
    assert _sweep(ctx, frozen_clock, tuesday, 0).opened == 1


def test_a_sync_that_finds_nothing_new_reports_what_the_one_before_did(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    _school(school)
    school.school["job_titles"] = {"Headteacher": "staff"}
    school.people.append(Row("zed@oak.example", "Zed Zoo", roles="", title="Dinner lady"))
    ctx = school.context(database_url)
    _sweep(ctx, frozen_clock, MONDAY, 0)
    full, quiet = _sweep(ctx, frozen_clock, MONDAY, 15), _sweep(ctx, frozen_clock, MONDAY, 30)
    assert full.directory.unmapped == {"Dinner lady": ["Zed Zoo"]}  # set up, owing nothing
    assert quiet.directory == full.directory


def test_someone_missing_leaves_when_their_grace_ends_whatever_the_quiet_sweeps(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    _school(school)
    school.school["directory"] = {"leaver_grace_days": 2, "max_removal_share": 0.5}
    ctx = school.context(database_url)
    _sweep(ctx, frozen_clock, MONDAY, 0)
    _leaver(school, ctx)
    assert _sweep(ctx, frozen_clock, MONDAY, 15).directory.missing == 1
    for day in (MONDAY, MONDAY + timedelta(days=1)):
        assert _sweep(ctx, frozen_clock, day, 30).directory.left == 0
    assert _sweep(ctx, frozen_clock, MONDAY + timedelta(days=2), 0).closed == {"left": 2}


def test_a_person_changed_outside_the_directory_is_put_back_by_the_next_sync(
    swept: AppContext, frozen_clock: FrozenClock
) -> None:
    ctx = swept
    frozen_clock.at(MONDAY, 9, 20)
    with ctx.store.transaction() as session:
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        amy.display_name = "Someone Else"
    assert _sweep(ctx, frozen_clock, MONDAY, 30).directory.updated == 1


def test_training_left_undone_and_owed_again_is_reopened_and_never_counted_done(
    school: SchoolBuilder, swept: AppContext, frozen_clock: FrozenClock
) -> None:
    """Amy leaves the training's audience and comes back, never trained: her duty closes "not
    required" and opens again, so the dashboard, the governors' report and the evidence pack's
    training matrix all say 0 up to date where no training is recorded (#81 item 4)."""
    ctx = swept
    _role_change(school, ctx)
    assert _sweep(ctx, frozen_clock, MONDAY, 30).closed == {"not_required": 2}
    [amy] = [r for r in school.people if r.email == "amy@oak.example"]
    amy.roles = "staff"
    school.write()
    again = _sweep(ctx, frozen_clock, MONDAY, 45)
    assert again.opened == 2  # her reading and her training reopened
    with ctx.store.session() as session:
        amy_id = session.scalar(select(Person.id).where(Person.email == "amy@oak.example"))
        duties = session.scalars(select(Duty).where(Duty.person_id == amy_id)).all()
        assert {(d.kind, d.status, d.closed_reason, d.last_stage) for d in duties} == {
            ("acknowledge_policy", "open", None, -1),
            ("complete_training", "open", None, -1),
        }
        figures = read_figures(session, "oak", MONDAY, now=frozen_clock.at(MONDAY, 10))
        matrix = training_matrix(session, "oak", MONDAY)
    [course] = figures.training
    in_date = sum(1 for row in matrix.rows if row[5] in ("in date", "expires soon"))
    assert (course.audience, course.up_to_date, in_date, len(matrix.rows)) == (4, 0, 0, 4)
    assert (figures.training_done, figures.training_owed) == (0, 4)
    assert (figures.ack_done, figures.ack_owed) == (0, 4)
