"""The review date in governors' calendars: the .ics in each review digest is one event per
policy (UID under the school's domain, ``method=PUBLISH`` on its Content-Type), and a changed
review date goes out as an update of that same event — same UID, higher SEQUENCE, new date —
read back from the delivered .eml files; a Welsh school's entry is in its language, marked so."""

from __future__ import annotations

import email
import email.message
import email.policy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from bot.core.language.i18n import BETWEEN
from bot.core.models import OutboxAttachment, OutboxAttachmentUse, Policy
from bot.engine.sweep import run_sweep
from bot.features.policies.review import confirm_review_date, record_review
from tests.core.test_i18n import _english_left
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.support.helpers import Row, SchoolBuilder, at

REVIEW = date(2026, 6, 17)  # a Wednesday
UID = "policy-review-oak-online-safety@oak.example"


def _sweep(ctx: object, day: date) -> None:
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,  # type: ignore[attr-defined]
        as_of=day,
        now=at(day),
    )


def _events_for(outbox: Path, recipient: str) -> list[tuple[str, int, date, str]]:
    """(UID, SEQUENCE, DTSTART, METHOD) of every review event delivered to ``recipient``."""
    found = []
    messages = []
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        key = str(message["X-Compliance-Bot-Key"])
        if key.startswith("governor-digest:") and message["To"] == recipient:
            messages.append((key.rsplit(":", 1)[1], message))  # keys end in the day
    for _, message in sorted(messages, key=lambda item: item[0]):
        for part in message.iter_attachments():
            assert part.get_content_type() == "text/calendar"
            assert part.get_param("method") == "PUBLISH"
            cal = Calendar.from_ical(part.get_payload(decode=True))
            for event in cal.walk("VEVENT"):
                found.append(
                    (
                        str(event["UID"]),
                        int(event["SEQUENCE"]),
                        event.decoded("DTSTART"),
                        str(cal["METHOD"]),
                    )
                )
    return found


