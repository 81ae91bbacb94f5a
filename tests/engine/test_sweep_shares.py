"""A trust's staff file read once a sweep, each school's people built only while that school
is swept (#60: memory flat in the number of schools): the read keeps each school's share
packed, and a school's people are made when it asks for them and gone when it is done. A
share made again is the same people, so nobody looks as if they had left."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.models import Person
from bot.core.ports import DirectoryPerson
from bot.engine import sweep_people
from bot.engine.read_once import ReadOnce
from connectors.local.directory import FileDirectory
from tests.support.alive import alive_since
from tests.support.helpers import Row, SchoolBuilder, at, sweep

TODAY = date(2026, 11, 23)
OTHERS = ("elm", "ash", "yew")


def _trust(school: SchoolBuilder) -> set[str]:
    """Oak and three more schools in one staff file; every address in it."""
    school.others = [
        {"id": s, "name": f"{s.title()} School", "headteacher": f"head@{s}.example"} for s in OTHERS
    ]
    school.people += [
        Row(f"{who}@{s}.example", f"{who.title()} {s.title()}", "staff", "All Staff", school=s)
        for s in OTHERS
        for who in ("head", "amy", "cy")
    ]
    return {row.email for row in school.people}


def _by_school(alive: Callable[[], list[DirectoryPerson]]) -> dict[str, set[str]]:
    """The people of the file alive now, by the school the file names for them."""
    found: dict[str, set[str]] = {}
    for o in alive():
        found.setdefault(o.school or "oak", set()).add(o.email)
    return found


def _sweep(context: Any, now: datetime) -> list[Any]:
    """One sweep of the trust at ``now``, nothing delivered: each school's result."""
    results, _ = sweep(context, TODAY, now, deliver=False)
    return results


def _people(context: Any) -> dict[str, tuple[str | None, bool, date | None]]:
    """Everyone stored: school, active, missing since."""
    with context.store.session() as session:
        rows = session.execute(
            select(Person.email, Person.school_id, Person.active, Person.missing_since)
        ).all()
    return {email: (school_id, active, missing) for email, school_id, active, missing in rows}


def test_each_school_s_people_are_made_while_it_is_swept_and_gone_before_the_next(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While school 2 is swept no person of school 1 is alive, and a school swept after
    another's people have gone still finds its own: nobody is missing."""
    emails = _trust(school)
    context = school.context(database_url)
    alive = alive_since(DirectoryPerson, lambda o: o.email in emails)  # none yet
    seen: dict[str, dict[str, set[str]]] = {}
    sync = sweep_people.sync_directory

    def watched(session: Any, school_config: Any, *args: Any, **kwargs: Any) -> Any:
        seen[school_config.id] = _by_school(alive)  # before the school reads its share
        return sync(session, school_config, *args, **kwargs)

    monkeypatch.setattr(sweep_people, "sync_directory", watched)
    for minutes in (0, 15):  # the first sweep, then the file changed (one address more)
        results = _sweep(context, at(TODAY, 8) + timedelta(minutes=minutes))
        assert not [r.failed for r in results if r.failed]
        assert list(seen) == ["oak", *OTHERS]
        assert all(found == {} for found in seen.values()), seen
        assert _by_school(alive) == {}
        school.people.append(Row("new@yew.example", "Nia New", school="yew"))
        emails.add("new@yew.example")
        school.write()
        seen.clear()
    stored = _people(context)
    assert {e for e, (_s, active, missing) in stored.items() if not active or missing} == set()
    assert {s for s, _a, _m in stored.values()} == {"oak", *OTHERS}
    assert [r.directory.added for r in results] == [0, 0, 0, 1]


def test_a_share_asked_for_twice_is_the_same_people(tmp_path: Any) -> None:
    """The read's shares, made again on each asking, are equal each time and to the file."""
    school = SchoolBuilder(tmp_path / "school")
    _trust(school)
    school.write()
    once = ReadOnce(FileDirectory(school.home / "directory.csv"))
    read = once.fetch(None)
    first = {s: list(read.by_school[s]) for s in ("oak", *OTHERS) if s in read.by_school}
    again = once.fetch(None)
    assert again is read
    for s in reversed(OTHERS):
        assert list(again.by_school[s]) == first[s]
        assert [p.email for p in first[s]] == [f"{w}@{s}.example" for w in ("head", "amy", "cy")]
    assert sorted(p.email for p in read.people) == sorted(
        p.email for share in read.by_school.values() for p in share
    )


def test_only_a_real_leaver_leaves_when_the_file_changes(
    school: SchoolBuilder, database_url: str
) -> None:
    """A changed file is read again and each school takes its share: the one person gone from
    it is missing, nobody else."""
    _trust(school)
    context = school.context(database_url)
    _sweep(context, at(TODAY, 8))
    school.people = [r for r in school.people if r.email != "amy@elm.example"]
    school.write()
    results = _sweep(context, at(TODAY, 8, 15))
    assert not [r.failed for r in results if r.failed]
    stored = _people(context)
    assert {e for e, (_s, _a, missing) in stored.items() if missing} == {"amy@elm.example"}
    assert [r.directory.missing for r in results] == [0, 1, 0, 0]
