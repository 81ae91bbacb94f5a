"""Managers, roles and groups of new people, written set-based, on SQLite and PostgreSQL: a
listing whose managers are new too (named before or after, by email or external id, a cycle,
someone naming themselves, someone unknown) stores exactly the right rows, and a later listing
that changes, clears or adds managers leaves exactly what it says."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.core.models import Person, PersonGroup, PersonRole
from bot.core.ports import DirectoryChanges, DirectoryPerson
from bot.engine.config_sync import ensure_school
from bot.engine.directory import apply_listing
from bot.engine.directory_report import DirectoryReport
from tests.support.helpers import SchoolBuilder

MONDAY = date(2026, 11, 2)


def _person(
    key: str,
    *,
    manager: str | None = None,
    manager_id: str | None = None,
    groups: tuple[str, ...] = ("All Staff",),
    roles: tuple[str, ...] = ("staff",),
) -> DirectoryPerson:
    return DirectoryPerson(
        external_id=f"id-{key}",
        email=f"{key}@oak.example",
        display_name=key.title(),
        groups=frozenset(groups),
        roles=frozenset(roles),
        manager_email=manager,
        manager_external_id=manager_id,
    )


def _stored(
    school: SchoolBuilder, database_url: str
) -> tuple[dict[str, str | None], dict[str, set[tuple[str, str]]], dict[str, set[str]]]:
    """Each person's manager (by key), roles with their source, and groups."""
    ctx = school.context(database_url)
    with ctx.store.session() as session:
        people = dict(session.execute(select(Person.id, Person.email)).all())
        key = {pid: email.split("@")[0] for pid, email in people.items()}
        managers = {
            key[pid]: (key[m] if m is not None else None)
            for pid, m in session.execute(select(Person.id, Person.manager_id)).all()
        }
        roles: dict[str, set[tuple[str, str]]] = {k: set() for k in key.values()}
        role_rows = session.execute(
            select(PersonRole.person_id, PersonRole.role, PersonRole.source)
        ).all()
        for pid, role, source in role_rows:
            roles[key[pid]].add((role, source))
        assert len(role_rows) == sum(len(r) for r in roles.values())  # no row twice
        groups: dict[str, set[str]] = {k: set() for k in key.values()}
        group_rows = session.execute(select(PersonGroup.person_id, PersonGroup.name)).all()
        for pid, name in group_rows:
            groups[key[pid]].add(name)
        assert len(group_rows) == sum(len(g) for g in groups.values())
    return managers, roles, groups


def _apply(
    school: SchoolBuilder, database_url: str, people: list[DirectoryPerson], day: date
) -> DirectoryReport:
    ctx = school.context(database_url)
    cfg = ctx.config.school()
    with ctx.store.transaction() as session:
        ensure_school(session, cfg)
        return apply_listing(session, cfg, DirectoryChanges(people=people, complete=True), day)


def test_new_people_with_new_managers_are_stored_exactly(
    school: SchoolBuilder, database_url: str
) -> None:
    school.school["role_groups"] = {"Leadership": "admin"}
    first = [
        _person("ta", manager_id="id-teacher"),  # a manager listed later, by external id
        _person("boss", manager="deputy@oak.example", groups=("All Staff", "Leadership")),
        _person("deputy", manager_id="id-boss", groups=("Leadership",)),  # boss <-> deputy
        _person("teacher", manager="deputy@oak.example", roles=("staff", "dsl")),
        _person("solo", manager="solo@oak.example"),  # nobody manages themselves
        _person("stray", manager="nobody@oak.example", groups=()),  # an unknown manager
    ]
    report = _apply(school, database_url, first, MONDAY)
    assert (report.added, report.updated, report.unchanged) == (6, 0, 0)
    managers, roles, groups = _stored(school, database_url)
    assert managers == {
        "ta": "teacher",
        "boss": "deputy",
        "deputy": "boss",
        "teacher": "deputy",
        "solo": None,
        "stray": None,
    }
    assert roles == {
        "ta": {("staff", "directory")},
        "solo": {("staff", "directory")},
        "stray": {("staff", "directory")},
        "boss": {("staff", "directory"), ("admin", "directory")},
        "deputy": {("staff", "directory"), ("admin", "directory")},
        "teacher": {("staff", "directory"), ("dsl", "directory")},
    }
    assert groups == {
        "ta": {"All Staff"},
        "boss": {"All Staff", "Leadership"},
        "deputy": {"Leadership"},
        "teacher": {"All Staff"},
        "solo": {"All Staff"},
        "stray": set(),
    }

    second = [
        _person("ta", manager="boss@oak.example"),  # changed, by email
        _person("boss", manager="deputy@oak.example", groups=("All Staff", "Leadership")),
        _person("deputy", manager_id="id-boss", groups=("Leadership",)),
        _person("teacher", roles=("staff", "dsl")),  # manager cleared
        _person("solo", manager="solo@oak.example"),
        _person("stray", manager="nobody@oak.example", groups=()),
        _person("newbie", manager_id="id-teacher"),  # new, managed by someone stored
        _person("trainee", manager="newbie@oak.example"),  # new, managed by someone new
    ]
    report = _apply(school, database_url, second, MONDAY)
    assert (report.added, report.updated, report.unchanged) == (2, 0, 6)
    managers, roles, groups = _stored(school, database_url)
    assert managers == {
        "ta": "boss",
        "boss": "deputy",
        "deputy": "boss",
        "teacher": None,
        "solo": None,
        "stray": None,
        "newbie": "teacher",
        "trainee": "newbie",
    }
    assert roles["newbie"] == roles["trainee"] == {("staff", "directory")}
    assert groups["newbie"] == groups["trainee"] == {"All Staff"}

    report = _apply(school, database_url, second, MONDAY)  # nothing new: nothing written
    assert (report.added, report.updated, report.unchanged) == (0, 0, 8)
    assert _stored(school, database_url)[0] == managers