def test_a_corrected_review_date_updates_the_same_event(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    school.policy(
        "online-safety", "2026.1", title="Online Safety Policy", next_review=REVIEW.isoformat()
    )
    ctx = school.context(sqlite_url)
    _sweep(ctx, REVIEW - timedelta(days=14))  # the 14-day alert: the event as first published
    moved = REVIEW + timedelta(days=7)
    with ctx.store.transaction() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        confirm_review_date(
            session,
            policy,
            actor="head@oak.example",
            today=REVIEW - timedelta(days=12),
            new_date=moved,
        )
    _sweep(ctx, REVIEW - timedelta(days=7))  # a week later: its 14-day alert for the new date
    events = _events_for(ctx.settings.outbox_dir, "gov@oak.example")
    assert events == [
        (UID, 0, REVIEW, "PUBLISH"),
        (UID, 1, moved, "PUBLISH"),  # the same event, moved: calendars replace the old date
    ]
    # the move is folded into that week's digest, never a second email the same week
    assert _delivered(ctx.settings.outbox_dir, "review-event:") == []
    [digest] = _delivered(ctx.settings.outbox_dir, "governor-digest:oak:")[-1:]
    body = digest.get_body(("plain",))
    assert body is not None
    assert "not Wednesday 17 June 2026" in " ".join(body.get_content().split())
    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        assert (policy.review_event_due, policy.review_event_sequence) == (moved, 1)


def test_an_unchanged_date_keeps_its_sequence_and_a_recorded_review_raises_it(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    school.policy(
        "online-safety", "2026.1", title="Online Safety Policy", next_review=REVIEW.isoformat()
    )
    ctx = school.context(sqlite_url)
    _sweep(ctx, REVIEW - timedelta(days=14))
    _sweep(ctx, REVIEW - timedelta(days=7))
    reviewed_on = REVIEW + timedelta(days=14)
    with ctx.store.transaction() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        # overdue a little, then reviewed: the next review is a year on, in ten months' time
        record_review(
            session,
            policy,
            reviewed_on=reviewed_on,
            body="FGB",
            minute_ref="7.3",
            actor="clerk",
            today=reviewed_on,
        )
        next_due = policy.next_review_due
    assert next_due == date(2027, 7, 1)
    # its 60-day alert falls on Sunday 2 May, then the bank holiday: it goes on Tuesday 4 May
    _sweep(ctx, date(2027, 5, 4))
    events = _events_for(ctx.settings.outbox_dir, "gov@oak.example")
    assert events == [
        (UID, 0, REVIEW, "PUBLISH"),
        (UID, 0, REVIEW, "PUBLISH"),  # the same date again: the same sequence
        (UID, 1, next_due, "PUBLISH"),  # the event moves to the next review date
    ]


def _delivered(outbox: Path, prefix: str) -> list[email.message.EmailMessage]:
    """The delivered emails whose outbox key starts with ``prefix``, by key."""
    found = []
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        if str(message["X-Compliance-Bot-Key"]).startswith(prefix):
            found.append(message)
    return sorted(found, key=lambda m: str(m["X-Compliance-Bot-Key"]))


def _event(message: email.message.EmailMessage) -> tuple[str, str, int, date, str]:
    """(part method, METHOD, SEQUENCE, DTSTART, UID) of the message's one calendar entry."""
    [part] = list(message.iter_attachments())
    cal = Calendar.from_ical(part.get_payload(decode=True))
    [event] = cal.walk("VEVENT")
    return (
        str(part.get_param("method")),
        str(cal["METHOD"]),
        int(event["SEQUENCE"]),
        event.decoded("DTSTART"),
        str(event["UID"]),
    )


def test_a_date_moved_far_away_is_sent_as_an_update_a_week_after_the_last_email(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    """Moved beyond every alert stage, no digest would carry it for months: an update goes,
    once, to those who had the event — a week after their last email about reviews (at most
    one a week) — and the next digest carries the same sequence."""
    school.policy(
        "online-safety", "2026.1", title="Online Safety Policy", next_review=REVIEW.isoformat()
    )
    ctx = school.context(sqlite_url)
    _sweep(ctx, REVIEW - timedelta(days=14))
    later = date(2026, 11, 18)
    with ctx.store.transaction() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        confirm_review_date(
            session,
            policy,
            actor="head@oak.example",
            today=REVIEW - timedelta(days=12),
            new_date=later,
        )
    for day in (REVIEW - timedelta(days=12), REVIEW - timedelta(days=11)):  # the same week
        _sweep(ctx, day)
    assert _delivered(ctx.settings.outbox_dir, "review-event:") == []
    for day in (REVIEW - timedelta(days=7), REVIEW - timedelta(days=6)):  # twice: sent once
        _sweep(ctx, day)
    updates = _delivered(ctx.settings.outbox_dir, "review-event:")
    assert [m["To"] for m in updates] == ["gov@oak.example"]
    [update] = updates
    assert update["Subject"] == "Policy review date changed: Online Safety Policy"
    assert update["Auto-Submitted"] == "auto-generated"
    body = update.get_body(("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())
    assert "now due by Wednesday 18 November 2026, not Wednesday 17 June 2026" in text
    assert _event(update) == ("PUBLISH", "PUBLISH", 1, later, UID)
    _sweep(ctx, later - timedelta(days=60))  # Saturday 19 September: not a school day
    _sweep(ctx, date(2026, 9, 21))  # the 60-day alert goes on Monday
    assert _events_for(ctx.settings.outbox_dir, "gov@oak.example")[-1] == (UID, 1, later, "PUBLISH")


def test_a_review_date_taken_away_is_a_cancel_of_the_event(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    school.policy(
        "online-safety", "2026.1", title="Online Safety Policy", next_review=REVIEW.isoformat()
    )
    ctx = school.context(sqlite_url)
    _sweep(ctx, REVIEW - timedelta(days=14))
    with ctx.store.transaction() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        policy.next_review_due = None  # e.g. the school file no longer gives one
    _sweep(ctx, REVIEW - timedelta(days=13))
    assert _delivered(ctx.settings.outbox_dir, "review-event:") == []  # a digest this week
    _sweep(ctx, REVIEW - timedelta(days=7))
    [cancel] = _delivered(ctx.settings.outbox_dir, "review-event:")
    assert cancel["Subject"] == "Policy review date removed: Online Safety Policy"
    assert _event(cancel) == ("CANCEL", "CANCEL", 1, REVIEW, UID)
    [part] = list(cancel.iter_attachments())
    assert "STATUS:CANCELLED" in part.get_payload(decode=True).decode()
    with ctx.store.transaction() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        assert (policy.review_event_due, policy.review_event_sequence) == (None, 1)
        policy.next_review_due = REVIEW + timedelta(days=7)  # a date again: the event returns
    _sweep(ctx, REVIEW)  # its 7-day alert, a week after the cancel
    assert _events_for(ctx.settings.outbox_dir, "gov@oak.example")[-1] == (
        UID,
        2,
        REVIEW + timedelta(days=7),
        "PUBLISH",
    )


def _review_event(language: str) -> tuple[bytes, Any]:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from bot.core.language.i18n import speaking
    from bot.features.policies.rules import review_calendar

    policy = SimpleNamespace(key="diogelu", title="Polisi Diogelu Plant",
                             approving_body="governing body", review_cycle_months=12)  # fmt: skip
    with speaking(language):
        data = review_calendar(
            school_id="bro-derw", school_name="Ysgol Gymraeg Bro Derw",
            policy=policy,  # type: ignore[arg-type]
            review_due=date(2027, 3, 12), now=datetime(2026, 11, 23, 10, tzinfo=UTC),
            domain="bot.example",
        )  # fmt: skip
    return data, Calendar.from_ical(data).walk("VEVENT")[0]


@pytest.mark.parametrize("language", ["cy", "cy+en"])
def test_a_calendar_entry_says_its_language(language: str, english_words: set[str]) -> None:
    """A Welsh school's review entry is in Welsh (``cy+en``: Welsh first, then English), each
    text marked with its language (RFC 5545 3.2.10), as the page's ``<html lang>``."""
    _, event = _review_event(language)
    english = _review_event("en")[1]
    said = [str(event["summary"]), str(event["description"]), *map(str, event["categories"].cats)]
    for name in ("summary", "description", "categories"):
        assert event[name].params["LANGUAGE"] == "cy"
    if language == "cy":
        texts = [t.replace("Ysgol Gymraeg Bro Derw", " ").replace("Polisi Diogelu Plant", " ")
                 for t in said]  # fmt: skip
        assert _english_left(texts, english_words) == []
    else:
        assert str(event["summary"]).startswith("Adolygiad polisi yn ddyledus: ")
        assert str(event["summary"]).endswith(f"{BETWEEN}{english['summary']}")


def test_an_english_calendar_entry_is_as_before() -> None:
    data, event = _review_event("en")
    assert b"LANGUAGE" not in data
    assert str(event["summary"]) == "Policy review due: Polisi Diogelu Plant"


def test_each_review_event_is_built_once_however_many_governors_hear_of_it(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 91: a digest day built the .ics per governor (the same file each time); each
    policy's event is now built once a sweep and stored once, every governor still gets their
    own email with it (the digest, the same for all of them, is rendered once), and a second
    sweep the same day builds none (its digests are already queued)."""
    from bot.features.policies import alerts

    governors = [f"gov{n}@oak.example" for n in range(6)]
    school.people += [
        Row(g, f"Governor {n}", "governor", "Governors") for n, g in enumerate(governors)
    ]
    for key in ("online-safety", "child-protection"):
        school.policy(key, "2026.1", next_review=REVIEW.isoformat())
    ctx = school.context(sqlite_url)
    built: list[str] = []

    def counted(**kwargs: Any) -> bytes:
        built.append(kwargs["policy"].key)
        return review_calendar(**kwargs)

    def drafted(*args: Any) -> Any:
        built.append("digest")
        return digest_draft(*args)

    review_calendar, digest_draft = alerts.review_calendar, alerts._digest_draft
    monkeypatch.setattr(alerts, "review_calendar", counted)
    monkeypatch.setattr(alerts, "_digest_draft", drafted)
    _sweep(ctx, REVIEW - timedelta(days=14))
    # was 7 digests and 14 events: 7 governors x 2 policies, all the same
    assert sorted(built) == ["child-protection", "digest", "online-safety"]
    sent = [
        (str(m["To"]), [p.get_payload(decode=True) for p in m.iter_attachments()])
        for m in _delivered(ctx.settings.outbox_dir, "governor-digest:oak:")
    ]
    assert sorted(to for to, _ in sent) == sorted([*governors, "gov@oak.example"])
    assert len({tuple(files) for _, files in sent}) == 1  # the same two events for everyone
    with ctx.store.session() as session:  # and each stored once, not once per governor
        stored = session.scalars(select(OutboxAttachment.data)).all()
        uses = session.scalar(select(func.count()).select_from(OutboxAttachmentUse))
    assert sorted(stored) == sorted(sent[0][1]) and uses == 2 * len(sent)
    _sweep(ctx, REVIEW - timedelta(days=14))
    assert len(built) == 3  # nothing rebuilt for digests already queued
    assert len(_delivered(ctx.settings.outbox_dir, "governor-digest:oak:")) == len(sent)
