"""A full cycle on a small school, on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.core.models import Duty, OutboxMessage, Requirement, SweepRun
from bot.engine.remind import Told
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder, at, sweep

MONDAY = date(2026, 11, 23)


def _school(school: SchoolBuilder) -> None:
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    school.staff_acknowledge(due_days=14)
    school.staff_train(due_days=28)


def _emails(folder: Path) -> list[email.message.EmailMessage]:
    out = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        out.append(message)
    return out


def test_first_cycle_asks_everyone_once_in_one_digest(
    school: SchoolBuilder, database_url: str
) -> None:
    _school(school)
    ctx = school.context(database_url)
    results, stats = sweep(ctx, MONDAY)
    [result] = results
    assert result.opened == 8  # 4 staff x 2 requirements
    assert stats is not None
    reminders = [k for k in stats.sent_keys if k.startswith("reminder:")]
    assert len(reminders) == 4  # one email per person listing everything, not one per duty
    assert any(k.startswith("digest:") for k in stats.sent_keys)  # Monday: the head's digest
    mails = [
        m
        for m in _emails(ctx.settings.outbox_dir)
        if m["X-Compliance-Bot-Key"].startswith("reminder:")
    ]
    assert sorted(m["To"] for m in mails) == [
        "amy@oak.example",
        "ben@oak.example",
        "head@oak.example",
        "line@oak.example",
    ]
    amy = next(m for m in mails if m["To"] == "amy@oak.example")
    text = amy.get_body(("plain",)).get_content()
    html = amy.get_body(("html",)).get_content()
    assert "Online Safety" in text and "Online safety" in text
    assert "/ack/" in text and "/ack/" in html
    assert "Oak Test School" in html
    # the same day again: nothing new
    again, stats2 = sweep(ctx, MONDAY, at(MONDAY, 11))
    assert again[0].opened == 0 and stats2 is not None and stats2.sent == 0
    assert len(_emails(ctx.settings.outbox_dir)) == 5  # 4 reminders + the digest email (the
    # digest card goes to the channel, not the mailbox)
    with ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(SweepRun)) == 2
    ctx.store.dispose()


def test_new_duties_are_written_with_the_reminder_queued_about_them(
    school: SchoolBuilder, database_url: str
) -> None:
    _school(school)
    ctx = school.context(database_url)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()).upper())

    event.listen(ctx.store.engine, "before_cursor_execute", seen)
    sweep(ctx, MONDAY, deliver=False)
    recorded = [s for s in statements if s.startswith("UPDATE DUTIES") and "REMINDERS_SENT" in s]
    assert not recorded  # the stage went in with the duty: no duty is written twice
    # (a stage was recorded, reminders sent, when)
    asked = select(Duty.last_stage >= 0, Duty.reminders_sent, Duty.last_reminded_on)
    with ctx.store.session() as session:
        assert session.execute(asked).all() == [(True, 1, MONDAY)] * 8
    ctx.store.dispose()
    # a duty opened later the same day waits: that person's digest for today is already queued
    school.staff_train("Fire safety", id="train-fire", due_days=28)
    ctx = school.context(database_url)
    fire = asked.join(Requirement, Requirement.id == Duty.requirement_id)
    tuesday = date(2026, 11, 24)
    for day, expected in ((MONDAY, (False, 0, None)), (tuesday, (True, 1, tuesday))):
        [result], _ = sweep(ctx, day, at(day, 11), deliver=False)
        with ctx.store.session() as session:
            assert (
                session.execute(fire.where(Requirement.key == "train-fire")).all() == [expected] * 4
            )
            assert (
                session.execute(fire.where(Requirement.key != "train-fire")).all()
                == [(True, 1, MONDAY)] * 8
            )
    assert sum(r.queued for r in result.reminders) == 4  # Tuesday: only the new course
    ctx.store.dispose()


def test_dry_run_writes_nothing(school: SchoolBuilder, database_url: str) -> None:
    _school(school)
    ctx = school.context(database_url)
    results, stats = sweep(ctx, MONDAY, write=False)
    assert stats is None and len(results[0].reminders) == 4
    with ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Duty)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    ctx.store.dispose()


def test_weekend_sends_nothing_and_monday_catches_up(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    _school(school)
    ctx = school.context(sqlite_url)
    saturday = date(2026, 11, 21)
    results, stats = sweep(ctx, saturday)
    assert not results[0].school_day and stats is not None and stats.sent == 0
    _, monday = sweep(ctx, MONDAY)
    assert monday is not None
    assert len([k for k in monday.sent_keys if k.startswith("reminder:")]) == 4


def test_after_the_window_the_reminder_waits_for_the_next_school_morning(
    school: SchoolBuilder, sqlite_url: str, frozen_clock: FrozenClock
) -> None:
    _school(school)
    ctx = school.context(sqlite_url)
    # the wall clock too: a sweep's dispatch never runs behind it, so on a later real day the
    # deferred reminders would already be due
    evening = frozen_clock.at(MONDAY, 18)
    _, stats = sweep(ctx, MONDAY, evening)
    assert stats is not None and stats.sent == 0
    with ctx.store.session() as session:
        due = session.scalars(select(OutboxMessage.next_attempt_at)).all()
    assert {d for d in due} == {at(date(2026, 11, 24), 8, 0)}


def test_a_sweep_that_keeps_no_list_tells_its_reminders_in_brief(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler's and ``sweep``'s runs keep no list of the reminders (a trust's digest day
    plans 100,000): ``told`` says how many, the stages and the first few, as the list would."""
    _school(school)
    monkeypatch.setattr(Told, "FIRST", 3)
    ctx = school.context(database_url)
    [planned], _ = sweep(ctx, MONDAY, write=False)
    everyone = planned.reminders
    assert len(everyone) == 4 and not any(r.queued for r in everyone)
    stages = Counter(label.split(":")[0] for r in everyone for label in r.labels)
    assert planned.told == Told(4, 0, stages, tuple(everyone[:3]))  # a dry run: all planned
    [sent], _ = sweep(ctx, MONDAY, deliver=False, keep_reminders=False)
    assert sent.reminders == [] and (sent.told.count, sent.told.queued) == (4, 4)
    assert sent.told.stages == stages and len(sent.told.first) == 3
    assert {r.person_email for r in sent.told.first} <= {r.person_email for r in everyone}
    [again], _ = sweep(ctx, MONDAY, at(MONDAY, 11), deliver=False, keep_reminders=False)
    assert again.told == Told()  # today's digests were queued: nothing more to tell
    ctx.store.dispose()
