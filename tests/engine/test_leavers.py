"""Directory changes are evidence, not commands: a typo keeps the person and their duties,
someone absent is missing (still chased) until the grace period or an admin's confirmation,
a person who comes back gets their duties back, and a changed email with the same directory
id is the same person. On SQLite and PostgreSQL, through the local CSV directory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.deployment.context import AppContext
from bot.core.models import AuditEvent, Duty, Person
from bot.engine.sweep import SchoolSweep
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder, sweep

MONDAY = date(2026, 11, 2)
AMY = "amy@oak.example"
BEN = "ben@oak.example"


def _school(school: SchoolBuilder) -> None:
    """Every staff member owes an acknowledgement and a training course (two open duties)."""
    school.policy("online-safety", "1", title="Online Safety Policy", published="2026-11-02")
    school.staff_acknowledge(id="ack")
    school.staff_train("Safeguarding", id="safeguarding")


def _sweep(ctx: AppContext, day: date) -> SchoolSweep:
    results, _ = sweep(ctx, day, deliver=False)
    return results[0]


def _person(ctx: AppContext, email: str) -> Person:
    with ctx.store.session() as session:
        person = session.scalar(select(Person).where(Person.email == email))
        assert person is not None, email
        return person


def _duties(ctx: AppContext, person_id: int) -> dict[int, str]:
    """The person's duties: id -> status."""
    with ctx.store.session() as session:
        return dict(
            session.execute(select(Duty.id, Duty.status).where(Duty.person_id == person_id)).all()
        )


def _open(ctx: AppContext, person_id: int) -> set[int]:
    return {i for i, status in _duties(ctx, person_id).items() if status == "open"}


def _edit(school: SchoolBuilder, who: str, **change: str) -> Callable[[], None]:
    """Change one directory row; returns what puts the file back as it was."""
    index = next(i for i, r in enumerate(school.people) if r.email == who)
    before = school.people[index]
    school.people[index] = Row(**{**vars(before), **change})
    school.write()

    def put_back() -> None:
        school.people[index] = before
        school.write()

    return put_back


TYPOS: dict[str, Callable[[SchoolBuilder], Callable[[], None]]] = {
    "an invalid email": lambda s: _edit(s, AMY, email="amy.oak.example"),
    "an impossible start date": lambda s: _edit(s, AMY, start="31/02/2026"),
    "a changed domain": lambda s: _edit(s, AMY, email="amy@oak"),
}


@pytest.mark.parametrize("typo", list(TYPOS))
def test_a_typo_keeps_the_person_and_every_open_duty(
    school: SchoolBuilder, database_url: str, typo: str
) -> None:
    _school(school)
    ctx = school.context(database_url)
    _sweep(ctx, MONDAY)
    amy = _person(ctx, AMY)
    duties = _open(ctx, amy.id)
    assert len(duties) == 2
    put_back = TYPOS[typo](school)
    for day in (MONDAY + timedelta(days=1), MONDAY + timedelta(days=10)):  # past the grace
        result = _sweep(ctx, day)
        assert len(result.directory.rejected) == 1
        assert result.directory.held == 1  # the row names Amy: she is kept as she was
        assert (result.directory.missing, result.directory.left) == (0, 0)
        assert result.closed.get("left", 0) == 0
        stored = _person(ctx, AMY)
        assert stored.active and stored.missing_since is None and stored.left_on is None
        assert _open(ctx, amy.id) == duties
    put_back()
    result = _sweep(ctx, MONDAY + timedelta(days=11))
    assert result.directory.rejected == []
    assert (result.directory.added, result.directory.missing, result.directory.left) == (0, 0, 0)
    assert _person(ctx, AMY).id == amy.id
    assert _open(ctx, amy.id) == duties
    ctx.store.dispose()


