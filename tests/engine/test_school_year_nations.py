"""A school year per nation, every calendar day, through the real sweep: the nation's bank
holidays and the school's own terms (Scotland's four, with St Andrew's Day taught through),
staff answering at random (seeded), a termly check, starters (one reading the policy before her
first day), a leaver and a returner, governors with review dates (one moved mid-year).

The promises checked: no email on a day that is not a school day of that nation; no duty
backdated or born overdue, none closed before it opened; no termly task outside the school's
terms (nothing past the last one); at most one email about reviews per governor a week; at most
one "chasing has stopped" email per manager a day. Data-protection complaints arrive at
awkward times (a weekend, 23:59, a bank holiday, the last evening before the Christmas break,
the holidays), half by the form with an email address (acknowledged at once), half by letter
(the DPO acknowledges when warned): every one due by the end is acknowledged within its 30
days, every warning goes in working hours (on a school day unless none is left before the
deadline), and the counts per quarter are right. The whole year per nation is a benchmark
(``uv run pytest -n 0 tests/benchmarks/test_school_year_nations_benchmark.py -s``); the default
suite walks Scotland's last term into the summer."""

from __future__ import annotations

import json
import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.config import SchoolConfig
from bot.core.days.calendar import COUNTRIES
from bot.core.days.clock import LONDON, local_today
from bot.core.language.words import school_words_for
from bot.core.models import (
    Complaint,
    Duty,
    OutboxBody,
    OutboxMessage,
    Person,
    Policy,
    PolicyVersion,
    TrainingRecord,
)
from bot.demo.school import inset_days, term_dates
from bot.engine.sweep import run_sweep
from bot.features.policies.review import confirm_review_date
from bot.features.privacy.rules import Submission, period_of
from bot.features.privacy.service import acknowledge as acknowledge_complaint
from bot.features.privacy.service import complaint_counts, receive, record_outcome, warn
from bot.features.reading.service import register_edition
from bot.features.reports.quiet_hours import in_working_hours
from tests.core.test_nations import ENGLAND_ONLY, UK_NATIONS
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder, acknowledged_by_link, at
from tests.support.nation_words import find_foreign_words, foreign_words

DOMAIN = "oak.example"
NEVER = ("ned", "nora")  # never answer
FILTERING = "Check filtering and monitoring"
MAIL = ("reminder", "chasing_stopped", "governor_review", "governor_review_moved", "task_missed")
GOVERNOR_MAIL = ("governor_review", "governor_review_moved")


def _terms(rows: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"name": n, "start": s, "end": e} for n, s, e in rows]


ENGLAND_START = date(2026, 9, 1)
NATIONS: dict[str, dict[str, object]] = {
    "england": {"terms": term_dates(ENGLAND_START), "inset_days": inset_days(ENGLAND_START)},
    "wales": {
        "terms": _terms(
            [
                ("Hydref", "2026-09-02", "2026-12-18"),
                ("Gwanwyn", "2027-01-05", "2027-03-26"),
                ("Haf", "2027-04-12", "2027-07-20"),
            ]
        ),
        "holidays": ["2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30"],
    },
    "scotland": {
        "terms": _terms(
            [
                ("Term 1", "2026-08-18", "2026-10-09"),
                ("Term 2", "2026-10-19", "2026-12-22"),
                ("Term 3", "2027-01-06", "2027-03-31"),
                ("Term 4", "2027-04-19", "2027-06-25"),
            ]
        ),
        "open_days": ["2026-11-30"],  # St Andrew's Day: the council teaches through it
        "holidays": ["2027-02-15", "2027-02-16"],
    },  # the February mid-term break
    "northern-ireland": {
        "terms": _terms(
            [
                ("Autumn", "2026-09-01", "2026-12-22"),
                ("Spring", "2027-01-05", "2027-03-31"),
                ("Summer", "2027-04-12", "2027-06-30"),
            ]
        ),
        "holidays": ["2027-03-18"],
    },
    # the islands (made-up dates in each island's shape): their own bank holidays come from
    # the packs (Liberation Day 9 May; Guernsey's too; Tynwald Day and the TT's Senior Race Day)
    "jersey": {
        "terms": _terms(
            [
                ("Autumn", "2026-09-02", "2026-12-18"),
                ("Spring", "2027-01-05", "2027-03-26"),
                ("Summer", "2027-04-12", "2027-07-16"),
            ]
        ),
        "holidays": [
            "2026-10-26",
            "2026-10-27",
            "2026-10-28",
            "2026-10-29",
            "2026-10-30",
            "2027-06-01",
            "2027-06-02",
            "2027-06-03",
            "2027-06-04",
        ],
    },
    "guernsey": {
        "terms": _terms(
            [
                ("Autumn", "2026-09-02", "2026-12-18"),
                ("Spring", "2027-01-05", "2027-03-26"),
                ("Summer", "2027-04-13", "2027-07-14"),
            ]
        ),
        "holidays": ["2027-02-15", "2027-02-16", "2027-02-17", "2027-02-18", "2027-02-19"],
    },
    "isle-of-man": {
        "terms": _terms(
            [
                ("Autumn", "2026-09-01", "2026-12-18"),
                ("Spring", "2027-01-05", "2027-03-26"),
                ("Summer", "2027-04-12", "2027-07-15"),
            ]
        ),
        "holidays": ["2027-05-31", "2027-06-01", "2027-06-02", "2027-06-03", "2027-06-04"],
    },
}


