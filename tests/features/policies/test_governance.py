"""Governor review alerts (timing, recipients, .ics), recording reviews and re-acknowledgement,
and linked-policy gaps (bot.features.policies: rules, alerts, review, register)."""

from __future__ import annotations

import base64
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
    Directory,
    ReviewError,
    alert_recipients,
    alert_stages,
    due_alert,
    linked_policy_gaps,
    next_version_label,
    policy_key,
    titles_match,
)
from tests.support.helpers import Row, SchoolBuilder, at

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


def test_due_alert_sends_only_the_latest_stage_reached() -> None:
    assert due_alert(REVIEW, -1, REVIEW - timedelta(days=61)) is None
    first = due_alert(REVIEW, -1, REVIEW - timedelta(days=60))
    assert first is not None and first.label == "before:60"
    assert due_alert(REVIEW, first.index, REVIEW - timedelta(days=59)) is None
    # a policy first seen 20 days before its review: one alert (the 30-day one), not two
    late = due_alert(REVIEW, -1, REVIEW - timedelta(days=20))
    assert late is not None and late.label == "before:30"
    # back after a fortnight's break: overdue:2 only
    back = due_alert(REVIEW, 4, REVIEW + timedelta(days=19))
    assert back is not None and back.label == "overdue:2"


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


def test_version_labels_and_keys() -> None:
    assert next_version_label([], date(2026, 3, 1)) == "2026.1"
    assert next_version_label(["2025.1", "2026.1", "2026.3", "v7"], date(2026, 3, 1)) == "2026.4"
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


def test_alert_sequence_over_ninety_days(school: SchoolBuilder, sqlite_url: str) -> None:
    """Sweep day by day: 60/30/14/7/0 then weekly, shifted past weekends and holidays."""
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
        "code",
        "2026.1",
        title="Code of Conduct",
        approving_body="Resources Committee",
        next_review=(REVIEW + timedelta(days=300)).isoformat(),
    )
    ctx = school.context(sqlite_url)
    start, end = REVIEW - timedelta(days=68), REVIEW + timedelta(days=29)
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
        with ctx.store.session() as session:
            for key in session.scalars(
                select(OutboxMessage.idempotency_key).where(
                    OutboxMessage.purpose == "governor_review"
                )
            ):
                seen.setdefault(key, day)
        day += timedelta(days=1)
    with ctx.store.session() as session:
        policy = _policy(session, "online-safety")
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == "governor_review")
            .order_by(OutboxMessage.id)
        ).all()
    prefix = f"governor-review:oak:{policy.id}:{REVIEW.isoformat()}:"
    sequence = [
        (seen[r.idempotency_key], r.idempotency_key.removeprefix(prefix))
        for r in rows
        if r.idempotency_key.startswith(prefix)
    ]
    assert sequence == [
        (date(2026, 4, 20), "before:60"),  # 18 Apr is a Saturday: Monday
        (date(2026, 5, 18), "before:30"),
        (date(2026, 6, 3), "before:14"),
        (date(2026, 6, 11), "before:7"),  # 10 Jun is a holiday: Thursday
        (date(2026, 6, 17), "due"),
        (date(2026, 7, 6), "overdue:2"),  # overdue:1 fell in the break: only the latest goes
        (date(2026, 7, 8), "overdue:3"),
        (date(2026, 7, 15), "overdue:4"),
    ]
    assert all(d.weekday() < 5 for d, _ in sequence)
    assert len(rows) == len(sequence)  # the committee policy is 300 days off: nothing yet
    first = rows[0]
    assert first.recipients == sorted(
        [
            "chair@oak.example",
            "clerk@oak.example",
            "gov@oak.example",
            "line@oak.example",
            "res@oak.example",
        ]
    )
    assert first.subject == "Policy review due in 58 days: Online Safety Policy"
    assert rows[-1].subject.startswith("Overdue policy review: Online Safety Policy")
    assert all(len(r.payload["attachments"]) == 1 for r in rows)


def _ics(row: OutboxMessage) -> Calendar:
    attachment = row.payload["attachments"][0]
    assert attachment["filename"].endswith(".ics")
    assert attachment["content_type"] == "text/calendar"
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
    assert len(rows) == 2
    uids = []
    for row in rows:
        cal = _ics(row)
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
    assert uids[0] == uids[1] == "policy-review-oak-online-safety-20260617@compliance-bot"


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
    assert result.new_version == "2026.1"
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
        assert new is not None and new.label == "2026.1"
        duties = session.scalars(select(Duty)).all()
        fresh = [d for d in duties if d.policy_version_id == new.id]
        assert len(fresh) == 4 and {d.status for d in fresh} == {"open"}
        assert {d.due_on for d in fresh} == {recorded_on + timedelta(days=14)}
        old = [d for d in duties if d.policy_version_id != new.id]
        assert {d.status for d in old} == {"superseded"}
        # the YAML still names 2025.1 and its document: the sweep neither flips back nor
        # overwrites the recorded dates
        assert [v.label for v in policy.versions] == ["2025.1", "2026.1"]
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
        assert event.details["new_version"] == "2026.1" and event.actor == "clerk@oak.example"
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
    ({"document": ("policy.exe", b"MZ")}, "use a .pdf, .docx, .md or .txt"),
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
