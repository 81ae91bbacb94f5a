"""A whole school year, day by day under time-machine: September to July, half terms, a new
starter in January and a new policy version in March. Asserts the exact emails sent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.core.models import Duty, OutboxMessage, Person, PolicyVersion
from bot.engine.sweep import run_sweep
from bot.features.policies.attest import acknowledge
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder, at

TERMS = [
    {"name": "Autumn 1", "start": "2026-09-02", "end": "2026-10-23"},
    {"name": "Autumn 2", "start": "2026-11-02", "end": "2026-12-18"},
    {"name": "Spring 1", "start": "2027-01-05", "end": "2027-02-12"},
    {"name": "Spring 2", "start": "2027-02-22", "end": "2027-03-26"},
    {"name": "Summer 1", "start": "2027-04-12", "end": "2027-05-28"},
    {"name": "Summer 2", "start": "2027-06-07", "end": "2027-07-21"},
]
# (when, who, cc, subject) — every email of the year, in order
EXPECTED = [
    # version 2026.1, published on the INSET day: everyone is asked on the first school day
    ("2026-09-02", "head", "", "Action needed: Online Safety Policy"),
    ("2026-09-02", "line", "", "Action needed: Online Safety Policy"),
    ("2026-09-02", "amy", "", "Action needed: Online Safety Policy"),
    ("2026-09-02", "ben", "", "Action needed: Online Safety Policy"),
    # 3 days before the due date fell on Saturday 12th: sent on Monday
    ("2026-09-14", "line", "", "Action needed: Online Safety Policy"),
    ("2026-09-14", "ben", "", "Action needed: Online Safety Policy"),
    # Ben is overdue: weekly, copying his line manager after the 1st, the head after the 2nd
    ("2026-09-22", "ben", "", "Overdue: Online Safety Policy"),
    ("2026-09-29", "ben", "line", "Overdue: Online Safety Policy"),
    ("2026-10-06", "ben", "line,head", "Overdue: Online Safety Policy"),
    ("2026-10-13", "ben", "line,head", "Overdue: Online Safety Policy"),  # cap of 6 reached
    # a new starter: asked on her first day, due 10 days later
    ("2027-01-11", "nia", "", "Action needed: Online Safety Policy"),
    ("2027-01-18", "nia", "", "Action needed: Online Safety Policy"),
    # version 2027.1 supersedes 2026.1: everyone is asked again
    ("2027-03-08", "head", "", "Action needed: Online Safety Policy"),
    ("2027-03-08", "line", "", "Action needed: Online Safety Policy"),
    ("2027-03-08", "amy", "", "Action needed: Online Safety Policy"),
    ("2027-03-08", "ben", "", "Action needed: Online Safety Policy"),
    ("2027-03-08", "nia", "", "Action needed: Online Safety Policy"),
    ("2027-03-19", "line", "", "Action needed: Online Safety Policy"),
    ("2027-03-19", "ben", "", "Action needed: Online Safety Policy"),
    ("2027-03-19", "nia", "", "Action needed: Online Safety Policy"),
    # two overdue stages fell in the Easter holidays: one email on the first day back
    ("2027-04-12", "line", "head", "Overdue: Online Safety Policy"),
    ("2027-04-12", "ben", "line,head", "Overdue: Online Safety Policy"),
    ("2027-04-19", "line", "head", "Overdue: Online Safety Policy"),
    ("2027-04-19", "ben", "line,head", "Overdue: Online Safety Policy"),
    ("2027-04-26", "line", "head", "Overdue: Online Safety Policy"),
    ("2027-04-26", "ben", "line,head", "Overdue: Online Safety Policy"),
    # Monday 3 May is the early May bank holiday: the weekly reminder waits for Tuesday
    ("2027-05-04", "line", "head", "Overdue: Online Safety Policy"),
    ("2027-05-04", "ben", "line,head", "Overdue: Online Safety Policy"),  # cap reached again
]


@pytest.mark.slow
def test_a_school_year_of_reminders(
    school: SchoolBuilder, sqlite_url: str, frozen_clock: FrozenClock
) -> None:
    school.people = [
        Row("head@oak.example", "Hana Head", title="Headteacher"),
        Row("line@oak.example", "Lena Line", manager="head@oak.example"),
        Row("amy@oak.example", "Amy Able", manager="line@oak.example"),
        Row("ben@oak.example", "Ben Brook", manager="line@oak.example"),
    ]
    school.school.update({
        "terms": TERMS,
        "inset_days": ["2027-01-04"],
        "cadences": {"standard": {"before_due": [3], "on_due": False, "overdue_every_days": 7,
                                  "max_reminders": 6,
                                  "escalate": [{"after_overdue": 1, "to": "line_manager"},
                                               {"after_overdue": 2, "to": "headteacher"}]}},
    })
    school.policy("online-safety", "2026.1", title="Online Safety Policy",
                  published="2026-09-01")
    school.requirement(id="ack-os", kind="acknowledge_policy", policy="online-safety",
                       audience={"roles": ["staff"]}, due_days=14, new_starter_days=10)
    ctx = school.context(sqlite_url)
    day = date(2026, 9, 1)
    while day <= date(2027, 7, 23):
        if day == date(2027, 1, 4):  # a new starter joins the directory on her first day
            school.people.append(Row("nia@oak.example", "Nia New", manager="line@oak.example",
                                     start="2027-01-11"))
            school.write()
        if day == date(2027, 3, 8):  # version 2 is published
            school.policy("online-safety", "2027.1", title="Online Safety Policy",
                          published="2027-03-08", text="# Online safety\n\nVersion 2027.1\n")
            school.write()
            ctx.__dict__.pop("config", None)
        frozen_clock.at(day, 8, 15)
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        _people_respond(ctx, day)
        day += timedelta(days=1)
    with ctx.store.session() as session:
        # the reminders (the headteacher's weekly digest also goes out each Monday)
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "reminder")
            .order_by(OutboxMessage.id)
        ).all()
        sent = [
            (r.next_attempt_at.date().isoformat(), r.recipients[0].split("@")[0],
             ",".join(c.split("@")[0] for c in r.cc), r.subject)
            for r in rows
        ]
        assert {r.status for r in rows} == {"sent"}
        states = {(d.person.email.split("@")[0], d.policy_version.label if d.policy_version
                   else None, d.status) for d in session.scalars(select(Duty))}
    assert sent == EXPECTED
    assert ("ben", "2026.1", "superseded") in states  # never acknowledged v1; v2 replaced it
    assert ("nia", "2026.1", "done") in states


def _people_respond(ctx: object, day: date) -> None:
    """The head acknowledges the day she is asked; Amy the day after; Lena and Nia the day after
    their second email (Lena only for version 1); Ben never."""
    store = ctx.store  # type: ignore[attr-defined]
    with store.transaction() as session:
        rows = session.execute(
            select(Duty, Person, PolicyVersion).join(Person, Person.id == Duty.person_id)
            .join(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .where(Duty.status == "open")
        ).all()
        for duty, person, version in rows:
            who = person.email.split("@")[0]
            label = version.label
            later = duty.last_reminded_on is not None and day > duty.last_reminded_on
            respond = (
                (who == "head" and duty.reminders_sent >= 1)
                or (who == "amy" and later)
                or (who == "nia" and duty.reminders_sent >= 2 and later)
                or (who == "line" and label == "2026.1" and duty.reminders_sent >= 2 and later)
            )
            if respond:
                acknowledge(session, person, duty, version, method="link", ip=None,
                            user_agent="test", now=at(day, 12))