@dataclass
class Walked:
    """What a walked stretch of the year sent and left behind."""

    school: SchoolConfig
    sent: list[tuple[str, str, tuple[str, ...], date]]  # key, purpose, to+cc, sends on
    problems: list[str]
    term_cycles: set[str]
    governors: set[str]
    days: int
    said: str = ""  # every subject, text, card and shared body the year queued


# an independent school's proprietor body: eight members (the chair among them) and a clerk
PROPRIETORS = ("chair", "gail", "pam", "pete", "priya", "paul", "pia", "percy")


def _school(builder: SchoolBuilder, nation: str, first: date, independent: bool) -> None:
    """A small school of that nation, its calendar, policies, requirements and governors (an
    ``independent`` school's: its proprietor body's eight members, who approve its policies
    by default)."""
    staff = ["head", "dep", "ann", "bob", "cat", "dan", "lee", "rae", *NEVER]
    board, group = (
        (PROPRIETORS, "Proprietor body") if independent else (("chair", "gail"), "Governors")
    )
    builder.people = (
        [
            Row(
                f"{n}@{DOMAIN}",
                f"{n.title()} Staff",
                manager="" if n == "head" else f"{'head' if n == 'dep' else 'dep'}@{DOMAIN}",
                title="Headteacher" if n == "head" else "",
            )
            for n in staff
        ]
        + [Row(f"{g}@{DOMAIN}", f"{g.title()} Oakley", "governor", group) for g in board]
        + [Row(f"clerk@{DOMAIN}", "Cleo Clerk", "clerk", group)]
    )
    builder.school.update(
        {
            "country": nation,
            **NATIONS[nation],
            **({"independent": True} if independent else {}),
            "chair_of_governors": f"chair@{DOMAIN}",
            "clerk": f"clerk@{DOMAIN}",
            "dsl": [f"head@{DOMAIN}"],
            "deputy_dsl": [f"dep@{DOMAIN}"],
            "dpo": f"dan@{DOMAIN}",
            "cadences": {
                "standard": {
                    "before_due": [3],
                    "on_due": True,
                    "overdue_every_days": 7,
                    "max_reminders": 4,
                    "escalate": [{"after_overdue": 2, "to": "line_manager"}],
                }
            },
        }
    )
    reviews = [first + timedelta(days=d) for d in (20, 27, 75, 200)]
    for n, (pid, title) in enumerate(
        (
            ("online-safety", "Online Safety Policy"),
            ("child-protection", "Child Protection Policy"),
            ("behaviour", "Behaviour Policy"),
            ("aup", "Social Media AUP"),
        )
    ):
        builder.policy(
            pid,
            "2026.1",
            title=title,
            published=(first - timedelta(days=1)).isoformat(),
            next_review=reviews[n].isoformat(),
            last_reviewed="2025-09-01",
        )
    builder.staff_acknowledge(due_days=14, new_starter_days=10)
    builder.staff_acknowledge("child-protection", id="ack-cp", due_days=21)
    builder.staff_train("Safeguarding", id="train-sg", title="Safeguarding training", due_days=28)
    builder.requirement(
        id="filtering",
        kind="recurring_task",
        title=FILTERING,
        every="termly",
        due_days=14,
        owners=[f"dep@{DOMAIN}"],
    )
    # the nation's statutory guidance, read by every member of staff each year (a campaign,
    # not a policy: governors never review it); a new edition arrives during the walk
    builder.requirement(
        id="read-guidance",
        kind="reading_campaign",
        title=school_words_for(nation).guidance,
        due_days=30,
        yearly_on="09-01",
        audiences={"part-1": {"roles": ["staff"]}},
    )


