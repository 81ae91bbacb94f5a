"""The pack's facts read from a small school on each database: governors' reviews and
review-date confirmations with their history, the filtering and monitoring check when it is
done (and "not recorded" when it is not), and training expiry in words."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import Duty, Person, Policy, TrainingRecord
from bot.engine.sweep import run_sweep
from bot.features.evidence.service import Facts, gather, school_reports
from bot.features.policies.review import confirm_review_date, record_review
from bot.features.tasks.service import complete_task
from tests.support.helpers import SchoolBuilder, at

TODAY = date(2026, 3, 16)
LONDON = ZoneInfo("Europe/London")


def _school(school: SchoolBuilder, database_url: str, *, filtering: bool) -> AppContext:
    school.policy(
        "online-safety",
        "2025.1",
        title="Online Safety Policy",
        published="2026-01-05",
        next_review="2026-03-10",
    )
    school.policy(
        "code",
        "2025.1",
        title="Staff Code of Conduct",
        published="2026-01-05",
        next_review="2026-09-25",
    )
    school.requirement(
        id="training",
        kind="complete_training",
        course="Safeguarding",
        valid_months=12,
        audience={"roles": ["staff"]},
    )
    if filtering:
        school.requirement(
            id="filtering-check",
            kind="recurring_task",
            every="yearly",
            title="Check filtering and monitoring",
            owners=["amy@oak.example"],
        )
    ctx = school.context(database_url, demo=True)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    return ctx


def _facts(ctx: AppContext) -> Facts:
    with ctx.store.transaction() as session:
        return gather(
            session,
            "oak",
            "Oak School",
            now=at(TODAY, 14),
            tz=LONDON,
            reports=school_reports("oak"),
            made_by="the command line",
            reports_scope="Every report.",
        )


def test_governors_filtering_and_training(school: SchoolBuilder, database_url: str) -> None:
    ctx = _school(school, database_url, filtering=True)
    with time_machine.travel(at(TODAY, 10), tick=False), ctx.store.transaction() as session:
        policies = {p.key: p for p in session.scalars(select(Policy))}
        record_review(
            session,
            policies["online-safety"],
            reviewed_on=date(2026, 3, 11),
            body="FGB",
            minute_ref="FGB/26/07",
            actor="head@oak.example",
            today=TODAY,
        )
        confirm_review_date(
            session, policies["code"], actor="cli", today=TODAY, new_date=date(2026, 10, 1)
        )
        people = {p.email: p for p in session.scalars(select(Person))}
        amy = people["amy@oak.example"]
        session.add(
            TrainingRecord(
                school_id="oak",
                person_id=amy.id,
                course="safeguarding ",
                completed_on=date(2025, 4, 1),
                import_key="t1",
            )
        )
        duty = session.scalars(
            select(Duty).where(Duty.person_id == amy.id, Duty.kind == "recurring_task")
        ).one()
        complete_task(
            session,
            ctx.config.school("oak"),
            duty,
            amy,
            method="link",
            ip=None,
            user_agent=None,
            now=at(TODAY, 10),
        )
    facts = _facts(ctx)
    assert [r[:7] for r in facts.governors.rows] == [
        (
            "Online Safety Policy",
            "11 Mar 2026",
            "Reviewed and ratified",
            "FGB",
            "FGB/26/07",
            "",
            "Hana Head",
        ),
        (
            "Staff Code of Conduct",
            "16 Mar 2026",
            "Next review date changed from 25 Sep 2026 to 01 Oct 2026",
            "",
            "",
            "",
            "the command line",
        ),
    ]
    assert facts.filtering_note is None
    assert [r[0::3] for r in facts.filtering.rows] == [
        ("Check filtering and monitoring", "Amy Able")
    ]
    training = {r[0]: r[2:] for r in facts.training.rows}
    # the last column, "Recorded by", is blank for a record neither they nor someone on their
    # behalf made (an import)
    assert training["Amy Able"] == (
        "Safeguarding",
        "01 Apr 2025",
        "01 Apr 2026",
        "expires soon",
        "",
    )
    assert training["Ben Brook"] == ("Safeguarding", "", "", "not done", "")
    register = {r[0]: r for r in facts.policies.rows}
    assert register["Online Safety Policy"][3:6] == ("11 Mar 2026", "11 Mar 2026", "11 Mar 2027")
    assert facts.concerns.rows == () and facts.reports_total == 0


def test_no_filtering_check_is_said_plainly(school: SchoolBuilder, database_url: str) -> None:
    facts = _facts(_school(school, database_url, filtering=False))
    assert facts.filtering.rows == ()
    assert facts.filtering_note == (
        "Not recorded: no filtering and monitoring check is set up in compliance-bot for this "
        "school."
    )


def test_reviews_after_a_change_with_date_and_outcome(
    school: SchoolBuilder, database_url: str
) -> None:
    from bot.features.tasks.events import record_event

    school.requirement(
        id="filtering-check",
        kind="recurring_task",
        every="yearly",
        title="Check filtering and monitoring",
        owners=["amy@oak.example"],
        review_on=["new_technology"],
        review_within=5,
    )
    ctx = _school(school, database_url, filtering=False)
    with ctx.store.transaction() as session:
        opened = record_event(
            session,
            ctx.config.school("oak"),
            kind="new_technology",
            what="Copilot for staff",
            happened_on=date(2026, 3, 12),
            actor="head@oak.example",
            now=at(TODAY, 9),
            base_url="http://testserver",
            signing_key="k" * 32,
        )
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        duty = session.scalars(select(Duty).where(Duty.cycle == f"event:{opened.event.id}")).one()
        complete_task(
            session,
            ctx.config.school("oak"),
            duty,
            amy,
            method="link",
            ip=None,
            user_agent=None,
            now=at(TODAY, 11),
            outcome="Blocked until checked.",
        )
    facts = _facts(ctx)
    assert facts.event_reviews.rows == (
        (
            "A new technology or AI tool introduced",
            "Copilot for staff",
            "12 Mar 2026",
            "16 Mar 2026",
            "Check filtering and monitoring",
            "Amy Able",
            "23 Mar 2026",
            "16 Mar 2026",
            "Amy Able",
            "Blocked until checked.",
        ),
    )
    assert [r[1] for r in facts.filtering.rows] == ["after a recorded change"]


def test_an_independent_schools_pack_names_its_standards_from_the_nation_pack() -> None:
    """#57 item 4: the pack's standards sentence, from the nation pack, never invented."""
    from types import SimpleNamespace

    from bot.features.evidence.rules import standards_sentence

    def school(country: str, independent: bool, inspected_by: str | None) -> SimpleNamespace:
        return SimpleNamespace(
            country=country, independent=independent, language="en", inspected_by=inspected_by
        )

    english = standards_sentence(school("england", True, None))
    assert english is not None and "Independent School Standards" in english
    assert "legislation.gov.uk/uksi/2014/3283" in english
    # #79 item 2: who inspects it is the school's to say, and the pack claims no compliance
    assert "Who inspects it is not stated" in english and "meets" not in english
    isi = standards_sentence(school("england", True, "isi")) or ""
    assert "inspected by the Independent Schools Inspectorate (ISI)" in isi
    assert "claims none" in isi and "it meets" not in isi
    # a maintained school or an academy: no sentence at all
    assert standards_sentence(school("england", False, "ofsted")) is None
    # a nation whose pack names no standards says so rather than borrowing England's
    scottish = standards_sentence(school("scotland", True, "hmie"))
    assert scottish is not None and "not stated" in scottish
    assert "Independent School Standards" not in scottish