def test_a_row_nobody_can_be_matched_to_makes_its_person_missing_not_a_leaver(
    school: SchoolBuilder, database_url: str
) -> None:
    """Email and name both mistyped: the row names nobody, so Amy is missing (with her duties)
    and the restored file brings the same Amy back with the same open duties."""
    _school(school)
    ctx = school.context(database_url)
    _sweep(ctx, MONDAY)
    amy = _person(ctx, AMY)
    duties = _open(ctx, amy.id)
    put_back = _edit(school, AMY, email="amy.oak.example", name="Amy Abel")
    result = _sweep(ctx, MONDAY + timedelta(days=1))
    assert (result.directory.held, result.directory.missing, result.directory.left) == (0, 1, 0)
    assert [m.email for m in result.missing] == [AMY]
    stored = _person(ctx, AMY)
    assert stored.active and stored.missing_since == MONDAY + timedelta(days=1)
    assert _open(ctx, amy.id) == duties
    put_back()
    result = _sweep(ctx, MONDAY + timedelta(days=3))
    assert result.directory.returned == 1 and result.missing == []
    stored = _person(ctx, AMY)
    assert stored.active and stored.missing_since is None
    assert _open(ctx, amy.id) == duties
    ctx.store.dispose()


@pytest.mark.parametrize("grace", [None, 3])
def test_someone_removed_is_missing_and_chased_until_the_grace_period_ends(
    school: SchoolBuilder, database_url: str, grace: int | None
) -> None:
    _school(school)
    if grace is not None:
        school.school["directory"] = {"leaver_grace_days": grace}
    days = grace if grace is not None else 7  # the default grace period
    ctx = school.context(database_url)
    _sweep(ctx, MONDAY)
    ben = _person(ctx, BEN)
    duties = _open(ctx, ben.id)
    school.people = [r for r in school.people if r.email != BEN]
    school.write()
    gone_on = date(2026, 11, 10)
    result = _sweep(ctx, gone_on)
    assert (result.directory.missing, result.directory.left) == (1, 0)
    assert [(m.email, m.since, m.leaves_on) for m in result.missing] == [
        (BEN, gone_on, gone_on + timedelta(days=days))
    ]
    # still owed, still chased: the reminder 3 days before the due date (16 Nov) goes to Ben
    if days > 3:
        reminded = _sweep(ctx, date(2026, 11, 13))
        assert BEN in {r.person_email for r in reminded.reminders}
    last_missing_day = gone_on + timedelta(days=days - 1)
    result = _sweep(ctx, last_missing_day)
    assert result.directory.left == 0 and _open(ctx, ben.id) == duties
    assert _person(ctx, BEN).active
    result = _sweep(ctx, gone_on + timedelta(days=days))
    assert result.directory.left == 1 and result.closed.get("left") == 2
    stored = _person(ctx, BEN)
    assert not stored.active and stored.left_on == gone_on + timedelta(days=days)
    assert set(_duties(ctx, ben.id).values()) == {"left"}
    with ctx.store.session() as session:
        actions = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(ben.id)))
        )
    assert actions == ["person.missing", "person.left"]
    ctx.store.dispose()


def test_a_leaver_who_returns_gets_the_same_duties_back_with_their_history(
    school: SchoolBuilder, database_url: str
) -> None:
    _school(school)
    ctx = school.context(database_url)
    _sweep(ctx, MONDAY)  # the first reminder (14 days before the due date) goes out
    ben = _person(ctx, BEN)
    duties = _open(ctx, ben.id)
    with ctx.store.session() as session:
        chased = dict(
            session.execute(
                select(Duty.id, Duty.reminders_sent).where(Duty.person_id == ben.id)
            ).all()
        )
    assert set(chased.values()) == {1}
    before = next(r for r in school.people if r.email == BEN)
    school.people = [r for r in school.people if r.email != BEN]
    school.write()
    _sweep(ctx, date(2026, 11, 3))
    _sweep(ctx, date(2026, 11, 10))
    assert set(_duties(ctx, ben.id).values()) == {"left"}
    school.people.append(before)
    school.write()
    result = _sweep(ctx, date(2026, 11, 11))
    assert (result.directory.returned, result.directory.reopened) == (1, 2)
    assert result.directory.added == 0
    stored = _person(ctx, BEN)
    assert stored.id == ben.id and stored.active
    assert stored.left_on is None and stored.missing_since is None
    assert _open(ctx, ben.id) == duties  # the same rows, reopened
    with ctx.store.session() as session:
        rows = session.execute(
            select(Duty.id, Duty.reminders_sent, Duty.closed_on, Duty.closed_reason).where(
                Duty.person_id == ben.id
            )
        ).all()
        returned = session.scalar(select(AuditEvent).where(AuditEvent.action == "person.returned"))
    assert {(i, sent) for i, sent, _, _ in rows} == set(chased.items())  # history kept
    assert all(closed is None and reason is None for _, _, closed, reason in rows)
    assert returned is not None and returned.details["duties_reopened"] == 2
    ctx.store.dispose()


