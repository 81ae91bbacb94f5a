"""Governor review alerts (timing, recipients, .ics), recording reviews and re-acknowledgement,
and linked-policy gaps (bot.features.policies: rules, alerts, review, register)."""

from __future__ import annotations

import base64
import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.core import audit
from bot.core.models import AuditEvent, Duty, OutboxMessage, Policy, PolicyReview, PolicyVersion
from bot.engine.sweep import run_sweep
from bot.features.policies.register import register, register_gaps
from bot.features.policies.review import record_review
from bot.features.policies.rules import (
    OVERDUE_REPEATS,
    Directory,
    ReviewError,
    alert_recipients,
    alert_stages,
    digest_entries,
    linked_policy_gaps,
    policy_key,
    titles_match,
)
from tests.support.helpers import Row, SchoolBuilder, at, payload_of

REVIEW = date(2026, 6, 17)  # a Wednesday
HOLIDAY = date(2026, 6, 10)  # the Wednesday of the 7-day stage
BREAK = [REVIEW + timedelta(days=n) for n in range(5, 17)]  # Mon 22 Jun - Fri 3 Jul


def _governors_school(school: SchoolBuilder) -> None:
    """Add a clerk, a chair, a committee and a named governor to the five-person school."""
    school.people += [
        Row("clerk@oak.example", "Cleo Clerk", "staff", "All Staff"),
        Row("chair@oak.example", "Carl Chair", "governor", "Governors"),
        Row("res@oak.example", "Rita Res", "governor", "Governors;Resources Committee"),
    ]
    school.school["clerk"] = "clerk@oak.example"
    school.school["chair_of_governors"] = "chair@oak.example"


def _policy(session: Any, key: str) -> Policy:
    policy = session.scalar(select(Policy).where(Policy.key == key))
    assert policy is not None
    return policy


# --------------------------------------------------------------------------- pure rules


def test_stages_are_60_30_14_7_0_then_weekly() -> None:
    stages = alert_stages(REVIEW, REVIEW + timedelta(days=21))
    assert [(s.label, (s.on - REVIEW).days) for s in stages] == [
        ("before:60", -60),
        ("before:30", -30),
        ("before:14", -14),
        ("before:7", -7),
        ("due", 0),
        ("overdue:1", 7),
        ("overdue:2", 14),
        ("overdue:3", 21),
    ]


def test_overdue_repeats_stop_at_the_cap() -> None:
    stages = alert_stages(REVIEW, REVIEW + timedelta(days=365))
    assert stages[-1].label == f"overdue:{OVERDUE_REPEATS}"
    assert len(stages) == 5 + OVERDUE_REPEATS


def test_digest_lists_every_policy_once_a_week_and_drops_capped_ones() -> None:
    other = REVIEW + timedelta(days=20)
    reviews = [("a", REVIEW), ("b", other)]
    assert digest_entries(reviews, None, REVIEW - timedelta(days=61)) == []
    first = digest_entries(reviews, None, REVIEW - timedelta(days=60))
    assert [(e.policy_key, e.stage.label, e.fresh) for e in first] == [("a", "before:60", True)]
    sent = REVIEW - timedelta(days=60)
    assert digest_entries(reviews, sent, sent + timedelta(days=1)) == []  # nothing new
    # b reaches its 60-day stage 20 days later: both are listed, only b is new
    later = digest_entries(reviews, sent, REVIEW - timedelta(days=40))
    assert [(e.policy_key, e.stage.label, e.fresh) for e in later] == [
        ("a", "before:60", False),
        ("b", "before:60", True),
    ]
    # a new stage within 7 days of the last digest waits for the next week
    assert digest_entries(reviews, REVIEW - timedelta(days=3), REVIEW) == []
    assert [e.stage.label for e in digest_entries(reviews, REVIEW - timedelta(days=7), REVIEW)][
        :1
    ] == ["due"]
    # a policy whose last overdue email was already sent leaves the digest
    capped = REVIEW + timedelta(days=7 * OVERDUE_REPEATS)
    before_last = {"a": OVERDUE_REPEATS - 1}
    final = digest_entries(
        [("a", REVIEW)], capped - timedelta(days=7), capped, told_overdue=before_last
    )
    assert [(e.stage.label, e.final) for e in final] == [(f"overdue:{OVERDUE_REPEATS}", True)]
    told = {"a": OVERDUE_REPEATS}
    assert (
        digest_entries([("a", REVIEW)], capped, capped + timedelta(days=70), told_overdue=told)
        == []
    )
    gone = digest_entries(reviews, capped, capped + timedelta(days=14), told_overdue=told)
    assert [e.policy_key for e in gone] == ["b"]


