"""A directory sync that would make many people missing at once stops and asks: nobody is
changed, the sweep carries on with the people known and exits 3 with the command to confirm;
the confirmation (audited) lets the next sweep through. On SQLite and PostgreSQL, via the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.deployment.context import AppContext
from bot.core.models import AuditEvent, Duty, Person, SweepRun
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder

MONDAY = date(2026, 11, 2)
GONE = ("amy@oak.example", "ben@oak.example", "gov@oak.example")
HEAD = "head@oak.example"


def _school(school: SchoolBuilder) -> None:
    school.policy("online-safety", "1", title="Online Safety Policy", published="2026-11-02")
    school.requirement(
        id="ack",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff", "governor"]},
    )


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


def _people(ctx: AppContext) -> dict[str, tuple[bool, date | None]]:
    """email -> (active, missing since)."""
    with ctx.store.session() as session:
        return {
            email: (active, since)
            for email, active, since in session.execute(
                select(Person.email, Person.active, Person.missing_since)
            )
        }


def _open_duties(ctx: AppContext) -> set[int]:
    with ctx.store.session() as session:
        return set(session.scalars(select(Duty.id).where(Duty.status == "open")))


def _stop_three(school: SchoolBuilder, database_url: str, clock: FrozenClock) -> AppContext:
    """A first sweep, then a file that drops three of the five people and adds one."""
    _school(school)
    ctx = school.context(database_url)
    _ = ctx.store  # the school's database, as init makes it
    clock.at(MONDAY)
    code, out = _cli(school.home, database_url, "sweep", "--as-of", "2026-11-02", "--no-send")
    assert code == 0, out
    school.people = [r for r in school.people if r.email not in GONE]
    school.people.append(Row("cat@oak.example", "Cat Cole"))
    school.write()
    return ctx


def test_a_mass_removal_stops_changes_nobody_and_confirming_lets_it_through(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    ctx = _stop_three(school, database_url, frozen_clock)
    home = school.home
    people, duties = _people(ctx), _open_duties(ctx)
    frozen_clock.at(date(2026, 11, 3))
    code, out = _cli(home, database_url, "sweep", "--as-of", "2026-11-03", "--no-send")
    assert code == 3, out
    assert "it would mark 3 of the 5 people as missing from the directory (more than 10%)" in out
    assert "Amy Able, Ben Brook, Gail Gov. Nobody was changed" in out
    assert "compliance-bot directory confirm-removals --school oak --as YOUR-EMAIL" in out
    # nobody changed, not even the new person; the rest of the cycle still ran
    assert _people(ctx) == people and _open_duties(ctx) == duties
    with ctx.store.session() as session:
        runs = set(session.scalars(select(SweepRun.as_of)))
    assert runs == {MONDAY, date(2026, 11, 3)}
    # it keeps asking, and `status` shows it too
    code, out = _cli(home, database_url, "sweep", "--as-of", "2026-11-03", "--no-send")
    assert code == 3 and _people(ctx) == people
    code, out = _cli(home, database_url, "status")
    assert code == 0 and "Directory sync stopped since 3 Nov 2026" in out
    assert "confirm-removals --school oak" in out
    # only the headteacher or an admin can confirm; it is recorded
    code, out = _cli(home, database_url, "directory", "confirm-removals", "--as", "amy@oak.example")
    assert code == 2 and "not the headteacher or an admin" in out
    code, out = _cli(home, database_url, "directory", "confirm-removals", "--as", HEAD)
    assert code == 0, out
    assert "Confirmed by head@oak.example (recorded): 3 people" in out
    with ctx.store.session() as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "directory.removals.confirmed")
        )
    assert event is not None and event.actor == "cli:head@oak.example"
    assert event.details["count"] == 3
    code, out = _cli(home, database_url, "directory", "status")
    assert "Confirmed by head@oak.example: the next sweep applies it." in out
    # the next sweep applies it: they are missing (not leavers) and keep their duties
    code, out = _cli(home, database_url, "sweep", "--as-of", "2026-11-03", "--no-send")
    assert code == 0, out
    assert "3 people are missing from the directory" in out
    after = _people(ctx)
    assert {e: after[e] for e in GONE} == {e: (True, date(2026, 11, 3)) for e in GONE}
    assert after["cat@oak.example"] == (True, None)
    assert duties <= _open_duties(ctx)
    code, out = _cli(home, database_url, "directory", "confirm-removals", "--as", HEAD)
    assert code == 1 and "nothing to confirm" in out
    ctx.store.dispose()


def test_a_confirmation_covers_only_the_people_it_named(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    ctx = _stop_three(school, database_url, frozen_clock)
    home = school.home
    frozen_clock.at(date(2026, 11, 3))
    assert _cli(home, database_url, "sweep", "--as-of", "2026-11-03", "--no-send")[0] == 3
    assert _cli(home, database_url, "directory", "confirm-removals", "--as", HEAD)[0] == 0
    school.people = [r for r in school.people if r.email != "line@oak.example"]
    school.write()
    people = _people(ctx)
    code, out = _cli(home, database_url, "sweep", "--as-of", "2026-11-03", "--no-send")
    assert code == 3 and "it would mark 4 of the 5 people" in out
    assert _people(ctx) == people
    ctx.store.dispose()


def test_putting_the_people_back_lets_the_next_sweep_carry_on(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    ctx = _stop_three(school, database_url, frozen_clock)
    home = school.home
    frozen_clock.at(date(2026, 11, 3))
    assert _cli(home, database_url, "sweep", "--as-of", "2026-11-03", "--no-send")[0] == 3
    school.people = SchoolBuilder(school.home / "fresh").people  # the file is put right
    school.write()
    code, out = _cli(home, database_url, "sweep", "--as-of", "2026-11-03", "--no-send")
    assert code == 0, out
    assert "Directory: 0 added, 0 updated, 0 newly missing, 0 left, 5 unchanged" in out
    assert all(active and since is None for active, since in _people(ctx).values())
    code, out = _cli(home, database_url, "directory", "status")
    assert code == 0 and "Nobody is missing from the directory." in out
    ctx.store.dispose()
