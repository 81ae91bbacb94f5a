"""A whole school year, day by day under time-machine: September to July, half terms, bank
holidays, new starters, a leaver, staff answering at random. The first test asserts the exact
emails of a tiny school; the demo-year tests assert the rules over a year of random answers."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON, local_today
from bot.core.deployment.context import AppContext
from bot.core.language.words import human_date
from bot.core.models import Duty, OutboxMessage, Person, PolicyVersion, ReportClock, TrainingRecord
from bot.demo.school import inset_days, term_dates
from bot.engine.config_sync import sync_config
from bot.engine.sweep import run_sweep
from bot.features.policies.attest import acknowledge, sign_aup
from bot.features.reports.intake import submit_report
from bot.features.reports.submission import Submission
from tests.conftest import isolated
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder, acknowledged_by_link, at, payload_of

TERMS = [
    {"name": "Autumn 1", "start": "2026-09-02", "end": "2026-10-23"},
    {"name": "Autumn 2", "start": "2026-11-02", "end": "2026-12-18"},
    {"name": "Spring 1", "start": "2027-01-05", "end": "2027-02-12"},
    {"name": "Spring 2", "start": "2027-02-22", "end": "2027-03-26"},
    {"name": "Summer 1", "start": "2027-04-12", "end": "2027-05-28"},
    {"name": "Summer 2", "start": "2027-06-07", "end": "2027-07-21"},
]
# (when, who, cc, subject) — every reminder of the year, in order (nobody is copied: whom
# a reminder tells hears in their own daily message)
EXPECTED = [
    # version 2026.1, published on the INSET day: everyone is asked on the first school day
    ("2026-09-02", "head", "", "Action needed: Online Safety Policy"),
    ("2026-09-02", "line", "", "Action needed: Online Safety Policy"),
    ("2026-09-02", "amy", "", "Action needed: Online Safety Policy"),
    ("2026-09-02", "ben", "", "Action needed: Online Safety Policy"),
    # 3 days before the due date fell on Saturday 12th: sent on Monday
    ("2026-09-14", "line", "", "Action needed: Online Safety Policy"),
    ("2026-09-14", "ben", "", "Action needed: Online Safety Policy"),
    # Ben is overdue: weekly; his line manager is told after the 1st, the head after the 2nd
    ("2026-09-22", "ben", "", "Overdue: Online Safety Policy"),
    ("2026-09-29", "ben", "", "Overdue: Online Safety Policy"),
    ("2026-10-06", "ben", "", "Overdue: Online Safety Policy"),
    ("2026-10-13", "ben", "", "Overdue: Online Safety Policy"),  # cap of 6 reached
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
    ("2027-04-12", "line", "", "Overdue: Online Safety Policy"),
    ("2027-04-12", "ben", "", "Overdue: Online Safety Policy"),
    ("2027-04-19", "line", "", "Overdue: Online Safety Policy"),
    ("2027-04-19", "ben", "", "Overdue: Online Safety Policy"),
    ("2027-04-26", "line", "", "Overdue: Online Safety Policy"),
    ("2027-04-26", "ben", "", "Overdue: Online Safety Policy"),
    # Monday 3 May is the early May bank holiday: the weekly reminder waits for Tuesday
    ("2027-05-04", "line", "", "Overdue: Online Safety Policy"),
    ("2027-05-04", "ben", "", "Overdue: Online Safety Policy"),  # cap reached again
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
    school.school.update(
        {
            "terms": TERMS,
            "inset_days": ["2027-01-04"],
            "cadences": {
                "standard": {
                    "before_due": [3],
                    "on_due": False,
                    "overdue_every_days": 7,
                    "max_reminders": 6,
                    "escalate": [
                        {"after_overdue": 1, "to": "line_manager"},
                        {"after_overdue": 2, "to": "headteacher"},
                    ],
                }
            },
        }
    )
    school.policy("online-safety", "2026.1", title="Online Safety Policy", published="2026-09-01")
    school.staff_acknowledge(due_days=14, new_starter_days=10)
    ctx = school.context(sqlite_url)
    day = date(2026, 9, 1)
    while day <= date(2027, 7, 23):
        if day == date(2027, 1, 4):  # a new starter joins the directory on her first day
            school.people.append(
                Row("nia@oak.example", "Nia New", manager="line@oak.example", start="2027-01-11")
            )
            school.write()
        if day == date(2027, 3, 8):  # version 2 is published
            school.policy(
                "online-safety",
                "2027.1",
                title="Online Safety Policy",
                published="2027-03-08",
                text="# Online safety\n\nVersion 2027.1\n",
            )
            school.write()
            ctx.forget_config()
        frozen_clock.at(day, 8, 15)
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        _people_respond(ctx, day)
        day += timedelta(days=1)
    with ctx.store.session() as session:
        # the reminders (the headteacher's weekly digest also goes out each Monday)
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == "reminder")
            .order_by(OutboxMessage.id)
        ).all()
        sent = [
            (
                r.next_attempt_at.date().isoformat(),
                r.recipients[0].split("@")[0],
                ",".join(c.split("@")[0] for c in r.cc),
                r.subject,
            )
            for r in rows
        ]
        assert {r.status for r in rows} == {"sent"}
        told = sorted(
            (r.next_attempt_at.date().isoformat(), r.recipients[0].split("@")[0])
            for r in session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == "overdue_told")
            )
        )
        states = {
            (
                d.person.email.split("@")[0],
                d.policy_version.label if d.policy_version else None,
                d.status,
            )
            for d in session.scalars(select(Duty))
        }
    assert sent == EXPECTED
    # one message a day to each manager told, for all their people at once
    spring = ["2027-04-12", "2027-04-19", "2027-04-26", "2027-05-04"]
    assert told == sorted(
        [(d, "line") for d in ["2026-09-29", "2026-10-06", "2026-10-13", *spring]]
        + [(d, "head") for d in ["2026-10-06", "2026-10-13", *spring]]
    )
    assert ("ben", "2026.1", "superseded") in states  # never acknowledged v1; v2 replaced it
    assert ("nia", "2026.1", "done") in states


def _people_respond(ctx: object, day: date) -> None:
    """The head acknowledges the day she is asked; Amy the day after; Lena and Nia the day after
    their second email (Lena only for version 1); Ben never."""
    store = ctx.store  # type: ignore[attr-defined]
    with store.transaction() as session:
        rows = session.execute(
            select(Duty, Person, PolicyVersion)
            .join(Person, Person.id == Duty.person_id)
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
                acknowledged_by_link(session, person, duty, version, day)


# --------------------------------------------------------------------------- the demo year
#
# England, the demo's real 2026-27 terms and INSET days, bank holidays from the calendar. Staff
# answer at random (seeded); three never answer; two new starters join the directory two weeks
# before their start dates; a teacher leaves in February; an office worker becomes an account
# holder in January. The year is walked once (every school day, and every non-school day when
# something could go wrong on it) and the tests below read what it sent.

START, END = date(2026, 9, 1), date(2027, 7, 23)
DOMAIN = "oak.example"
NEVER = ("ned", "nora", "nick")  # never answer anything
STARTERS = {"sia": date(2027, 1, 4), "tom": date(2027, 4, 19)}
LEAVER, LEAVES_ON = "lee", date(2027, 2, 1)
NEW_HOLDER, HOLDS_FROM = "ola", date(2027, 1, 11)


@dataclass(frozen=True)
class Sent:
    """One queued message, as the year's outbox holds it."""

    key: str
    purpose: str
    to: tuple[str, ...]
    queued_on: date  # the school day the sweep queued it
    sends_on: date  # its first delivery day (London)
    text: str


