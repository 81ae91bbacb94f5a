"""Platform faults never mark people gone (#77 item 7), on SQLite and PostgreSQL, through the
Wonde connector and its fake: a deletions feed listing every employee holds the school's
directory (nobody changed, neither the MIS snapshot nor its cursor kept), shows it as a held
step and mails the school's and the trust's admins once, until an admin confirms; a ``next``
link that points at its own page or at another host ends the read with a plain error after a
bounded number of requests (the token never sent elsewhere); a 401 in the middle of a read
changes nothing; the connector reads only the work address of the four Wonde gives."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import ConnectorState, OutboxMessage, Person, StepFailure
from bot.core.ports import Connectors, PermanentError
from bot.engine.leavers import confirm_removals
from bot.engine.mis import CURSOR_KEY, MIS, STAFF_KEY
from bot.engine.step_failures import HELD, describe, failing_steps
from bot.engine.sweep import run_sweep
from connectors.wonde import client as wonde_client
from connectors.wonde.client import WondeClient
from connectors.wonde.connector import WondeMis
from tests.support.fakes.wonde import FakeWonde
from tests.support.helpers import SchoolBuilder, at

MONDAY, TUESDAY = date(2026, 11, 2), date(2026, 11, 3)
KEPT = 8  # volunteers and supply staff the MIS alone lists (no account)
TRUST_IT = "it@trust.example"


@dataclass
class World:
    ctx: AppContext
    fake: FakeWonde
    connectors: Connectors


@pytest.fixture
def world(school: SchoolBuilder, database_url: str) -> Iterator[World]:
    """Oak's tenant (its staff list) and its MIS: the tenant's five, and eight with no account."""
    fake = FakeWonde()
    for n, row in enumerate(school.people):
        given, family = row.name.split(" ", 1)
        fake.add_employee(f"A{n}", given, family, work_email=row.email, roles=("Teacher",))
    for n in range(KEPT):
        fake.add_employee(f"V{n}", f"Vol{n}", "Unteer", roles=("Volunteer",))
    fake.tick(days=1)
    school.school["job_titles"] = {
        "Teacher": "staff",
        "Volunteer": "volunteer",
        "Headteacher": "staff",
    }
    school.school["admins"] = ["line@oak.example"]
    school.organisation["trust_admins"] = [TRUST_IT]
    ctx = school.context(database_url)
    client = WondeClient(fake.school, fake.token, transport=fake.transport, sleep=lambda s: None)
    connectors = replace(ctx.connectors, mis={"oak": WondeMis(client, now=lambda: fake.now)})
    yield World(ctx, fake, connectors)
    ctx.store.dispose()


def _sweep(world: World, day: date, hour: int = 9) -> list[str]:
    result = run_sweep(
        world.ctx.store,
        world.ctx.settings,
        world.ctx.config,
        world.connectors,
        as_of=day,
        now=at(day, hour),
        deliver=False,
    )[0][0]
    return [f.step for f in result.failed]


def _kept(world: World) -> dict[str, tuple[bool, date | None]]:
    with world.ctx.store.session() as session:
        return {
            name: (active, since)
            for name, active, since in session.execute(
                select(Person.display_name, Person.active, Person.missing_since).where(
                    Person.source == MIS
                )
            )
        }


def _state(world: World) -> dict[str, str]:
    with world.ctx.store.session() as session:
        return {
            key: value
            for key, value in session.execute(
                select(ConnectorState.key, ConnectorState.value).where(
                    ConnectorState.key.in_([STAFF_KEY, CURSOR_KEY])
                )
            )
        }


def test_a_deletions_feed_listing_everyone_is_held_shown_and_told_once(world: World) -> None:
    fake = world.fake
    assert _sweep(world, MONDAY) == []
    before, state = _kept(world), _state(world)
    assert len(before) == KEPT and all(a and s is None for a, s in before.values())
    for mis_id in list(fake.employees):  # a fault: the feed lists every employee as deleted
        fake.delete_employee(mis_id)
    fake.tick(hours=20)
    assert _sweep(world, TUESDAY) == [HELD]
    assert _sweep(world, TUESDAY, 10) == [HELD]  # it keeps holding, and is told once
    assert _kept(world) == before and _state(world) == state  # nothing changed or kept
    with world.ctx.store.session() as session:
        held = failing_steps(session, "oak")
        mails = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "step_failed")
        ).all()
    assert [(f.step, f.failures) for f in held] == [(HELD, 2)]
    said = describe(held[0])
    assert "nobody was changed" in said and "directory confirm-removals --school oak" in said
    assert "directory move --school oak" in said
    assert len(mails) == 1 and set(mails[0].recipients) == {"line@oak.example", TRUST_IT}
    assert mails[0].subject == "Oak Test School: the staff directory is held"
    # an admin confirms: the next sweep applies it (missing, with their duties) and ends the hold
    with world.ctx.store.transaction() as session:
        confirm_removals(session, "oak", "line@oak.example")
    assert _sweep(world, TUESDAY, 11) == []
    assert all(a and s == TUESDAY for a, s in _kept(world).values())
    with world.ctx.store.session() as session:
        assert session.scalar(select(StepFailure.id)) is None


def test_a_401_in_the_middle_of_a_read_changes_nothing(world: World) -> None:
    fake = world.fake
    for n in range(450):  # three pages of 200
        fake.add_employee(f"B{n:03d}", f"Extra{n}", "Person", roles=("Volunteer",))
    fake.tick(days=1)

    def revoke(resource: str, page: int) -> None:
        if resource == "employees" and page == 2:
            fake.token = "another-token"  # the school withdrew its approval mid-read

    fake.after_page = revoke
    assert _sweep(world, MONDAY) == ["mis"]
    assert _kept(world) == {} and _state(world) == {}
    with world.ctx.store.session() as session:
        assert session.scalar(select(Person.id).where(Person.missing_since.is_not(None))) is None


def _client(fake: FakeWonde) -> WondeMis:
    return WondeMis(
        WondeClient(fake.school, fake.token, transport=fake.transport), now=lambda: fake.now
    )


def test_a_next_link_to_its_own_page_or_another_host_ends_the_read() -> None:
    fake = FakeWonde()
    for n in range(450):
        fake.add_employee(f"A{n:03d}", f"Given{n}", "Family", work_email=f"s{n}@oak.example")
    fake.next_link = lambda url, following: url  # every page points at itself
    with pytest.raises(PermanentError, match="a page it had already given"):
        _client(fake).read()
    assert len(fake.requests) == 1  # one page asked, never the same again
    fake.requests.clear()
    fake.next_link = lambda url, following: (
        following.replace("api.wonde.com", "api.wonde.example") if following else None
    )
    with pytest.raises(PermanentError, match=r"away from api\.wonde\.com: not followed"):
        _client(fake).read()
    assert [r.url.host for r in fake.requests] == ["api.wonde.com"]  # the token stayed home


def test_pages_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeWonde()
    for n in range(450):
        fake.add_employee(f"A{n:03d}", f"Given{n}", "Family", work_email=f"s{n}@oak.example")
    monkeypatch.setattr(wonde_client, "MAX_PAGES", 2)
    with pytest.raises(PermanentError, match="ran past 2 pages"):
        _client(fake).read()
    assert len(fake.requests) == 2


def test_only_the_work_address_is_read_of_the_four_wonde_gives() -> None:
    fake = FakeWonde()
    fake.add_employee("A1", "Ann", "Lee", work_email="ann.lee@oak.example")
    fake.add_employee("A2", "Bo", "Kay")  # no work address: none is taken from the others
    emails = fake.employees["A1"].body["contact_details"]["data"]["emails"]
    assert len({emails["work"], emails["email"], emails["primary"]}) == 3
    read = {p.mis_id: p.email for p in _client(fake).read().people}
    assert read == {"A1": "ann.lee@oak.example", "A2": None}