def _edition(ctx: object, builder: SchoolBuilder, nation: str, name: str, on: date) -> None:
    """Register an edition of the nation's guidance (a small text file), in force ``on``."""
    school = ctx.config.schools[0]  # type: ignore[attr-defined]
    title = f"{school_words_for(nation).guidance} ({name})"
    path = builder.home / f"guidance-{name}.md"
    path.write_text(f"# {title}\n\nWhat every member of staff must know, edition {name}.\n")
    with ctx.store.transaction() as session:  # type: ignore[attr-defined]
        register_edition(
            session,
            school,
            "read-guidance",
            "part-1",
            title=title,
            edition=name,
            path=path,
            in_force=on,
            actor="dsl@oak.example",
        )


def _answer(ctx: object, day: date, rng: random.Random, early: str | None) -> None:
    """Staff who have been reminded answer at random; NEVER never do; ``early`` (a starter)
    reads the policy before her first day."""
    store = ctx.store  # type: ignore[attr-defined]
    with store.transaction() as session:
        rows = session.execute(
            select(Duty, Person)
            .join(Person, Person.id == Duty.person_id)
            .where(Duty.status == "open")
            .order_by(Duty.id)
        ).all()
        for duty, person in rows:
            who = person.email.split("@")[0]
            before_start = who == early and duty.kind == "acknowledge_policy"
            if who in NEVER or (
                not before_start and (duty.reminders_sent == 0 or rng.random() > 0.2)
            ):
                continue
            if duty.kind in ("acknowledge_policy", "reading_campaign"):
                version = session.get(PolicyVersion, duty.policy_version_id)
                assert version is not None
                acknowledged_by_link(session, person, duty, version, day)
            elif duty.kind == "complete_training":
                session.add(
                    TrainingRecord(
                        school_id="oak",
                        person_id=person.id,
                        course="Safeguarding",
                        completed_on=day,
                        import_key=f"t-{duty.id}",
                    )
                )


def _awkward(cal: SchoolConfig, first: date, last: date) -> list[tuple[datetime, bool]]:
    """When complaints arrive (London time) and whether with an email address: a Saturday, a
    Sunday at 23:59, a weekday at 23:59, a bank holiday, the last school evening before the
    Christmas break at 23:59, a holiday weekday, the first day of the summer holidays."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def pick(test: object, start: int = 0) -> date | None:
        return next((d for d in days[start:] if test(d)), None)  # type: ignore[operator]

    wanted: list[tuple[date | None, int, int, bool]] = [
        (pick(lambda d: d.weekday() == 5, 3), 10, 0, True),
        (pick(lambda d: d.weekday() == 6, 10), 23, 59, False),
        (pick(lambda d: cal.is_school_day(d), 20), 23, 59, False),
        (pick(lambda d: d.weekday() < 5 and not cal.is_working_day(d)), 11, 0, False),
        (
            pick(
                lambda d: (
                    d.month == 12
                    and cal.is_school_day(d)
                    and not any(cal.is_school_day(d + timedelta(days=n)) for n in range(1, 10))
                )
            ),
            23,
            59,
            False,
        ),
        (pick(lambda d: cal.is_working_day(d) and not cal.is_school_day(d)), 16, 0, True),
        (
            pick(
                lambda d: (
                    cal.last_term_end() is not None
                    and d > cal.last_term_end()
                    and cal.is_working_day(d)
                )
            ),
            9,
            0,
            False,
        ),
    ]
    return sorted(
        {
            (datetime(d.year, d.month, d.day, h, m, tzinfo=LONDON), email)
            for d, h, m, email in wanted
            if d is not None
        }
    )


def _complaints_today(
    ctx: object,
    clock: FrozenClock,
    cal: SchoolConfig,
    day: date,
    arriving: list[tuple[datetime, bool]],
) -> None:
    """Complaints arriving today (each followed by the complaints step at that very moment,
    as a sweep then would); then the DPO acts on the warnings the morning's sweep sent."""
    store = ctx.store  # type: ignore[attr-defined]
    for moment, email in (a for a in arriving if a[0].date() == day):
        clock.at(day, moment.hour, moment.minute)
        sub = Submission(
            "Pat Parent",
            "pat@home.example" if email else None,
            "parent",
            "You sent my details to the wrong family.",
            None,
            False,
        )
        with store.transaction() as session:
            receive(
                session,
                cal,
                sub,
                now=moment.astimezone(UTC),
                channel="form" if email else "letter",
                actor=f"dan@{DOMAIN}",
            )
            warn(session, cal, moment.astimezone(UTC), base_url="", write=True)
    with store.transaction() as session:
        keys = session.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.purpose == "complaint_warning"
            )
        )
        warned = {tuple(k.split(":")[2:4]) for k in keys}
        for c in session.scalars(select(Complaint).where(Complaint.outcome_at.is_(None))):
            if c.acknowledged_at is None and (c.reference, "ack") in warned:
                acknowledge_complaint(
                    session, cal, c, how="letter", on=at(day, 10), actor=f"dan@{DOMAIN}"
                )
            elif (c.reference, "outcome") in warned:
                record_outcome(
                    session, cal, c, "We have put it right.", now=at(day, 11), actor=f"dan@{DOMAIN}"
                )