@dataclass(frozen=True)
class Owed:
    """One duty at the year's end."""

    id: int
    who: str
    kind: str
    title: str
    due_on: date
    opened_on: date
    reminders_sent: int
    last_reminded_on: date | None
    chasing_stopped_on: date | None
    status: str


@dataclass
class Year:
    """What the walked year sent and left behind."""

    school: SchoolConfig
    sent: list[Sent]
    duties: list[Owed]
    walked: list[date]
    caps: dict[str, int]


_YEAR: list[Year] = []


def _demo_school(builder: SchoolBuilder) -> None:
    """A small school on the demo's calendar, with governors and policies to review."""
    names = ["head", "dep", "ann", "bob", "cat", "dan", "eve", "ola", LEAVER, *NEVER]
    managers = {"head": "", "dep": "head"}
    builder.people = (
        [
            Row(
                f"{n}@{DOMAIN}",
                f"{n.title()} Staff",
                manager=f"{managers.get(n, 'dep')}@{DOMAIN}" if managers.get(n, "dep") else "",
                title="Headteacher" if n == "head" else "",
            )
            for n in names
        ]
        + [
            Row(f"{g}@{DOMAIN}", f"{g.title()} Governor", "governor", "Governors")
            for g in ("chair", "gail")
        ]
        + [Row(f"clerk@{DOMAIN}", "Cleo Clerk", "clerk", "Governors")]
    )
    builder.school.update(
        {
            "country": "england",
            "terms": term_dates(START),
            "inset_days": inset_days(START),
            "chair_of_governors": f"chair@{DOMAIN}",
            "clerk": f"clerk@{DOMAIN}",
            "dsl": [f"head@{DOMAIN}"],
            "deputy_dsl": [f"dep@{DOMAIN}"],
            "cadences": {
                "standard": {
                    "before_due": [3],
                    "on_due": True,
                    "overdue_every_days": 7,
                    "max_reminders": 6,
                    "escalate": [
                        {"after_overdue": 2, "to": "line_manager"},
                        {"after_overdue": 4, "to": "headteacher"},
                    ],
                },
                "training": {
                    "before_due": [7],
                    "on_due": True,
                    "overdue_every_days": 7,
                    "max_reminders": 5,
                    "escalate": [{"after_overdue": 2, "to": "line_manager"}],
                },
            },
            "official_accounts": [
                {
                    "id": "phone",
                    "platform": "Mobile phone",
                    "name": "School mobile phone",
                    "holders": [f"dep@{DOMAIN}", f"ned@{DOMAIN}"],
                    "aup_policy": "aup",
                }
            ],
        }
    )
    for pid, title, review in (
        ("online-safety", "Online Safety Policy", "2026-10-05"),
        ("child-protection", "Child Protection Policy", "2026-10-12"),
        ("aup", "Social Media AUP", "2027-05-10"),
    ):
        builder.policy(
            pid,
            "2026.1",
            title=title,
            published="2026-09-01",
            next_review=review,
            last_reviewed="2025-09-01",
        )
    builder.staff_acknowledge(due_days=14, new_starter_days=10)
    builder.staff_acknowledge("child-protection", id="ack-cp", due_days=21, yearly_on="09-01")
    builder.requirement(id="aup", kind="sign_aup", policy="aup", due_days=10)
    builder.staff_train(
        "Safeguarding",
        id="train-sg",
        title="Safeguarding training",
        due_days=28,
        cadence="training",
    )
    builder.staff_train(
        "School phone",
        id="train-phone",
        title="School phone training",
        audience={"roles": ["account_holder"]},
        due_days=21,
        cadence="training",
    )