def test_a_policy_years_overdue_is_mentioned_four_times_and_only_the_last_says_so() -> None:
    """Found five years overdue: the first email is not the last; the overdue emails are
    counted as they go, weekly, and only the fourth says it is the last."""
    due = REVIEW - timedelta(days=5 * 365)
    day, told, finals = REVIEW, 0, []
    last: date | None = None
    for _ in range(10):
        entries = digest_entries([("a", due)], last, day, told_overdue={"a": told})
        if entries:
            (entry,) = entries
            finals.append(entry.final)
            told, last = told + 1, day
        day += timedelta(days=7)
    assert finals == [False] * (OVERDUE_REPEATS - 1) + [True]


def test_recipients_fgb_committee_and_fallback() -> None:
    directory = Directory(
        emails={
            1: "clerk@x.example",
            2: "gov1@x.example",
            3: "gov2@x.example",
            4: "chair@x.example",
            5: "lead@x.example",
            6: "res@x.example",
        },
        inactive=frozenset({"gone@x.example"}),
        roles={
            "clerk": frozenset({1}),
            "governor": frozenset({2, 3, 6}),
            "chair_of_governors": frozenset({4}),
        },
        groups={"resources committee": frozenset({6})},
    )
    policy = Policy(
        key="p",
        title="P",
        approving_body="FGB",
        owner_id=5,
        reviewers=["named@x.example", "gone@x.example"],
    )
    assert alert_recipients(policy, directory) == [
        "chair@x.example",
        "clerk@x.example",
        "gov1@x.example",
        "gov2@x.example",
        "lead@x.example",
        "named@x.example",
        "res@x.example",
    ]
    policy.approving_body = "Resources  committee"  # case and spacing do not matter
    assert alert_recipients(policy, directory) == [
        "clerk@x.example",
        "lead@x.example",
        "named@x.example",
        "res@x.example",
    ]
    policy.approving_body = "Curriculum Committee"  # no such group: the chair hears of it
    assert alert_recipients(policy, directory) == [
        "chair@x.example",
        "clerk@x.example",
        "lead@x.example",
        "named@x.example",
    ]
    # an independent school's default approving body, "the proprietor" (and its proprietor
    # body, as a document may name it), is the whole board: every member hears, as in an FGB
    everyone = [
        "chair@x.example",
        "clerk@x.example",
        "gov1@x.example",
        "gov2@x.example",
        "lead@x.example",
        "named@x.example",
        "res@x.example",
    ]
    for body in ("proprietor", "The Proprietor", "Proprietor Body", "the board"):
        policy.approving_body = body
        assert alert_recipients(policy, directory) == everyone, body


def test_policy_keys() -> None:
    assert policy_key("Online Safety Policy") == "online-safety"
    assert policy_key("The Acceptable Use Policy (AUP)") == "acceptable-use"
    assert policy_key("Mobile, Smart Technology and Social Media Policy") == (
        "mobile-smart-technology-social"
    )


@pytest.mark.parametrize(
    ("wanted", "title", "match"),
    [
        ("AUP", "Acceptable Use Policy", True),
        (
            "Acceptable Use Policies (AUP) and/or the Code of conduct",
            "Staff Acceptable Use Policy",
            True,
        ),
        ("acceptable use policy", "Social Media AUP", True),
        ("Child protection policy", "Child Protection and Safeguarding Policy", True),
        ("ONLINE SAFETY", "Online Safety Policy", True),
        ("E-Safety Policy", "Online Safety Policy", True),
        ("Data security", "Data Protection Policy", False),
        ("Anti-bullying policy", "Behaviour Policy", False),
    ],
)
def test_titles_match_loosely(wanted: str, title: str, match: bool) -> None:
    assert titles_match(wanted, title) is match


def test_gaps_list_missing_linked_policies_once_with_who_names_them() -> None:
    gaps = linked_policy_gaps(
        ["Online Safety Policy", "Acceptable Use Policy"],
        [
            ("Online Safety Policy", ["AUP", "Behaviour policy", "Remote Learning Policy"]),
            ("Acceptable Use Policy", ["behaviour Policy", "online safety"]),
        ],
    )
    assert [(g.title, g.wanted_by) for g in gaps] == [
        ("Behaviour policy", ("Online Safety Policy", "Acceptable Use Policy")),
        ("Remote Learning Policy", ("Online Safety Policy",)),
    ]