def _complaint_problems(
    ctx: object, cal: SchoolConfig, last: date, arriving: list[tuple[datetime, bool]]
) -> list[str]:
    """Every complaint due by ``last`` acknowledged in time; warnings in working hours on
    school days (or working days when none was left); counts per quarter as they arrived."""
    problems: list[str] = []
    with ctx.store.session() as session:  # type: ignore[attr-defined]
        complaints = {c.reference: c for c in session.scalars(select(Complaint))}
        if len(complaints) != len(arriving):
            problems.append(f"{len(arriving)} complaints sent, {len(complaints)} stored")
        for c in complaints.values():
            got = c.acknowledged_at.astimezone(LONDON).date() if c.acknowledged_at else None
            if (got is None and c.ack_due_on <= last) or (got is not None and got > c.ack_due_on):
                problems.append(f"{c.reference} acknowledged {got}, due {c.ack_due_on}")
        for key, created in session.execute(
            select(OutboxMessage.idempotency_key, OutboxMessage.created_at).where(
                OutboxMessage.purpose == "complaint_warning"
            )
        ):
            c = complaints[key.split(":")[2]]
            local = created.astimezone(LONDON)
            due = c.ack_due_on if key.split(":")[3] == "ack" else c.outcome_due_on
            open_days = any(
                cal.is_school_day(local.date() + timedelta(days=n))
                for n in range((due - local.date()).days + 1)
            )
            if not in_working_hours(cal, created) or (
                open_days and not cal.is_school_day(local.date())
            ):
                problems.append(f"warning {key} at {local:%a %d %b %H:%M}")
        counted = {c.period: c.received for c in complaint_counts(session, cal.id, "quarter")}
    expected = Counter(period_of(m.date(), "quarter") for m, _ in arriving)
    if counted != dict(expected):
        problems.append(f"counts per quarter {counted}, expected {dict(expected)}")
    return problems