def _answer(ctx: AppContext, day: date, rng: random.Random) -> None:
    """Staff who have been reminded answer at random; the three in NEVER never do."""
    with ctx.store.transaction() as session:
        rows = session.execute(
            select(Duty, Person)
            .join(Person, Person.id == Duty.person_id)
            .where(Duty.status == "open", Duty.reminders_sent > 0)
            .order_by(Duty.id)
        ).all()
        for duty, person in rows:
            who = person.email.split("@")[0]
            if who in NEVER or rng.random() > 0.25:
                continue
            if duty.kind in ("acknowledge_policy", "sign_aup"):
                version = session.get(PolicyVersion, duty.policy_version_id)
                assert version is not None
                record = acknowledge if duty.kind == "acknowledge_policy" else _sign
                record(
                    session,
                    person,
                    duty,
                    version,
                    method="link",
                    ip=None,
                    user_agent="test",
                    now=at(day, 12),
                )
            elif duty.kind == "complete_training":
                course = duty.requirement.spec.get("course") or "Safeguarding"
                session.add(
                    TrainingRecord(
                        school_id="oak",
                        person_id=person.id,
                        course=course,
                        completed_on=day,
                        import_key=f"t-{duty.id}",
                    )
                )


def _sign(
    session: Session, person: Person, duty: Duty, version: PolicyVersion, **kwargs: Any
) -> object:
    """An AUP signature with the typed name (what the signing page records)."""
    return sign_aup(session, person, version, duty.requirement.title, person.display_name, **kwargs)


def _change_directory(builder: SchoolBuilder, day: date) -> bool:
    """New starters appear two weeks before they start; the leaver goes; a new holder."""
    changed = False
    for who, first in STARTERS.items():
        if day == first - timedelta(days=14):
            builder.people.append(
                Row(
                    f"{who}@{DOMAIN}",
                    f"{who.title()} Starter",
                    manager=f"dep@{DOMAIN}",
                    start=first.isoformat(),
                )
            )
            changed = True
    if day == LEAVES_ON:
        builder.people = [r for r in builder.people if not r.email.startswith(f"{LEAVER}@")]
        changed = True
    if day == HOLDS_FROM:
        builder.school["official_accounts"][0]["holders"].append(f"{NEW_HOLDER}@{DOMAIN}")
        changed = True
    return changed


