"""People outside the directory, through the local directory and real sweeps on SQLite and
PostgreSQL: the extra people file adds a supply teacher and a volunteer with their duties; a
row taken out of the file is missing (duties kept) until the grace period, then a leaver; a bad
row names its file, line and field and leaves its person as they were; an address the
directory lists is the directory's; the register wins over the file."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import Duty, ExtraPerson, Person
from bot.engine.config_sync import ensure_school
from bot.engine.sweep import SchoolSweep
from tests.support.helpers import SchoolBuilder, sweep

MONDAY = date(2026, 11, 2)
SUPPLY = "sam.supply@agency.example"
VOL = "val.volunteer@home.example"
HEADER = "email,name,roles,job_title\n"


def _school(school: SchoolBuilder) -> None:
    school.policy("child-protection", "1", title="Child Protection Policy", published="2026-11-02")
    school.requirement(
        id="ack",
        kind="acknowledge_policy",
        policy="child-protection",
        audience={"roles": ["staff", "volunteer", "supply"]},
    )
    school.staff_train(
        "Safeguarding", id="safeguarding", audience={"roles": ["staff", "volunteer"]}
    )


def _write(ctx: AppContext, text: str) -> None:
    (ctx.settings.home / "extra-people.csv").write_text(text, encoding="utf-8")


def _context(school: SchoolBuilder, database_url: str) -> AppContext:
    _school(school)
    ctx = school.context(database_url)
    _write(
        ctx,
        HEADER + f"{SUPPLY},Sam Supply,supply,Year 3 supply teacher\n"
        f"{VOL},Val Volunteer,volunteer,Reading volunteer\n",
    )
    return ctx


def _sweep(ctx: AppContext, day: date) -> SchoolSweep:
    results, _ = sweep(ctx, day, deliver=False)
    return results[0]


def _state(ctx: AppContext, email: str) -> tuple[bool, date | None, str, set[str], set[str]]:
    """(active, missing since, source, roles, open duty kinds)."""
    with ctx.store.session() as session:
        person = session.scalar(select(Person).where(Person.email == email))
        assert person is not None, email
        kinds = set(
            session.scalars(
                select(Duty.kind).where(Duty.person_id == person.id, Duty.status == "open")
            )
        )
        return person.active, person.missing_since, person.source, person.role_names, kinds


def test_the_file_adds_people_with_their_duties_and_a_removed_row_waits_for_the_grace(
    school: SchoolBuilder, database_url: str
) -> None:
    ctx = _context(school, database_url)
    try:
        first = _sweep(ctx, MONDAY)
        assert first.directory.added == 7 and not first.directory.rejected  # 5 + the 2 extra
        assert _state(ctx, SUPPLY) == (
            True,
            None,
            "people_file",
            {"supply"},
            {"acknowledge_policy"},
        )
        assert _state(ctx, VOL) == (
            True,
            None,
            "people_file",
            {"volunteer"},
            {"acknowledge_policy", "complete_training"},
        )
        _write(ctx, HEADER + f"{VOL},Val Volunteer,volunteer,Reading volunteer\n")
        tuesday = MONDAY + timedelta(days=1)
        report = _sweep(ctx, tuesday).directory
        assert (report.missing, report.left) == (1, 0)
        # missing, not gone: still owes the policy
        assert _state(ctx, SUPPLY)[:2] == (True, tuesday)
        assert _state(ctx, SUPPLY)[4] == {"acknowledge_policy"}
        assert _sweep(ctx, tuesday + timedelta(days=6)).directory.left == 0
        report = _sweep(ctx, tuesday + timedelta(days=7)).directory
        assert report.left == 1
        active, _, _, _, kinds = _state(ctx, SUPPLY)
        assert (active, kinds) == (False, set())
        assert _state(ctx, VOL)[0] is True
    finally:
        ctx.store.dispose()


def test_a_bad_row_names_file_line_and_field_and_keeps_its_person(
    school: SchoolBuilder, database_url: str
) -> None:
    ctx = _context(school, database_url)
    try:
        _sweep(ctx, MONDAY)
        _write(
            ctx,
            HEADER + f"{SUPPLY},Sam Supply,teacher,Year 3 supply teacher\n"
            f"{VOL},Val Volunteer,volunteer,Reading volunteer\n",
        )
        report = _sweep(ctx, MONDAY + timedelta(days=1)).directory
        assert [str(line) for line in report.rejected] == [
            "extra-people.csv line 2 (Sam Supply): roles: 'teacher' cannot be given in this file "
            "(use governor, safeguarding_governor, staff, supply, volunteer)"
        ]
        assert (report.held, report.missing) == (1, 0)
        assert _state(ctx, SUPPLY)[:3] == (True, None, "people_file")
        (ctx.settings.home / "extra-people.csv").write_text("who,what\n", encoding="utf-8")
        report = _sweep(ctx, MONDAY + timedelta(days=2)).directory
        assert report.error is not None and "extra-people.csv line 1: header must include" in (
            report.error
        )
        assert _state(ctx, SUPPLY)[:2] == (True, None)  # an unreadable file changes nobody
    finally:
        ctx.store.dispose()


def test_the_directory_wins_an_address_and_the_register_wins_over_the_file(
    school: SchoolBuilder, database_url: str
) -> None:
    ctx = _context(school, database_url)
    gov = "gov@oak.example"  # Gail Gov, a governor in the local directory
    _write(
        ctx,
        HEADER + f"{SUPPLY},Sam Supply,supply,\n{gov},Gail at home,volunteer,\n"
        f"{VOL},Val Volunteer,volunteer,\n",
    )
    try:
        with ctx.store.transaction() as session:
            ensure_school(session, ctx.config.school())
            session.add(
                ExtraPerson(
                    school_id="oak", email=VOL, display_name="Valerie Volunteer", roles=["governor"]
                )
            )
        report = _sweep(ctx, MONDAY).directory
        assert report.notes == [
            f"extra people file: {VOL} is on the people register page, so the page's entry is used",
            f"extra people file: {gov} is in the school's directory, so the directory's "
            "details and roles are used while it lists them",
        ]
        assert _state(ctx, gov)[2:4] == ("directory", {"governor"})
        assert _state(ctx, VOL)[2:4] == ("register", {"governor"})
        # Gail leaves the directory: missing there, then the file's row speaks for her
        school.people = [r for r in school.people if r.email != gov]
        school.write()
        _sweep(ctx, MONDAY + timedelta(days=1))
        active, missing, source, roles, _ = _state(ctx, gov)
        assert (active, missing, source, roles) == (True, None, "people_file", {"volunteer"})
    finally:
        ctx.store.dispose()


def test_no_file_is_no_extra_people(school: SchoolBuilder, sqlite_url: str, tmp_path: Path) -> None:
    _school(school)
    ctx = school.context(sqlite_url)
    try:
        assert ctx.connectors.extra_people is None
        report = _sweep(ctx, MONDAY).directory
        assert (report.added, report.error, report.notes) == (5, None, [])
    finally:
        ctx.store.dispose()