def walk(
    builder: SchoolBuilder,
    url: str,
    clock: FrozenClock,
    nation: str,
    first: date,
    last: date,
    *,
    independent: bool = False,
) -> Walked:
    """Sweep every calendar day from ``first`` to ``last`` as the scheduler would (an
    ``independent`` school: its proprietor body in place of governors)."""
    _school(builder, nation, first, independent)
    ctx = builder.context(url)
    school = ctx.config.schools[0]
    rng = random.Random(f"{nation}-2026")
    span = (last - first).days
    starters = {"sia": first + timedelta(days=span // 4), "tom": first + timedelta(days=span // 2)}
    leaves = first + timedelta(days=span // 3)
    away, back = first + timedelta(days=span // 5), first + timedelta(days=span // 5 + 35)
    moved_on = first + timedelta(days=24)
    problems: list[str] = []
    seen = 0
    _edition(ctx, builder, nation, "last year's", first - timedelta(days=365))
    new_edition = first + timedelta(days=span // 6)
    arriving = _awkward(school, first, last)
    day = first
    while day <= last:
        if day == new_edition:  # a new edition, in force at once: everyone asked again, once
            _edition(ctx, builder, nation, "new", day)
        changed = False
        for who, starts in starters.items():
            if day == starts - timedelta(days=14):
                builder.people.append(
                    Row(
                        f"{who}@{DOMAIN}",
                        f"{who.title()} Starter",
                        manager=f"dep@{DOMAIN}",
                        start=starts.isoformat(),
                    )
                )
                changed = True
        if day in (leaves, away):
            gone = "lee" if day == leaves else "rae"
            builder.people = [r for r in builder.people if not r.email.startswith(f"{gone}@")]
            changed = True
        if day == back:  # a returner: back in the directory after five weeks away
            builder.people.append(Row(f"rae@{DOMAIN}", "Rae Staff", manager=f"dep@{DOMAIN}"))
            changed = True
        if changed:
            builder.write()
            ctx.forget_config()
        if day == moved_on:  # the head corrects a review date a few days after its alert
            with ctx.store.transaction() as session:
                policy = session.scalar(select(Policy).where(Policy.key == "child-protection"))
                assert policy is not None and policy.next_review_due is not None
                if policy.next_review_due >= day:
                    confirm_review_date(
                        session,
                        policy,
                        actor=f"head@{DOMAIN}",
                        today=day,
                        new_date=policy.next_review_due + timedelta(days=35),
                    )
        clock.at(day, 8, 15)
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        with ctx.store.session() as session:  # the duties this sweep created
            for d in session.scalars(select(Duty).where(Duty.id > seen).order_by(Duty.id)):
                seen = d.id
                if d.status == "open" and d.due_on < day:
                    problems.append(f"{day}: {d.cycle} born overdue (due {d.due_on})")
                if d.opened_on < day - timedelta(days=7):
                    problems.append(f"{day}: {d.cycle} backdated to {d.opened_on}")
        if school.is_school_day(day):
            _answer(ctx, day, rng, "sia" if day < starters["sia"] else None)
        _complaints_today(ctx, clock, school, day, arriving)
        day += timedelta(days=1)
    problems += _complaint_problems(ctx, school, last, arriving)
    if len(arriving) < 5:
        problems.append(f"only {len(arriving)} awkward complaints in the walk")
    with ctx.store.session() as session:
        sent = [
            (
                r.idempotency_key,
                r.purpose,
                tuple(r.recipients) + tuple(r.cc),
                local_today(r.next_attempt_at),
            )
            for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
        said = "\n".join(
            [
                f"{r.subject}\n{json.dumps(r.payload, ensure_ascii=False)}"
                for r in session.scalars(select(OutboxMessage))
            ]
            + [
                json.dumps([b.text, b.html], ensure_ascii=False)
                for b in session.scalars(select(OutboxBody))
            ]
        )
        duties = session.scalars(select(Duty)).all()
        problems += [
            f"{d.cycle} closed {d.closed_on} before it opened {d.opened_on}"
            for d in duties
            if d.closed_on is not None and d.status == "done" and d.closed_on < d.opened_on
        ]
        term_cycles = {d.cycle for d in duties if d.kind == "recurring_task"}
        # each September asks again (a yearly read), and a new edition asks at once: never
        # twice for one edition in one year
        asks = Counter(
            (d.person_id, d.policy_version_id, d.cycle)
            for d in duties
            if d.kind == "reading_campaign"
        )
        problems += [
            f"person {p} asked to read edition {v} {n} times in {c}"
            for (p, v, c), n in asks.items()
            if n > 1
        ]
        if len({v for _, v, _ in asks}) < 2:
            problems.append("the guidance's new edition was never asked for")
    governors = {
        f"{g}@{DOMAIN}" for g in (*(PROPRIETORS if independent else ("chair", "gail")), "clerk")
    }
    ctx.store.dispose()
    return Walked(school, sent, problems, term_cycles, governors, span + 1, said)


# the words that tell one nation's pack from another's (shared ones, like "headteacher", are not)
DISTINCT = ("dsl_full", "deputy_dsl_full", "staff_route", "guidance", "guidance_short")


def _other_packs_words(country: str) -> re.Pattern[str] | None:
    """The other nations' own words (not also this nation's), as one pattern."""
    mine = {getattr(school_words_for(country), f).casefold() for f in DISTINCT}
    theirs = {getattr(school_words_for(other), f) for other in COUNTRIES for f in DISTINCT}
    words = sorted(w for w in theirs if w.casefold() not in mine)
    if not words:
        return None
    return re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in words))


def check_and_report(year: Walked, nation: str, term_names: set[str]) -> None:
    """Assert the year's promises and print its figures (``-s`` shows them)."""
    cal = year.school
    mail = [s for s in year.sent if s[1] in MAIL]
    assert mail, "the walk sent nothing"
    off = [(k, on) for k, purpose, _, on in mail if not cal.is_school_day(on)]
    assert off == [], off[:5]
    assert year.problems == [], year.problems[:5]
    assert {c.rsplit(" ", 1)[0] for c in year.term_cycles} <= term_names, year.term_cycles
    weekly_gov = Counter(
        (a, on.isocalendar()[:2])
        for _, p, to, on in mail
        if p in GOVERNOR_MAIL
        for a in set(to)
        if a in year.governors
    )
    assert not weekly_gov or max(weekly_gov.values()) == 1, weekly_gov.most_common(3)
    daily_stop = Counter((to[0], on) for _, p, to, on in mail if p == "chasing_stopped")
    assert not daily_stop or max(daily_stop.values()) == 1, daily_stop.most_common(3)
    others = _other_packs_words(str(cal.country))
    # a word of another pack inside one of this nation's own is this nation's (Jersey's
    # "Keeping Children Safe in Education (CYPES)" holds England's title)
    own = {getattr(school_words_for(str(cal.country)), f) for f in DISTINCT}
    inside = {
        i
        for w in own
        for m in re.finditer(re.escape(w), year.said)
        for i in range(m.start(), m.end())
    }
    found = (
        [
            year.said[max(0, m.start() - 60) : m.end() + 30]
            for m in others.finditer(year.said)
            if m.start() not in inside
        ]
        if others
        else []
    )
    # England's short forms too, in the other UK nations (an island's pack may name its own
    # edition of England's guidance: Jersey's "Keeping Children Safe in Education (CYPES)")
    if cal.country in UK_NATIONS and cal.country != "england":
        found += [
            year.said[max(0, m.start() - 60) : m.end() + 30]
            for m in ENGLAND_ONLY.finditer(year.said)
        ]
    assert not found, found[:5]
    per_governor = Counter(
        a for _, p, to, _ in mail if p in GOVERNOR_MAIL for a in set(to) if a in year.governors
    )
    if cal.independent:  # its proprietor body is its governing body, in deed and in word
        chair = per_governor[f"chair@{DOMAIN}"]
        assert chair and all(per_governor[a] == chair for a in year.governors), per_governor
        governed = set(foreign_words(str(cal.country), True)) - set(foreign_words(str(cal.country)))
        said = [
            (w, where)
            for w, where in find_foreign_words(year.said, str(cal.country), independent=True)
            if w in governed or w.casefold() in {g.casefold() for g in governed}
        ]
        assert not said, said[:5]
    weekly = Counter((a, on.isocalendar()[:2]) for _, _, to, on in mail for a in set(to))
    counts = sorted(weekly.values())
    p95 = statistics.quantiles(counts, n=20)[-1] if len(counts) > 1 else counts[0]
    all_to_governors = Counter(a for _, _, to, _ in mail for a in set(to) if a in year.governors)
    print(
        f"\n{nation}: {year.days} days swept, {len(mail)} emails "
        f"({Counter(p for _, p, _, _ in mail)}); emails per person per week: max "
        f"{max(counts)}, p95 {p95:.1f}; review emails per governor: "
        + ", ".join(f"{a.split('@')[0]} {n}" for a, n in sorted(per_governor.items()))
        + "; all emails per governor: "
        + ", ".join(f"{a.split('@')[0]} {n}" for a, n in sorted(all_to_governors.items()))
    )


@pytest.mark.slow
def test_scotlands_last_term_into_the_summer(
    school: SchoolBuilder, sqlite_url: str, frozen_clock: FrozenClock
) -> None:
    """Term 4 and the summer after it: the termly check is Term 4's only; nothing is invented
    past the last term (the old fallback made 'Summer 2027', backdated to 1 April)."""
    year = walk(school, sqlite_url, frozen_clock, "scotland", date(2027, 5, 17), date(2027, 7, 9))
    check_and_report(year, "scotland (Term 4 and the summer)", {"Term 4"})
    assert year.term_cycles == {"Term 4 2027"}
    assert year.school.term_dates_question(date(2027, 7, 9)) is not None