def test_a_changed_email_with_the_same_directory_id_is_the_same_person(
    school: SchoolBuilder, database_url: str
) -> None:
    _school(school)
    for number, row in enumerate(school.people, start=1):
        row.id = f"T{number:03d}"
    ctx = school.context(database_url)
    _sweep(ctx, MONDAY)
    amy = _person(ctx, AMY)
    duties = _open(ctx, amy.id)
    _edit(school, AMY, email="amy.able@oak.example")
    result = _sweep(ctx, MONDAY + timedelta(days=1))
    assert (result.directory.added, result.directory.updated) == (0, 1)
    assert (result.directory.missing, result.directory.left) == (0, 0)
    renamed = _person(ctx, "amy.able@oak.example")
    assert renamed.id == amy.id and renamed.external_id == "T003" and renamed.active
    assert _open(ctx, amy.id) == duties
    with ctx.store.session() as session:
        assert session.scalar(select(Person).where(Person.email == AMY)) is None
    ctx.store.dispose()


def _cli(home: Path, database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        list(args),
        env={
            "COMPLIANCE_BOT_HOME": str(home),
            "COMPLIANCE_BOT_DATABASE_URL": database_url,
            "COLUMNS": "200",
        },
    )
    return result.exit_code, " ".join(result.output.split())


def test_an_admin_confirms_a_missing_person_has_left_before_the_grace_period(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    _school(school)
    ctx = school.context(database_url)
    home = school.home
    frozen_clock.at(MONDAY)
    _sweep(ctx, MONDAY)
    ben = _person(ctx, BEN)
    school.people = [r for r in school.people if r.email != BEN]
    school.write()
    frozen_clock.at(date(2026, 11, 3))
    code, out = _cli(home, database_url, "sweep", "--as-of", "2026-11-03", "--no-send")
    assert code == 0, out
    assert "1 person is missing from the directory" in out
    assert (
        "Ben Brook (ben@oak.example): missing since 3 Nov, keeps their duties until "
        "10 Nov 2026" in out
    )
    code, out = _cli(home, database_url, "directory", "status")
    assert code == 0 and "Ben Brook (ben@oak.example): missing since 3 Nov" in out
    # only the headteacher or an admin may confirm, and only someone who is missing
    code, out = _cli(home, database_url, "directory", "confirm-leaver", BEN, "--as", AMY)
    assert code == 2 and "not the headteacher or an admin" in out
    code, out = _cli(
        home, database_url, "directory", "confirm-leaver", AMY, "--as", "head@oak.example"
    )
    assert code == 1 and "still listed in the directory" in out
    assert _person(ctx, BEN).active
    code, out = _cli(
        home,
        database_url,
        "directory",
        "confirm-leaver",
        BEN,
        "--as",
        "head@oak.example",
        "--as-of",
        "2026-11-04",
    )
    assert code == 0, out
    assert "Ben Brook (ben@oak.example) has left as of 4 Nov 2026" in out
    result = _sweep(ctx, date(2026, 11, 4))
    assert result.closed.get("left") == 2 and result.missing == []
    stored = _person(ctx, BEN)
    assert not stored.active and stored.left_on == date(2026, 11, 4)
    with ctx.store.session() as session:
        event = session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "person.left", AuditEvent.object_id == str(ben.id)
            )
        )
    assert event is not None and event.actor == "cli:head@oak.example"
    assert event.details["reason"] == "confirmed"
    code, out = _cli(
        home, database_url, "directory", "confirm-leaver", BEN, "--as", "head@oak.example"
    )
    assert code == 1 and "has already left" in out
    ctx.store.dispose()
