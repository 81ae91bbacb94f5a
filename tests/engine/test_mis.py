"""The school's MIS beside its tenant, on SQLite and PostgreSQL, through the Wonde connector
and its fake: 1,500 staff (300 at CI size; 50 without a work address, 30 leavers whose accounts
still work, 20 supply staff and volunteers with no account, one deleted between two pages of
the first read) each classified right; the next night's read two requests; people with no
account kept as people without an address; an MIS end date makes its account missing and then
a leaver, as a directory's removal does, and an open account never brings them back; never a
write."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.guards.emails import has_mailbox
from bot.core.models import Person
from bot.core.ports import MisPerson
from bot.engine.directory import sync_directory
from bot.engine.mis import MIS, Account, ended_addresses, mis_lines, reconcile, reconciled, sync_mis
from connectors.wonde.client import PER_PAGE, WondeClient
from connectors.wonde.connector import WondeMis
from tests.support.fakes.wonde import FakeWonde
from tests.support.helpers import Row, SchoolBuilder
from tests.support.scale import full_size

MONDAY = date(2026, 11, 2)
START = date(2020, 9, 1)
# the 1,500 with COMPLIANCE_BOT_FULL_SIZE=1; 300 (two pages of 200) otherwise
STAFF, KEPT, NO_EMAIL, LEAVERS = full_size(300, 1500), 20, 50, 30
PAGES = -(-STAFF // PER_PAGE)
DELETED = "A00150"


def _email(i: int) -> str:
    return f"s{i}@oak.example"


@dataclass
class World:
    ctx: AppContext
    fake: FakeWonde
    mis: WondeMis


@pytest.fixture
def world(school: SchoolBuilder, database_url: str) -> Iterator[World]:
    """The tenant (a staff list of 1,480 accounts) and the MIS (1,500 employees)."""
    fake = FakeWonde()
    school.people = []
    for i in range(STAFF):
        kept = i < KEPT
        title = ("Supply Teacher" if i % 2 else "Volunteer") if kept else "Teacher"
        no_email = KEPT <= i < KEPT + NO_EMAIL
        leaver = KEPT + NO_EMAIL <= i < KEPT + NO_EMAIL + LEAVERS
        fake.add_employee(
            f"A{i:05d}",
            f"Given{i}",
            f"Family{i}",
            work_email=None if kept or no_email else _email(i).upper(),
            roles=(title, "Designated Safeguarding Lead") if i == 100 else (title,),
            start=START,
            end=date(2026, 8, 31) if leaver else None,
        )
        if not kept:
            school.people.append(Row(_email(i), f"Given{i} Family{i}", start=START.isoformat()))
    school.school.update(
        headteacher=_email(100),
        dsl=[_email(100)],
        deputy_dsl=[_email(101)],
        job_titles={"Supply Teacher": "supply", "Volunteer": "volunteer", "Teacher": "staff"},
    )
    fake.tick(days=30)

    def delete_between_pages(resource: str, page: int) -> None:
        if resource == "employees" and page == 1 and DELETED in fake.employees:
            fake.delete_employee(DELETED)

    fake.after_page = delete_between_pages
    client = WondeClient(fake.school, fake.token, transport=fake.transport, sleep=lambda s: None)
    ctx = school.context(database_url)
    yield World(ctx, fake, WondeMis(client, now=lambda: fake.now))
    ctx.store.dispose()


def test_every_person_is_classified_and_the_next_read_is_two_requests(world: World) -> None:
    ctx, fake = world.ctx, world.fake
    school = ctx.config.schools[0]
    with ctx.store.session() as session, session.begin():
        sync_directory(session, school, ctx.connectors.directory, MONDAY)
        report = sync_mis(session, school, world.mis, MONDAY)
        lists = reconciled(session, school.id, MONDAY)
    assert lists is not None
    assert (
        report.matched,
        report.no_account,
        report.no_record,
        report.ended,
        report.ambiguous,
    ) == (STAFF - KEPT - 1, KEPT, 1, LEAVERS, 0)
    assert sorted(p.mis_id for p in lists.no_account) == [f"A{i:05d}" for i in range(KEPT)]
    assert [a.email for a in lists.no_record] == ["s150@oak.example"]  # deleted in the MIS
    assert sorted(m.account.email for m in lists.ended) == sorted(
        _email(i) for i in range(KEPT + NO_EMAIL, KEPT + NO_EMAIL + LEAVERS)
    )
    by_name = [m for m in lists.matched if m.how == "name and start date"]
    assert sorted(m.account.email for m in by_name) == sorted(
        _email(i) for i in range(KEPT, KEPT + NO_EMAIL)
    )
    assert all(
        m.mis.mis_id == f"A{int(m.account.email[1:].split('@')[0]):05d}" for m in lists.matched
    )

    with ctx.store.session() as session:
        kept = session.scalars(select(Person).where(Person.source == MIS)).all()
        assert sorted(p.display_name for p in kept) == sorted(
            f"Given{i} Family{i}" for i in range(KEPT)
        )
        assert not any(p.has_account or has_mailbox(p.email) for p in kept)
        assert {r for p in kept for r in p.role_names} == {"supply", "volunteer"}
        missing = session.scalars(select(Person.email).where(Person.missing_since == MONDAY))
        assert sorted(missing) == sorted(m.account.email for m in lists.ended)

    requests = len(fake.requests)
    assert requests == 2 * (PAGES + 1)  # the pages, a deletion met, the pages again, none met
    fake.tick(days=1)
    fake.update_employee(f"A{STAFF - 1:05d}", surname="Renamed")
    tuesday = MONDAY + timedelta(days=1)
    with ctx.store.session() as session, session.begin():
        again = sync_mis(session, school, world.mis, tuesday)
        directory = sync_directory(
            session,
            school,
            ctx.connectors.directory,
            tuesday,
            not_here=ended_addresses(session, school.id, tuesday),
        )
    assert len(fake.requests) - requests == 2 and not again.complete and again.read == 1
    assert (again.matched, again.no_account, again.no_record) == (STAFF - KEPT - 1, KEPT, 1)
    assert directory.returned == 0  # the leavers' open accounts do not bring them back
    assert fake.writes == [] and {r.method for r in fake.requests} == {"GET"}

    after_grace = MONDAY + timedelta(days=school.directory.leaver_grace_days)
    with ctx.store.session() as session, session.begin():
        left = sync_directory(
            session,
            school,
            ctx.connectors.directory,
            after_grace,
            not_here=ended_addresses(session, school.id, after_grace),
        )
    assert left.left == LEAVERS and left.returned == 0


def test_matching_names_an_ambiguity_and_sets_a_title_aside() -> None:
    def account(pid: int, name: str, start: date | None = START) -> Account:
        return Account(pid, f"p{pid}@oak.example", name, start, True, True, "directory")

    accounts = [
        account(1, "Brendan Maguire"),
        account(2, "Ann Lee"),
        account(3, "Ann Lee"),
        account(4, "Cara Doyle", None),
    ]
    staff = [
        MisPerson("M1", "Fr. Brendan Maguire", start_date=START),
        MisPerson("M2", "Ann Lee", start_date=START),
        MisPerson("M3", "Cara Doyle", start_date=START),
    ]
    lists = reconcile(staff, accounts, MONDAY)
    assert [(m.mis.mis_id, m.account.person_id, m.how) for m in lists.matched] == [
        ("M1", 1, "name and start date")
    ]
    assert [(a.mis.mis_id, a.candidates) for a in lists.ambiguous] == [
        ("M2", ("Ann Lee", "Ann Lee"))
    ]
    # no start date on the account: never guessed by name alone
    assert [p.mis_id for p in lists.no_account] == ["M3"]
    assert [a.person_id for a in lists.no_record] == [4]  # the two Ann Lees are named above
    words = "\n".join(mis_lines(lists, None))
    assert "Ann Lee (MIS): could be Ann Lee, Ann Lee" in words
    assert "Cara Doyle <p4@oak.example>: no MIS record" in words


def test_a_school_that_revoked_access_changes_nobody(world: World) -> None:
    ctx, fake = world.ctx, world.fake
    school = ctx.config.schools[0]
    fake.revoked = True
    with ctx.store.session() as session, session.begin():
        sync_directory(session, school, ctx.connectors.directory, MONDAY)
        with pytest.raises(Exception, match="withdrawn its approval"):
            sync_mis(session, school, world.mis, MONDAY)
        assert reconciled(session, school.id, MONDAY) is None
        assert session.scalar(select(Person.id).where(Person.missing_since.is_not(None))) is None
