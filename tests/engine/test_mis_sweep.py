"""The MIS in the sweep and in ``compliance-bot mis status`` (SQLite; the reading and matching
run on both databases in test_mis.py): the supply teacher the MIS lists with no account is kept
with her duties, a leaver whose account still works goes missing, and a school that withdrew
its approval in Wonde is a failing step with its reason on the admin's status, while the rest
of the sweep carries on."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import Duty, Person
from bot.engine.mis import MIS
from bot.engine.sweep import run_sweep
from connectors.wonde.client import WondeClient
from connectors.wonde.connector import WondeMis
from tests.support.fakes.wonde import FakeWonde
from tests.support.helpers import SchoolBuilder, at

MONDAY = date(2026, 11, 2)


def _status(school: SchoolBuilder, url: str) -> str:
    result = CliRunner().invoke(
        app,
        ["mis", "status", "--as-of", MONDAY.isoformat()],
        env={
            "COMPLIANCE_BOT_HOME": str(school.home),
            "COMPLIANCE_BOT_DATABASE_URL": url,
            "COLUMNS": "200",
        },
    )
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_the_sweep_reads_the_mis_and_an_admin_sees_the_three_lists(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    school.policy("child-protection", "1", title="Child Protection Policy", published="2026-11-02")
    school.requirement(
        id="ack",
        kind="acknowledge_policy",
        policy="child-protection",
        audience={"roles": ["staff", "supply"]},
    )
    school.school["job_titles"] = {
        "Supply Teacher": "supply",
        "Teacher": "staff",
        "Staff Governor": "governor",
    }
    fake = FakeWonde()
    for mis_id, given, family, email in (
        ("A1", "Hana", "Head", "head@oak.example"),
        ("A2", "Lena", "Line", "line@oak.example"),
    ):
        fake.add_employee(mis_id, given, family, work_email=email, roles=("Teacher",))
    fake.add_employee(
        "A3", "Amy", "Able", work_email="amy@oak.example", roles=("Teacher", "Staff Governor")
    )  # an additional post
    fake.add_employee(
        "A4",
        "Ben",
        "Brook",
        work_email="ben@oak.example",
        roles=("Teacher",),
        end=date(2026, 10, 23),
    )
    fake.add_employee("A5", "Sam", "Supply", roles=("Supply Teacher",), start=date(2026, 9, 1))
    fake.tick(days=1)
    ctx = school.context(sqlite_url)
    client = WondeClient(fake.school, fake.token, transport=fake.transport)
    connectors = replace(ctx.connectors, mis={"oak": WondeMis(client, now=lambda: fake.now)})

    result = run_sweep(
        ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY), deliver=False
    )[0][0]
    assert "mis" in result.succeeded and not result.failed
    with ctx.store.session() as session:
        sam = session.scalars(select(Person).where(Person.source == MIS)).one()
        assert (sam.display_name, sam.has_account, sam.role_names) == (
            "Sam Supply",
            False,
            {"supply"},
        )
        assert session.scalar(select(Duty.kind).where(Duty.person_id == sam.id)) == (
            "acknowledge_policy"
        )
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        assert amy.role_names == {"staff", "governor"}  # the tenant's, and her MIS post's
        ben = session.scalars(select(Person).where(Person.email == "ben@oak.example")).one()
        assert ben.missing_since == MONDAY and ben.active  # keeps his duties for the grace

    out = _status(school, sqlite_url)
    assert "Matched: 4 people are in the MIS and in the bot." in out
    assert "In the MIS with no account: 1" in out and "Sam Supply, Supply Teacher" in out
    assert (
        "Ben Brook <ben@oak.example>: the MIS gives Friday 23 October 2026 as their last day" in out
    )
    assert "Gail Gov <gov@oak.example>: no MIS record" in out

    fake.revoked = True
    again = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        connectors,
        as_of=MONDAY,
        now=at(MONDAY, 10),
        deliver=False,
    )[0][0]
    assert [(f.step, f.error) for f in again.failed] == [("mis", "SetupError")]
    assert {"directory", "duties"} <= set(again.succeeded)
    out = _status(school, sqlite_url)
    assert "The MIS could not be read at the last sweep: Wonde refused access to school" in out
    assert "withdrawn its approval of the app in Wonde" in out
    assert "Sam Supply" in out  # the last good read still stands
    assert fake.writes == []
