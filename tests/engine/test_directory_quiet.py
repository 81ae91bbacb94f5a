"""A quiet sweep does not apply a directory read it applied already: a school's share of an
unchanged listing, on the same day, with nobody written since, is skipped and reported as the
last sync reported it; any change of the share, the day, the school's settings or its people
applies it again (#60)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import Person
from bot.engine import directory
from bot.engine.leavers import confirm_removals
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder
from tests.support.quiet_school import MONDAY, built_once, copied
from tests.support.quiet_school import sweep_school as _sweep


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The schools whose directory read is applied (not skipped) from now on, in order."""
    calls: list[str] = []
    apply = directory.apply_listing

    def counted(session: Any, school: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(school.id)
        return apply(session, school, *args, **kwargs)

    monkeypatch.setattr(directory, "apply_listing", counted)
    return calls


@pytest.fixture
def applied(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The schools whose directory read was applied (not skipped), in order."""
    return _counted(monkeypatch)


def _school(school: SchoolBuilder) -> None:
    school.school["directory"] = {"leaver_grace_days": 0, "max_removal_share": 0.5}
    school.people.append(Row("dan@oak.example", "Dan Dee", groups="All Staff;Year 6"))


@pytest.fixture(scope="module")
def quiet_built(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> tuple[Path, str]:
    """The first sweep applies the read; the next (nothing changed) skips it: once per backend
    (the school's folder and its database), copied for each test (``quiet``)."""
    folder = tmp_path_factory.mktemp("quiet")
    with pytest.MonkeyPatch.context() as patch:
        calls = _counted(patch)
        with built_once(folder, module_database_url, _school) as (school, ctx, clock):
            people = len(school.people)
            first = _sweep(ctx, clock, MONDAY, 0)
            assert first.directory.added == people and calls == ["oak"]
            quiet = _sweep(ctx, clock, MONDAY, 15)
            assert calls == ["oak"]  # not applied again
            report = quiet.directory
            assert (report.added, report.updated, report.unchanged) == (0, 0, people)
    return ctx.settings.home, module_database_url


@pytest.fixture
def quiet(
    quiet_built: tuple[Path, str], school: SchoolBuilder, tmp_path: Path, applied: list[str]
) -> Iterator[AppContext]:
    """The test's own copy of ``quiet_built``; ``applied`` starts with the build's read."""
    _school(school)
    applied.append("oak")
    yield from copied(quiet_built, school, tmp_path)


def _person(ctx: AppContext, email: str) -> Person | None:
    with ctx.store.session() as session:
        return session.scalars(select(Person).where(Person.email == email)).one_or_none()


def _renamed(school: SchoolBuilder) -> Callable[[AppContext], bool]:
    [amy] = [r for r in school.people if r.email == "amy@oak.example"]
    amy.name = "Amy Renamed"
    return lambda ctx: (
        getattr(_person(ctx, "amy@oak.example"), "display_name", "") == ("Amy Renamed")
    )


def _new_starter(school: SchoolBuilder) -> Callable[[AppContext], bool]:
    school.people.append(Row("cat@oak.example", "Cat Cole"))
    return lambda ctx: _person(ctx, "cat@oak.example") is not None


def _leaver(school: SchoolBuilder) -> Callable[[AppContext], bool]:
    school.people = [r for r in school.people if r.email != "ben@oak.example"]
    return lambda ctx: not getattr(_person(ctx, "ben@oak.example"), "active", True)


def _role_change(school: SchoolBuilder) -> Callable[[AppContext], bool]:
    [amy] = [r for r in school.people if r.email == "amy@oak.example"]
    amy.roles = "volunteer"

    def check(ctx: AppContext) -> bool:
        with ctx.store.session() as session:
            person = session.scalars(select(Person).where(Person.email == amy.email)).one()
            return {r.role for r in person.roles} == {"volunteer"}

    return check


def _group_change(school: SchoolBuilder) -> Callable[[AppContext], bool]:
    [dan] = [r for r in school.people if r.email == "dan@oak.example"]
    dan.groups = "All Staff"

    def check(ctx: AppContext) -> bool:
        with ctx.store.session() as session:
            person = session.scalars(select(Person).where(Person.email == dan.email)).one()
            return {g.name for g in person.groups} == {"All Staff"}

    return check


@pytest.mark.parametrize("change", [_renamed, _new_starter, _leaver, _role_change, _group_change])
def test_a_change_of_the_listing_after_a_skipped_sync_takes_effect_on_the_next_sweep(
    school: SchoolBuilder,
    quiet: AppContext,
    frozen_clock: FrozenClock,
    applied: list[str],
    change: Callable[[SchoolBuilder], Callable[[AppContext], bool]],
) -> None:
    ctx = quiet
    took_effect = change(school)
    school.write()
    assert not took_effect(ctx)
    result = _sweep(ctx, frozen_clock, MONDAY, 30)
    assert applied == ["oak", "oak"] and took_effect(ctx)
    report = result.directory
    assert report.added + report.updated + report.missing + report.left == 1
    _sweep(ctx, frozen_clock, MONDAY, 45)  # and then it is quiet again
    assert applied == ["oak", "oak"]


def test_a_new_day_applies_the_read_again_so_a_missing_persons_grace_ends(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock, applied: list[str]
) -> None:
    school.school["directory"] = {"leaver_grace_days": 1, "max_removal_share": 0.5}
    ctx = school.context(database_url)
    _sweep(ctx, frozen_clock, MONDAY, 0)
    school.people = [r for r in school.people if r.email != "ben@oak.example"]
    school.write()
    assert _sweep(ctx, frozen_clock, MONDAY, 15).directory.missing == 1
    assert _sweep(ctx, frozen_clock, MONDAY, 30).directory.left == 0
    assert applied == ["oak", "oak"]  # the third was quiet
    tuesday = MONDAY + timedelta(days=1)
    assert _sweep(ctx, frozen_clock, tuesday, 0).directory.left == 1
    assert applied == ["oak", "oak", "oak"]


def test_a_new_day_with_nobody_missing_is_quiet_and_a_grace_is_waited_out_quietly(
    school: SchoolBuilder, quiet: AppContext, frozen_clock: FrozenClock, applied: list[str]
) -> None:
    """The day counts only when a missing person's grace ends: the next days are quiet, and
    the first sweep of the day their grace ends applies the read again (they leave)."""
    ctx = quiet
    tuesday = MONDAY + timedelta(days=1)
    assert _sweep(ctx, frozen_clock, tuesday, 0).directory.unchanged == len(school.people)
    assert applied == ["oak"]  # a new day, nobody missing: quiet
    school.school["directory"] = {"leaver_grace_days": 3, "max_removal_share": 0.5}
    school.people = [r for r in school.people if r.email != "ben@oak.example"]
    school.write()
    ctx.forget_config()
    assert _sweep(ctx, frozen_clock, tuesday, 15).directory.missing == 1
    for later in (2, 3):  # Wednesday, Thursday: Ben's grace runs to Friday
        assert _sweep(ctx, frozen_clock, tuesday + timedelta(days=later - 1), 0).directory.left == 0
    assert applied == ["oak", "oak"]
    friday = tuesday + timedelta(days=3)
    assert _sweep(ctx, frozen_clock, friday, 0).directory.left == 1
    assert applied == ["oak", "oak", "oak"]
    assert not getattr(_person(ctx, "ben@oak.example"), "active", True)
    assert _sweep(ctx, frozen_clock, friday + timedelta(days=3), 0).directory.left == 0
    assert applied == ["oak", "oak", "oak"]  # nobody missing now: quiet again


def test_a_person_written_outside_the_directory_is_put_back_though_the_read_is_the_same(
    school: SchoolBuilder, quiet: AppContext, frozen_clock: FrozenClock, applied: list[str]
) -> None:
    ctx = quiet
    with ctx.store.transaction() as session:
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        amy.display_name = "Someone Else"
    assert _sweep(ctx, frozen_clock, MONDAY, 30).directory.updated == 1
    assert applied == ["oak", "oak"]


def test_a_stopped_sync_is_never_skipped_and_confirm_removals_takes_effect_next_sweep(
    school: SchoolBuilder, quiet: AppContext, frozen_clock: FrozenClock, applied: list[str]
) -> None:
    ctx = quiet
    gone = len(school.people) - 1
    school.people = school.people[:1]  # most of the school gone at once: asked first
    school.write()
    for minute in (30, 45):
        result = _sweep(ctx, frozen_clock, MONDAY, minute)
        assert result.directory.stopped is not None and result.directory.missing == 0
    assert applied == ["oak", "oak", "oak"]
    with ctx.store.transaction() as session:
        confirm_removals(session, "oak", "admin@oak.example")
    result = _sweep(ctx, frozen_clock, MONDAY, 50)
    assert result.directory.stopped is None and result.directory.left == gone  # grace 0
    assert applied == ["oak"] * 4


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The staff files parsed from now on (each parse, in order)."""
    from connectors.local.directory import FileDirectory

    calls: list[Path] = []
    parse = FileDirectory._parse

    def counted(self: FileDirectory, digest: str) -> Any:
        calls.append(self.path)
        return parse(self, digest)

    monkeypatch.setattr(FileDirectory, "_parse", counted)
    return calls


def test_a_new_process_does_not_parse_an_unchanged_staff_file(
    school: SchoolBuilder,
    quiet: AppContext,
    frozen_clock: FrozenClock,
    applied: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """#80 item 6: the first sweeps kept their read of the file in the database; a new
    process (its own connectors, nothing read, nothing remembered) only hashes the file."""
    from bot.core.database import kept_reads

    monkeypatch.setattr(kept_reads, "_SEEN", {})  # as in a new process
    parses = _parses(monkeypatch)
    fresh = AppContext(quiet.settings)
    report = _sweep(fresh, frozen_clock, MONDAY, 30).directory
    assert parses == [] and applied == ["oak"]
    assert (report.added, report.updated, report.unchanged) == (0, 0, len(school.people))
    took_effect = _new_starter(school)  # and a change is read, applied and kept again
    school.write()
    monkeypatch.setattr(kept_reads, "_SEEN", {})
    _sweep(AppContext(quiet.settings), frozen_clock, MONDAY, 45)
    assert len(parses) == 1 and applied == ["oak", "oak"] and took_effect(fresh)
    monkeypatch.setattr(kept_reads, "_SEEN", {})
    _sweep(AppContext(quiet.settings), frozen_clock, MONDAY, 50)
    assert len(parses) == 1 and applied == ["oak", "oak"]
