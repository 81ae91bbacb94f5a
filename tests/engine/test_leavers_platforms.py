"""The same rules on the platforms: a Microsoft 365 delta ``@removed`` entry, a disabled
account and a Google suspension make a person missing (not a leaver), a leaver after the grace
period, and someone enabled again comes back. Through the real connectors over the fakes of
Graph and the Admin SDK, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import Person
from bot.core.ports import Directory
from bot.engine.directory import sync_directory
from bot.engine.directory_report import DirectoryReport
from tests.support.helpers import SchoolBuilder

ADA = "ada.head@oakfield.example"
BEN = "ben.teacher@oakfield.example"
CARA = "cara.governor@oakfield.example"
MONDAY = date(2026, 11, 2)

Sync = Callable[[date], DirectoryReport]


def _context(tmp_path: Path, database_url: str) -> AppContext:
    builder = SchoolBuilder(tmp_path / "school")
    builder.school.update(headteacher=ADA, dsl=[ADA], deputy_dsl=[])
    return builder.context(database_url)


def _syncer(ctx: AppContext, directory: Directory) -> Sync:
    school = ctx.config.school()

    def sync(day: date) -> DirectoryReport:
        with ctx.store.transaction() as session:
            return sync_directory(session, school, directory, day)

    return sync


def _state(ctx: AppContext, email: str) -> tuple[bool, date | None, date | None]:
    """(active, missing since, left on)."""
    with ctx.store.session() as session:
        person = session.scalar(select(Person).where(Person.email == email))
        assert person is not None, email
        return person.active, person.missing_since, person.left_on


def test_m365_removed_and_disabled_accounts_are_missing_then_leavers(
    tmp_path: Path, database_url: str
) -> None:
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    from connectors.m365.connector import build
    from tests.connectors.contract.kit_m365 import m365_settings
    from tests.support.fakes.graph import FakeClock, FakeGraph

    fake = FakeGraph(clock=FakeClock())
    fake.seed_population()
    connectors = build(m365_settings(tmp_path), transport=fake.transport)
    ctx = _context(tmp_path, database_url)
    sync = _syncer(ctx, connectors.directory)
    try:
        assert sync(MONDAY).added == 4
        fake.delete_user("u-1")  # Ada's account is deleted: an @removed entry in the delta
        tuesday = MONDAY + timedelta(days=1)
        report = sync(tuesday)
        assert (report.complete, report.missing, report.left) == (False, 1, 0)
        assert _state(ctx, ADA) == (True, tuesday, None)
        fake.update_user("u-2", accountEnabled=False)  # Ben's account is disabled
        wednesday = MONDAY + timedelta(days=2)
        report = sync(wednesday)
        assert (report.missing, report.left) == (1, 0)
        assert _state(ctx, BEN) == (True, wednesday, None)
        assert _state(ctx, ADA) == (True, tuesday, None)  # the delta says nothing new of her
        report = sync(tuesday + timedelta(days=7))
        assert (report.missing, report.left) == (0, 1)  # Ada: a week missing, now a leaver
        assert _state(ctx, ADA) == (False, tuesday, tuesday + timedelta(days=7))
        assert _state(ctx, BEN) == (True, wednesday, None)
        fake.update_user("u-2", accountEnabled=True)  # Ben's account is enabled again
        report = sync(wednesday + timedelta(days=6))
        assert (report.returned, report.left) == (1, 0)
        assert _state(ctx, BEN) == (True, None, None)
        assert _state(ctx, CARA) == (True, None, None)
    finally:
        connectors.mailer.client.close()  # type: ignore[attr-defined]
        ctx.store.dispose()


def _google_user(fake: Any, email: str) -> dict[str, Any]:
    return next(u for u in fake.users if u["primaryEmail"] == email)


def test_a_google_suspension_is_missing_then_a_leaver_and_a_return_comes_back(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("googleapiclient", reason="needs google-api-python-client")
    from tests.connectors.contract.kit_google import build_google, seeded_fake
    from tests.support.fakes.google import refuse_real_http

    refuse_real_http(monkeypatch)  # offline, as tests/connectors/google
    fake = seeded_fake()
    ctx = _context(tmp_path, database_url)
    sync = _syncer(ctx, build_google(tmp_path, fake, all_users=True).directory)
    try:
        assert sync(MONDAY).added == 6  # the population, the IT admin and the bot's mailbox
        _google_user(fake, BEN)["suspended"] = True
        tuesday = MONDAY + timedelta(days=1)
        report = sync(tuesday)
        assert (report.complete, report.missing, report.left) == (True, 1, 0)
        assert _state(ctx, BEN) == (True, tuesday, None)
        fake.users.remove(_google_user(fake, CARA))  # deleted outright: absent from the list
        for group in fake.groups.values():  # and from her groups, as Workspace does
            group["members"] = [m for m in group["members"] if m != CARA]
        report = sync(tuesday + timedelta(days=1))
        assert (report.missing, report.left) == (1, 0)
        assert _state(ctx, CARA) == (True, tuesday + timedelta(days=1), None)
        report = sync(tuesday + timedelta(days=7))
        assert (report.missing, report.left) == (0, 1)
        assert _state(ctx, BEN) == (False, tuesday, tuesday + timedelta(days=7))
        _google_user(fake, BEN)["suspended"] = False
        report = sync(tuesday + timedelta(days=8))
        assert (report.returned, report.left) == (1, 1)  # Ben is back; Cara's week is up
        assert _state(ctx, BEN) == (True, None, None)
    finally:
        ctx.store.dispose()