# --------------------------------------------------------------------------- time travel


def _digests(ctx: Any) -> list[OutboxMessage]:
    with ctx.store.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.purpose == "governor_review")
                .order_by(OutboxMessage.id)
            )
        )


def test_digest_sequence_over_four_months(school: SchoolBuilder, sqlite_url: str) -> None:
    """Sweep day by day: one digest per governor listing both policies, at most one in any
    7 days, a stage in a holiday sent once on the next school day, overdue repeats capped."""
    _governors_school(school)
    school.school["holidays"] = [HOLIDAY.isoformat(), *(d.isoformat() for d in BREAK)]
    school.policy(
        "online-safety",
        "2026.1",
        title="Online Safety Policy",
        owner="line@oak.example",
        reviewers=["gov@oak.example"],
        next_review=REVIEW.isoformat(),
    )
    school.policy(
        "behaviour",
        "2026.1",
        title="Behaviour Policy",
        next_review=(REVIEW + timedelta(days=2)).isoformat(),
    )
    school.policy(
        "code",
        "2026.1",
        title="Code of Conduct",
        approving_body="Resources Committee",
        next_review=(REVIEW + timedelta(days=300)).isoformat(),
    )
    ctx = school.context(sqlite_url)
    start, end = REVIEW - timedelta(days=68), REVIEW + timedelta(days=60)
    seen: dict[str, date] = {}
    day = start
    while day <= end:
        for _ in range(2 if day == REVIEW else 1):  # a rerun on the same day sends nothing new
            run_sweep(
                ctx.store,
                ctx.settings,
                ctx.config,
                ctx.connectors,
                as_of=day,
                now=at(day),
                deliver=False,
            )
        for row in _digests(ctx):
            seen.setdefault(row.idempotency_key, day)
        day += timedelta(days=1)
    rows = _digests(ctx)
    to_gov = [r for r in rows if r.recipients == ["gov@oak.example"]]
    soon, late = "2 due soon", "2 overdue"
    assert [(seen[r.idempotency_key], r.subject.split(": ", 1)[1]) for r in to_gov] == [
        (date(2026, 4, 20), soon),  # online safety's 60 days fell on a Saturday: Monday
        (date(2026, 5, 18), soon),  # online safety's 30 days
        (date(2026, 5, 26), soon),  # behaviour's 30 days (Wed 20 May) a week on; 25th: bank hol.
        (date(2026, 6, 3), soon),
        (date(2026, 6, 11), soon),  # 10 June was a holiday: Thursday, once
        (date(2026, 6, 18), "1 overdue, 1 due soon"),  # a week after the last one
        (date(2026, 7, 6), late),  # both overdue stages in the break: once, after it
        (date(2026, 7, 13), late),
        (date(2026, 7, 20), late),  # online safety's fourth overdue email, its last
        # behaviour was still "due soon" on 18 June: its fourth overdue email a week on
        (date(2026, 7, 27), "Behaviour Policy (was due 19 June 2026)"),
    ]
    assert all(r.subject.startswith("Policy reviews for governors: ") for r in to_gov[:-1])
    assert all(
        "Behaviour Policy" in r.payload["text"] and "Online Safety Policy" in r.payload["text"]
        for r in to_gov[:-1]
    )
    # the policy lead of one policy hears of that one only
    to_lead = [r for r in rows if r.recipients == ["line@oak.example"]]
    assert to_lead and not any("Behaviour Policy" in r.payload["text"] for r in to_lead)
    by_person: dict[str, list[date]] = {}
    for row in rows:
        assert len(row.recipients) == 1
        by_person.setdefault(row.recipients[0], []).append(seen[row.idempotency_key])
    for days in by_person.values():
        assert all(d.weekday() < 5 and d not in BREAK and d != HOLIDAY for d in days)
        assert all((b - a).days >= 7 for a, b in itertools.pairwise(days))
    final = to_gov[-1]
    assert "This is the last email about it" in final.payload["text"]
    assert all(len(r.payload["attachments"]) >= 1 for r in rows)
    # the committee policy is 300 days off: its members hear nothing yet
    assert "Code of Conduct" not in " ".join(r.payload["text"] for r in rows)


