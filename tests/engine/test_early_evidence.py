"""Evidence given before a duty opened satisfies it: a new starter who reads the policy before
their first day has a done duty, closed the day it opens, never "closed before it opened"."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.core.models import Duty, OutboxMessage, Person, PolicyVersion
from tests.support.helpers import Row, SchoolBuilder, acknowledged_by_link, sweep

MONDAY = date(2026, 11, 23)
STARTS = date(2026, 12, 7)


def test_a_starter_acknowledging_before_their_start_date_satisfies_the_duty(
    school: SchoolBuilder, database_url: str
) -> None:
    school.people.append(Row("nia@oak.example", "Nia New", start=STARTS.isoformat()))
    school.policy("online-safety", "2026.1", published="2026-09-01")
    school.staff_acknowledge(due_days=14, new_starter_days=10)
    ctx = school.context(database_url)
    sweep(ctx, MONDAY)
    early = MONDAY + timedelta(days=2)  # she reads it at her induction visit
    with ctx.store.transaction() as session:
        nia = session.scalar(select(Person).where(Person.email == "nia@oak.example"))
        assert nia is not None
        duty = session.scalar(select(Duty).where(Duty.person_id == nia.id))
        assert duty is not None and (duty.status, duty.opened_on) == ("open", STARTS)
        version = session.get(PolicyVersion, duty.policy_version_id)
        assert version is not None
        acknowledged_by_link(session, nia, duty, version, early)
    for day in (early, STARTS, STARTS + timedelta(days=7)):
        sweep(ctx, day)
    with ctx.store.session() as session:
        duties = session.scalars(
            select(Duty).join(Person).where(Person.email == "nia@oak.example")
        ).all()
        assert [(d.status, d.opened_on, d.closed_on) for d in duties] == [
            ("done", STARTS, STARTS)  # satisfied: done on the day it opens
        ]
        assert duties[0].evidence_ref is not None and duties[0].evidence_ref.startswith("ack:")
        asked = session.scalars(
            select(OutboxMessage.recipients).where(OutboxMessage.purpose == "reminder")
        ).all()
        assert not any("nia@oak.example" in r for r in asked)  # never chased for it
    ctx.store.dispose()
