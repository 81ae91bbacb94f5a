"""The sweep reads and plans a batch of people at a time: batches change nothing but memory."""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.models import Duty, OutboxMessage, Person, Requirement
from bot.engine import facts
from bot.engine.facts import person_batches
from tests.support.helpers import SchoolBuilder, sweep

MONDAY = date(2026, 11, 23)
# the first run, a quiet day, three days before due, the due day, two weeks overdue
DAYS = (MONDAY, date(2026, 11, 24), date(2026, 12, 4), date(2026, 12, 7), date(2026, 12, 21))


def _school(home: Path, school_id: str) -> SchoolBuilder:
    school = SchoolBuilder(home)
    school.school["id"] = school_id  # both schools share the test's database
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    school.staff_acknowledge(due_days=14)
    school.staff_train(audience={"groups": ["All Staff"]}, due_days=28)
    # owned by the head (batch 1 of 3 at size 2) and done by anyone of the owners
    school.requirement(
        id="photos",
        kind="recurring_task",
        title="Clear the photos",
        every="weekly",
        owners=["head@oak.example", "ben@oak.example"],
    )
    return school


def _history(school: SchoolBuilder, database_url: str) -> dict[str, Any]:
    """Run the sweep on each of DAYS; what the database holds afterwards, without ids
    (a cycle names its policy version by id)."""
    ctx = school.context(database_url)
    sid = school.school["id"]
    for day in DAYS:
        sweep(ctx, day, deliver=False)
    with ctx.store.session() as session:
        rows = session.execute(
            select(
                Requirement.key,
                Person.email,
                Duty.cycle,
                Duty.status,
                Duty.opened_on,
                Duty.due_on,
                Duty.last_stage,
                Duty.reminders_sent,
                Duty.closed_reason,
            )
            .join(Requirement, Requirement.id == Duty.requirement_id)
            .join(Person, Person.id == Duty.person_id)
            .where(Duty.school_id == sid)
        )
        duties = sorted((*row[:2], re.sub(r"^v\d+", "v", row[2]), *row[3:]) for row in rows)
        messages = sorted(
            (m.idempotency_key.split(":")[0], sorted(m.recipients), sorted(m.cc), m.subject)
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.school_id == sid))
        )
    return {"duties": duties, "messages": messages}


def test_batches_of_two_plan_and_remind_exactly_as_one_batch(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _history(_school(tmp_path / "whole", "oak"), database_url)
    monkeypatch.setattr(facts, "BATCH", 2)  # reminders are planned with each batch's duties
    batched = _history(_school(tmp_path / "batched", "elm"), database_url)
    assert batched == whole
    assert len(whole["duties"]) > 10 and any(m[0] == "reminder" for m in whole["messages"])
    assert {d[8] for d in whole["duties"]} >= {None, "missed"}  # open ones, and a missed week


def test_batches_cover_every_person_once(school: SchoolBuilder, sqlite_url: str) -> None:
    ctx = school.context(sqlite_url)
    sweep(ctx, MONDAY, deliver=False)
    with ctx.store.session() as session:
        ids = list(session.scalars(select(Person.id).order_by(Person.id)))
        batches = list(person_batches(session, "oak", size=2))
    assert len(ids) == 5 and len(batches) == 3
    assert batches[0].after is None and batches[-1].upto is None  # nothing falls outside
    for before, after in itertools.pairwise(batches):
        assert before.upto == after.after  # contiguous, no overlap
    inside = [
        [i for i in ids if (b.after is None or i > b.after) and (b.upto is None or i <= b.upto)]
        for b in batches
    ]
    assert inside == [ids[0:2], ids[2:4], ids[4:]]
