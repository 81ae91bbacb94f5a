"""People outside the directory on the platforms, through the real connectors over the fakes
of Graph and the Admin SDK, on SQLite and PostgreSQL: an extra people file beside Microsoft
365 and the people register beside Google Workspace add a supply teacher and a governor on a
personal address; an address the tenant lists stays the tenant's; when the tenant stops
listing that person, the extra entry speaks for them; a removed row is missing, then a leaver
after the grace period, as anyone the directory stops listing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import ExtraPerson, Person
from bot.core.ports import Directory
from bot.engine.config_sync import ensure_school
from bot.engine.directory import sync_directory
from bot.engine.directory_report import DirectoryReport
from bot.engine.extra_people import sync_extra_people
from bot.wiring import extra_people_file
from tests.support.helpers import SchoolBuilder

ADA = "ada.head@oakfield.example"
BEN = "ben.teacher@oakfield.example"
CARA = "cara.governor@oakfield.example"
SAM = "sam.supply@agency.example"
GIL = "gil.governor@home.example"
MONDAY = date(2026, 11, 2)

Sync = Callable[[date], DirectoryReport]


def _context(tmp_path: Path, database_url: str) -> AppContext:
    builder = SchoolBuilder(tmp_path / "school")
    builder.school.update(headteacher=ADA, dsl=[ADA], deputy_dsl=[])
    return builder.context(database_url)


def _syncer(ctx: AppContext, directory: Directory, extra: Directory | None) -> Sync:
    """What the sweep does first: the directory, then the people outside it."""
    school = ctx.config.school()

    def sync(day: date) -> DirectoryReport:
        with ctx.store.transaction() as session:
            report = sync_directory(session, school, directory, day)
            report.absorb(sync_extra_people(session, school, extra, day))
            return report

    return sync


def _state(ctx: AppContext, email: str) -> tuple[bool, date | None, str, set[str]]:
    """(active, missing since, source, roles)."""
    with ctx.store.session() as session:
        person = session.scalar(select(Person).where(Person.email == email))
        assert person is not None, email
        return person.active, person.missing_since, person.source, person.role_names


def test_m365_and_an_extra_people_file(tmp_path: Path, database_url: str) -> None:
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    from connectors.m365.connector import build
    from tests.connectors.contract.kit_m365 import m365_settings
    from tests.support.fakes.graph import FakeClock, FakeGraph

    fake = FakeGraph(clock=FakeClock())
    fake.seed_population()
    people = tmp_path / "extra-people.csv"
    people.write_text(
        "email,name,roles,job_title\n"
        f"{SAM},Sam Supply,supply,Year 3 supply teacher\n"
        f"{GIL},Gil Governor,governor,Parent governor\n"
        f"{CARA},Cara at home,volunteer,Reading volunteer\n",
        encoding="utf-8",
    )
    settings = m365_settings(tmp_path).model_copy(update={"extra_people_file": people})
    connectors = build(settings, transport=fake.transport)
    ctx = _context(tmp_path, database_url)
    sync = _syncer(ctx, connectors.directory, extra_people_file(settings))
    try:
        report = sync(MONDAY)
        assert report.added == 6 and not report.rejected  # 4 from the tenant, Sam and Gil
        assert report.notes == [
            f"extra people file: {CARA} is in the school's directory, so the directory's "
            "details and roles are used while it lists them"
        ]
        assert _state(ctx, SAM) == (True, None, "people_file", {"supply"})
        assert _state(ctx, GIL) == (True, None, "people_file", {"governor"})
        assert _state(ctx, CARA)[2:] == ("directory", {"governor"})
        fake.delete_user("u-3")  # Cara's account goes: the file's row now speaks for her
        tuesday = MONDAY + timedelta(days=1)
        assert sync(tuesday).notes == []
        assert _state(ctx, CARA) == (True, None, "people_file", {"volunteer"})
        people.write_text(
            f"email,name,roles\n{GIL},Gil Governor,governor\n{CARA},Cara at home,volunteer\n",
            encoding="utf-8",
        )
        report = sync(tuesday + timedelta(days=1))
        assert (report.missing, report.left) == (1, 0)
        assert _state(ctx, SAM) == (True, tuesday + timedelta(days=1), "people_file", {"supply"})
        report = sync(tuesday + timedelta(days=8))
        assert (report.missing, report.left) == (0, 1)
        assert _state(ctx, SAM)[0] is False
        assert _state(ctx, GIL)[:2] == (True, None)
    finally:
        connectors.mailer.client.close()  # type: ignore[attr-defined]
        ctx.store.dispose()


def test_google_and_the_people_register(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("googleapiclient", reason="needs google-api-python-client")
    from tests.connectors.contract.kit_google import build_google, seeded_fake
    from tests.support.fakes.google import refuse_real_http

    refuse_real_http(monkeypatch)  # offline, as tests/connectors/google
    fake = seeded_fake()
    ctx = _context(tmp_path, database_url)
    # the register alone
    sync = _syncer(ctx, build_google(tmp_path, fake, all_users=True).directory, None)
    with ctx.store.transaction() as session:
        ensure_school(session, ctx.config.school())
        session.add_all(
            [
                ExtraPerson(
                    school_id="oak", email=GIL, display_name="Gil Governor", roles=["governor"]
                ),
                ExtraPerson(
                    school_id="oak", email=BEN, display_name="Ben (supply)", roles=["supply"]
                ),
            ]
        )
    try:
        report = sync(MONDAY)
        assert report.added == 7  # the population, the IT admin, the bot's mailbox and Gil
        assert report.notes == [
            f"people register: {BEN} is in the school's directory, so the directory's details "
            "and roles are used while it lists them"
        ]
        assert _state(ctx, GIL) == (True, None, "register", {"governor"})
        assert _state(ctx, BEN)[2:] == ("directory", {"staff", "account_holder"})
        next(u for u in fake.users if u["primaryEmail"] == BEN)["suspended"] = True
        # suspended in Workspace: missing from the directory, and at once the register's...
        report = sync(MONDAY + timedelta(days=1))
        assert (report.missing, report.returned, report.left) == (1, 1, 0)
        assert _state(ctx, BEN) == (True, None, "register", {"supply"})
        report = sync(MONDAY + timedelta(days=2))  # ...day after day, without a flicker
        assert (report.missing, report.returned, report.updated) == (0, 0, 0)
        assert _state(ctx, BEN) == (True, None, "register", {"supply"})
        with ctx.store.transaction() as session:
            gil = session.scalars(select(ExtraPerson).where(ExtraPerson.email == GIL)).one()
            session.delete(gil)  # taken off the register outright: missing, then a leaver
        report = sync(MONDAY + timedelta(days=3))
        assert (report.missing, report.left) == (1, 0)
        assert sync(MONDAY + timedelta(days=10)).left == 1
        assert _state(ctx, GIL)[0] is False
    finally:
        ctx.store.dispose()