def _walk_year(builder: SchoolBuilder, url: str, clock: FrozenClock) -> Year:
    """Sweep the year as the scheduler would, answer at random, and collect what was sent."""
    if _YEAR:
        return _YEAR[0]
    _demo_school(builder)
    ctx = builder.context(url)
    school = ctx.config.schools[0]
    rng = random.Random(2026)
    walked: list[date] = []
    day = START
    while day <= END:
        if _change_directory(builder, day):
            builder.write()
            ctx.forget_config()
        # every school day; a non-school day only when a stage, alert or review date could fall
        # on it (the first of each run of closed days, bank holidays, and review dates)
        closed_before = not school.is_school_day(day - timedelta(days=1))
        if school.is_school_day(day) or not closed_before or day.weekday() == 0:
            clock.at(day, 8, 15)
            run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
            walked.append(day)
            if school.is_school_day(day):
                _answer(ctx, day, rng)
        day += timedelta(days=1)
    with ctx.store.session() as session:
        sent = [
            Sent(
                r.idempotency_key,
                r.purpose,
                tuple(r.recipients) + tuple(r.cc),
                local_today(r.created_at),
                local_today(r.next_attempt_at),
                str(payload_of(session, r).get("text", "")),
            )
            for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
        duties = [
            Owed(
                d.id,
                d.person.email.split("@")[0],
                d.kind,
                d.requirement.title
                + (f" (version {d.policy_version.label})" if d.policy_version else ""),
                d.due_on,
                d.opened_on,
                d.reminders_sent,
                d.last_reminded_on,
                d.chasing_stopped_on,
                d.status,
            )
            for d in session.scalars(select(Duty).order_by(Duty.id))
        ]
    caps = {r.id: school.cadence(r.cadence).max_reminders for r in school.requirements}
    caps_by_kind_title = {
        d.title: caps[
            "train-sg"
            if "Safeguarding" in d.title
            else "train-phone"
            if "phone" in d.title
            else "ack-os"
        ]
        for d in duties
    }
    _YEAR.append(Year(school, sent, duties, walked, caps_by_kind_title))
    return _YEAR[0]


def _items(text: str) -> list[str]:
    """The item blocks of a digest's plain text."""
    return text.split("\n* ")[1:]


@pytest.mark.slow
def test_the_demo_year_chases_on_school_days_ends_at_the_cap_and_waits_for_start_dates(
    school: SchoolBuilder, sqlite_url: str, frozen_clock: FrozenClock
) -> None:
    year = _walk_year(school, sqlite_url, frozen_clock)
    cal = year.school
    staff_mail = [s for s in year.sent if s.purpose in ("reminder", "chasing_stopped")]
    governor_mail = [s for s in year.sent if s.purpose == "governor_review"]
    assert staff_mail and governor_mail
    assert all(_items(s.text) for s in staff_mail if s.purpose == "reminder")  # read as sent
    # 1. no reminder and no governor alert is queued or sent on a non-school day
    for s in staff_mail + governor_mail:
        assert cal.is_school_day(s.queued_on), (s.key, s.queued_on)
        assert cal.is_school_day(s.sends_on), (s.key, s.sends_on)
    # 2. a capped item never appears in a digest after its last reminder, and each capped item
    #    produced exactly one "chasing has stopped" message, to someone other than its owner
    stopped = {s.key: s for s in staff_mail if s.purpose == "chasing_stopped"}
    last_walked_school_day = max(d for d in year.walked if cal.is_school_day(d))
    capped = [d for d in year.duties if d.reminders_sent >= year.caps[d.title]]
    assert capped, "someone should have run out of reminders"
    for d in capped:
        later = [
            s
            for s in staff_mail
            if s.purpose == "reminder"
            and s.to[0].startswith(f"{d.who}@")
            and s.queued_on > (d.last_reminded_on or d.due_on)
        ]
        for s in later:
            assert not any(
                d.title.split(" (")[0] in item and human_date(d.due_on) in item
                for item in _items(s.text)
            ), (d, s.key)
        if d.last_reminded_on is not None and d.last_reminded_on < last_walked_school_day:
            assert d.chasing_stopped_on is not None, d
            told = [
                s
                for s in stopped.values()
                if s.queued_on == d.chasing_stopped_on and d.who.title() in s.text
            ]
            assert told, d
            assert not any(s.to[0].startswith(f"{d.who}@") for s in told)
    # one message per manager per day, listing everyone and everything capped that day
    assert len({(s.to[0], s.queued_on) for s in stopped.values()}) == len(stopped)
    assert all(d.reminders_sent <= year.caps[d.title] for d in year.duties)
    # 3. nothing is sent to (or copied to) anyone before their start date
    for who, first in STARTERS.items():
        theirs = [s for s in year.sent if any(a.startswith(f"{who}@") for a in s.to)]
        assert theirs and min(s.sends_on for s in theirs) >= first, who
    # 4. duties start when people start: none was born overdue (except a training renewal,
    #    whose due date is the certificate's expiry)
    for d in year.duties:
        assert d.due_on > d.opened_on, d
    ola = [d for d in year.duties if d.who == NEW_HOLDER and "phone" in d.title.lower()]
    assert ola and min(d.opened_on for d in ola) >= HOLDS_FROM
    # 5. governors receive at most one review email a week
    governor_weekly = Counter(
        (a, s.sends_on.isocalendar()[:2]) for s in governor_mail for a in set(s.to)
    )
    assert max(governor_weekly.values()) == 1, governor_weekly.most_common(3)
    # 6. the year's totals (pytest -s shows them)
    weekly = Counter(
        (a, s.sends_on.isocalendar()[:2])
        for s in year.sent
        if s.purpose in ("reminder", "chasing_stopped", "governor_review")
        for a in set(s.to)
    )
    governors = Counter(a for s in governor_mail for a in set(s.to))
    print(
        f"\nschool year 2026-27: {len(year.walked)} sweeps, "
        f"{sum(1 for s in staff_mail if s.purpose == 'reminder')} digests, "
        f"{len(stopped)} manager messages (chasing stopped), "
        f"{len(governor_mail)} governor review emails, "
        f"{sum(1 for d in year.duties if d.status == 'open')} duties open at the end"
    )
    staff_weekly = Counter((a, s.sends_on.isocalendar()[:2]) for s in staff_mail for a in set(s.to))
    print(
        f"emails per person per week, at most: {max(weekly.values())} (reminders and "
        f"manager messages alone: {max(staff_weekly.values())})"
    )
    print(
        "governor review emails per person in the year: "
        + ", ".join(f"{a.split('@')[0]} {n}" for a, n in sorted(governors.items()))
    )


@pytest.fixture(name="demo_school", scope="module")
def demo_school_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    """The demo-year school and its database, made once for the deadline cases: each files
    its own report and reads only that report's clock."""
    folder = tmp_path_factory.mktemp("demo-school")
    with isolated(folder):
        builder = SchoolBuilder(folder / "school")
        _demo_school(builder)
        ctx = builder.context(f"sqlite:///{folder / 'test.db'}")
        _ = ctx.store
    yield ctx
    ctx.store.dispose()


@pytest.mark.parametrize(
    ("filed", "deadline"),
    [
        (datetime(2026, 12, 18, 15, 0, tzinfo=LONDON), date(2026, 12, 21)),  # across Christmas
        (datetime(2027, 3, 25, 11, 0, tzinfo=LONDON), date(2027, 3, 30)),  # Good Friday, Easter Mon
        (datetime(2027, 5, 28, 10, 0, tzinfo=LONDON), date(2027, 6, 1)),  # spring bank holiday
    ],
)
def test_lado_deadlines_count_working_days_through_the_holidays(
    demo_school: AppContext, filed: datetime, deadline: date
) -> None:
    ctx = demo_school
    sub = Submission(
        category="staff_concern",
        involved=(("staff", ""),),
        what_happened="A concern about a member of staff.",
        occurred="today",
        location=None,
        actions_taken=None,
    )
    with ctx.store.transaction() as session:
        sync_config(session, ctx.config, ctx.config.schools[0], filed.date())
        intake = submit_report(
            session,
            ctx.config.schools[0],
            sub,
            now=filed.astimezone(UTC),
            base_url="https://bot.oak.example",
            actor="dsl@oak.example",
        )
        clock = session.scalar(
            select(ReportClock).where(
                ReportClock.report_id == intake.report_id, ReportClock.kind == "lado"
            )
        )
        assert clock is not None
        assert local_today(clock.due_at) == deadline


# --------------------------------------------------------------------------- weekly volume

TERM_START, TERM_END = date(2026, 9, 2), date(2026, 11, 2)
QUIET = ("pat", "quin", "rob", "sue")  # never answer; all managed by Lena


def test_a_term_of_never_answering_staff_stays_within_the_weekly_emails(
    school: SchoolBuilder, sqlite_url: str, frozen_clock: FrozenClock
) -> None:
    """Four staff who never answer, owing three policies published weeks apart and a
    training, over Autumn 1: each gets at most ``reminders_per_week`` (two) reminder emails
    in any 7 days, each listing everything they owe except items whose own cap is reached;
    their line manager gets one message a day naming all her people whose reminder was
    well overdue, never a copy of each."""
    school.people = [
        Row("head@oak.example", "Hana Head", title="Headteacher"),
        Row("line@oak.example", "Lena Line", manager="head@oak.example"),
        *(Row(f"{n}@oak.example", f"{n.title()} Quiet", manager="line@oak.example") for n in QUIET),
    ]
    school.school.update(
        {
            "terms": TERMS,
            "cadences": {
                "standard": {
                    "before_due": [7, 3],
                    "on_due": True,
                    "overdue_every_days": 5,
                    "max_reminders": 5,
                    "escalate": [
                        {"after_overdue": 1, "to": "line_manager"},
                        {"after_overdue": 2, "to": "headteacher"},
                    ],
                },
                "training": {
                    "before_due": [7],
                    "on_due": True,
                    "overdue_every_days": 4,
                    "max_reminders": 4,
                    "escalate": [{"after_overdue": 1, "to": "line_manager"}],
                },
            },
        }
    )
    for pid, published in (
        ("online-safety", "2026-09-01"),
        ("behaviour", "2026-09-09"),
        ("child-protection", "2026-09-23"),
    ):
        school.policy(
            pid, "2026.1", title=pid.replace("-", " ").title() + " Policy", published=published
        )
        school.staff_acknowledge(pid, id=f"ack-{pid}", due_days=10)
    school.staff_train(
        "Safeguarding",
        id="train-sg",
        title="Safeguarding training",
        due_days=17,
        cadence="training",
    )
    ctx = school.context(sqlite_url)
    config = ctx.config.schools[0]
    per_week = config.sending_window.reminders_per_week
    assert per_week == 2  # the default
    day = TERM_START
    while day <= TERM_END:
        frozen_clock.at(day, 8, 15)
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        day += timedelta(days=1)
    with ctx.store.session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "email").order_by(OutboxMessage.id)
        ).all()
        mails = [
            (
                r.purpose,
                r.recipients[0].split("@")[0],
                r.cc,
                local_today(r.created_at),
                str(payload_of(session, r)["text"]),
            )
            for r in rows
        ]
        capped = {
            (d.person.email.split("@")[0], d.last_reminded_on, d.requirement.title)
            for d in session.scalars(select(Duty))
            if d.reminders_sent
            >= config.cadence(
                "training" if d.kind == "complete_training" else "standard"
            ).max_reminders
        }
    reminders = [m for m in mails if m[0] == "reminder"]
    assert all(not cc for _, _, cc, _, _ in reminders)  # nobody is copied on anyone's email
    by_person: dict[str, list[date]] = {}
    for _, who, _, on, _ in reminders:
        by_person.setdefault(who, []).append(on)
    for who in QUIET:
        days = by_person[who]
        assert len(days) >= 6, (who, days)  # chased all term
        for start in days:  # any 7 days hold at most ``per_week``
            assert sum(1 for d in days if 0 <= (d - start).days < 7) <= per_week, (who, days)
    # an item whose own cap is reached leaves the emails after its last reminder
    assert capped, "some items reach their cap within the term"
    for who, last, title in capped:
        later = [text for _, to, _, on, text in reminders if to == who and last and on > last]
        assert all(title not in text for text in later), (who, title)
    # one message a day to the line manager, naming every person whose reminder that day
    # told her; none of the staff's reminders copies her
    told = [m for m in mails if m[0] == "overdue_told"]
    to_line = [(on, text) for _, to, _, on, text in told if to == "line"]
    assert to_line and len({on for on, _ in to_line}) == len(to_line)
    for on, text in to_line:
        named = {
            who
            for _, who, _, d, body in reminders
            if who in QUIET and d == on and "your line manager" in " ".join(body.split())
        }
        assert named and all(f"{who.title()} Quiet" in text for who in named), (on, named)
    assert max(text.count(" Quiet") for _, text in to_line) == len(QUIET)  # all four at once