def _ics(session: Any, row: OutboxMessage) -> Calendar:
    attachment = payload_of(session, row)["attachments"][0]
    assert attachment["filename"].endswith(".ics")
    assert attachment["content_type"] == "text/calendar; method=PUBLISH"
    return Calendar.from_ical(base64.b64decode(attachment["data"]))


def test_alert_carries_a_valid_ics_for_the_review_date(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    _governors_school(school)
    school.policy(
        "online-safety", "2026.1", title="Online Safety Policy", next_review=REVIEW.isoformat()
    )
    ctx = school.context(sqlite_url)
    days = [REVIEW - timedelta(days=14), REVIEW - timedelta(days=7)]
    for day in days:
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=day,
            now=at(day),
            deliver=False,
        )
    with ctx.store.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == "governor_review")
            .order_by(OutboxMessage.id)
        ).all()
        cals = {r.id: _ics(session, r) for r in rows}
    rows = [r for r in rows if r.recipients == ["gov@oak.example"]]
    assert len(rows) == 2
    uids = []
    for row in rows:
        cal = cals[row.id]
        assert str(cal["VERSION"]) == "2.0" and "PRODID" in cal
        events = list(cal.walk("VEVENT"))
        assert len(events) == 1
        event = events[0]
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION"):
            assert prop in event, prop
        assert event.decoded("DTSTART") == REVIEW  # all-day: a DATE, not a DATE-TIME
        assert event["DTSTART"].params.get("VALUE") == "DATE"
        assert event.decoded("DTEND") == REVIEW + timedelta(days=1)
        assert event.decoded("DTSTAMP").tzinfo is not None
        assert str(event["SUMMARY"]) == "Policy review due: Online Safety Policy"
        description = str(event["DESCRIPTION"])
        assert "http" not in description and "token" not in description.lower()
        uids.append(str(event["UID"]))
    # one event per policy, under the school's own domain, not ours
    assert uids[0] == uids[1] == "policy-review-oak-online-safety@oak.example"


def test_no_alerts_on_a_dry_run_or_a_weekend(school: SchoolBuilder, sqlite_url: str) -> None:
    school.policy("online-safety", "2026.1", next_review=REVIEW.isoformat())
    ctx = school.context(sqlite_url)
    results, _ = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=REVIEW,
        now=at(REVIEW),
        write=False,
        deliver=False,
    )
    assert results[0].extra["governor_alerts"] == 1  # would send one
    saturday = REVIEW + timedelta(days=3)
    results, _ = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=saturday,
        now=at(saturday),
        deliver=False,
    )
    assert results[0].extra["governor_alerts"] == 0
    with ctx.store.session() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


# --------------------------------------------------------------------------- reviews


def _ack_school(school: SchoolBuilder) -> None:
    school.policy(
        "online-safety",
        "2025.1",
        title="Online Safety Policy",
        published="2026-01-05",
        last_reviewed="2025-06-10",
        next_review="2026-06-10",
    )
    school.requirement(
        id="ack-online-safety",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
        due_days=14,
    )


