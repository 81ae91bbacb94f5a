"""A trust's sweep reads its directory once, whatever the number of schools
(``bot.engine.read_once.ReadOnce``): each school takes its share of the one listing; a quiet
sweep of an unchanged staff file makes no person of it, and no sweep leaves one held."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.core.models import Person
from bot.core.ports import Directory, DirectoryChanges, DirectoryPerson
from bot.engine.sweep import run_sweep
from connectors.local import directory as file_directory
from tests.support.alive import alive_since
from tests.support.helpers import Row, SchoolBuilder, at

TODAY = date(2026, 11, 23)


@dataclass
class Counted:
    """The real directory, its reads counted."""

    directory: Directory
    reads: int = 0

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        self.reads += 1
        return self.directory.fetch(cursor)


def test_a_trust_sweep_reads_the_staff_file_once_and_each_school_takes_its_share(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    others = ("elm", "ash", "yew")
    school.others = [
        {"id": s, "name": f"{s.title()} School", "headteacher": f"head@{s}.example"} for s in others
    ]
    school.people += [
        Row(f"{who}@{s}.example", f"{who.title()} {s.title()}", "staff", "All Staff", school=s)
        for s in others
        for who in ("head", "amy")
    ]
    context = school.context(sqlite_url)
    for _ in range(2):  # the first sweep (no cursor yet) and a quiet one after it
        counted = Counted(context.connectors.directory)
        connectors = replace(context.connectors, directory=counted, extra_people=None)
        run_sweep(
            context.store, context.settings, context.config, connectors, as_of=TODAY, deliver=False
        )
        assert counted.reads == 1
    with context.store.session() as session:
        people = dict(
            session.execute(select(Person.school_id, func.count()).group_by(Person.school_id)).all()
        )
    assert people == {"oak": 5, "elm": 2, "ash": 2, "yew": 2}


def test_a_quiet_sweep_makes_no_person_of_an_unchanged_staff_file_and_none_is_held(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between sweeps the staff file keeps each school's share digest, not its people (#60:
    memory flat in the number of schools): a quiet sweep compares digests and reads nobody."""
    others = ("elm", "ash")
    school.others = [
        {"id": s, "name": f"{s.title()} School", "headteacher": f"head@{s}.example"} for s in others
    ]
    school.people += [
        Row(f"{who}@{s}.example", f"{who.title()} {s.title()}", "staff", "All Staff", school=s)
        for s in others
        for who in ("head", "amy")
    ]
    context = school.context(database_url)
    made: list[str] = []
    make = file_directory._row_to_person

    def counted(*args: object, **kwargs: object) -> DirectoryPerson:
        person = make(*args, **kwargs)  # type: ignore[arg-type]
        made.append(person.email)
        return person

    monkeypatch.setattr(file_directory, "_row_to_person", counted)
    emails = {row.email for row in school.people}
    held = alive_since(DirectoryPerson, lambda o: o.email in emails)  # none yet

    for minutes, people_made in ((0, len(emails)), (15, 0), (30, 0)):  # first, quiet, quiet
        made.clear()
        results, _ = run_sweep(
            context.store,
            context.settings,
            context.config,
            replace(context.connectors, extra_people=None),
            as_of=TODAY,
            now=at(TODAY, 8) + timedelta(minutes=minutes),
            deliver=False,
        )
        assert not [r.failed for r in results if r.failed]
        assert len(made) == people_made and held() == []
    assert [r.directory.unchanged for r in results] == [5, 2, 2]  # read from what was kept