def test_review_with_new_document_asks_staff_to_acknowledge_it(
    school: SchoolBuilder, database_url: str
) -> None:
    _ack_school(school)
    ctx = school.context(database_url)
    first = date(2026, 3, 2)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=first,
        now=at(first),
        deliver=False,
    )
    with ctx.store.session() as session:
        old_open = session.scalars(select(Duty).where(Duty.status == "open")).all()
    assert len(old_open) == 4  # the four staff
    reviewed, recorded_on = date(2026, 3, 11), date(2026, 3, 12)
    with ctx.store.transaction() as session:
        result = record_review(
            session,
            _policy(session, "online-safety"),
            reviewed_on=reviewed,
            body="FGB",
            minute_ref="FGB/26/07",
            actor="clerk@oak.example",
            today=recorded_on,
            document=("online-safety-2026.md", b"# Online Safety Policy\n\nRevised 2026.\n"),
        )
    assert result.new_version == "reviewed 11 March 2026"
    assert result.next_review_due == date(2027, 3, 11)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=recorded_on,
        now=at(recorded_on),
        deliver=False,
    )
    with ctx.store.session() as session:
        policy = _policy(session, "online-safety")
        new = policy.current_version
        assert new is not None and new.label == "reviewed 11 March 2026"
        duties = session.scalars(select(Duty)).all()
        fresh = [d for d in duties if d.policy_version_id == new.id]
        assert len(fresh) == 4 and {d.status for d in fresh} == {"open"}
        assert {d.due_on for d in fresh} == {recorded_on + timedelta(days=14)}
        old = [d for d in duties if d.policy_version_id != new.id]
        assert {d.status for d in old} == {"superseded"}
        # the YAML still names 2025.1 and its document: the sweep neither flips back nor
        # overwrites the recorded dates
        assert [v.label for v in policy.versions] == ["2025.1", "reviewed 11 March 2026"]
        assert policy.last_reviewed == reviewed and policy.ratified_on == reviewed
        assert policy.next_review_due == date(2027, 3, 11)
        review = session.scalars(select(PolicyReview)).one()
        assert (review.body, review.minute_ref, review.new_version_id) == (
            "FGB",
            "FGB/26/07",
            new.id,
        )
        assert review.recorded_by == "clerk@oak.example"
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "policy.reviewed")
        ).one()
        assert event.details["new_version"] == "reviewed 11 March 2026"
        assert event.actor == "clerk@oak.example"
        assert audit.verify(session).ok


def test_review_without_a_new_document_moves_dates_only(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    _ack_school(school)
    ctx = school.context(sqlite_url)
    day = date(2026, 3, 2)
    run_sweep(
        ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=day, now=at(day), deliver=False
    )
    same = (school.home / "policies" / "online-safety.md").read_bytes()
    with ctx.store.transaction() as session:
        policy = _policy(session, "online-safety")
        result = record_review(
            session,
            policy,
            reviewed_on=day,
            body="FGB",
            minute_ref=None,
            actor="cli",
            today=day,
            document=("same.md", same),
        )
        assert result.new_version is None and result.document_unchanged
        assert policy.next_review_due == date(2027, 3, 2)
        assert len(policy.versions) == 1
        assert [r.status for r in register(session, "oak", day)] == ["current"]


BAD_REVIEWS: list[tuple[dict[str, Any], str]] = [
    ({"reviewed_on": date(2026, 3, 20)}, "is in the future"),
    ({"reviewed_on": date(2025, 1, 1)}, "a later review (2025-06-10) is already recorded"),
    ({"body": "  "}, "say which body"),
    ({"document": ("policy.exe", b"MZ")}, "use a .pdf, .docx, .odt, .md or .txt"),
    ({"document": ("policy.pdf", b"")}, "the file is empty"),
]


def test_review_refuses_bad_input(school: SchoolBuilder, sqlite_url: str) -> None:
    _ack_school(school)
    ctx = school.context(sqlite_url)
    day = date(2026, 3, 12)
    run_sweep(
        ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=day, now=at(day), deliver=False
    )
    for kwargs, message in BAD_REVIEWS:
        args: dict[str, Any] = {
            "reviewed_on": day,
            "body": "FGB",
            "minute_ref": None,
            "actor": "cli",
            "today": day,
            **kwargs,
        }
        with ctx.store.transaction() as session:
            with pytest.raises(ReviewError) as caught:
                record_review(session, _policy(session, "online-safety"), **args)
            assert message in str(caught.value)
            assert session.scalars(select(PolicyReview)).all() == []
            assert len(session.scalars(select(PolicyVersion)).all()) == 1


def test_register_gaps_from_linked_policies(school: SchoolBuilder, sqlite_url: str) -> None:
    school.policy(
        "online-safety",
        "1",
        title="Online Safety Policy",
        linked_policies=["AUP", "Child Protection Policy", "Remote Learning Policy"],
    )
    school.policy("aup", "1", title="Staff Acceptable Use Policy")
    school.policy(
        "cp",
        "1",
        title="Safeguarding and Child Protection Policy",
        linked_policies=["online safety", "Whistleblowing procedure"],
    )
    ctx = school.context(sqlite_url)
    day = date(2026, 3, 2)
    run_sweep(
        ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=day, now=at(day), deliver=False
    )
    with ctx.store.session() as session:
        gaps = register_gaps(session, "oak")
    assert [(g.title, g.wanted_by) for g in gaps] == [
        ("Remote Learning Policy", ("Online Safety Policy",)),
        ("Whistleblowing procedure", ("Safeguarding and Child Protection Policy",)),
    ]
