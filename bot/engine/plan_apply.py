"""Applying the duty plan: the school's duties opened, closed and reopened a batch of people at
a time (their digests planned with them on a reminder day), and the dashboard's snapshot
recounted after."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from functools import partial
from operator import itemgetter
from typing import Any

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.database.store import allocate_ids, insert_later
from bot.core.models import Duty
from bot.engine import attention
from bot.engine.duties import Closure, NewDuty, Plan, Reopening, plan_duties, school_attention
from bot.engine.duty_status import changing, recounted
from bot.engine.facts import (
    Batch,
    BatchFacts,
    batch_facts,
    chosen_batches,
    person_batches,
    school_facts,
)
from bot.engine.planner_statistics import refresh_statistics
from bot.engine.remind import PendingDigests, ReminderRun, record_stages_later
from bot.engine.reminders import OpenDuty
from bot.engine.snapshot import roll_forward

__all__ = ["Chase", "apply_plan", "plan_and_apply"]


def plan_and_apply(
    session: Session,
    school: SchoolConfig,
    today: date,
    reminders: ReminderRun | None = None,
    *,
    only: Collection[int] | None = None,
    kept: bool = False,
) -> tuple[int, dict[str, int]]:
    """Open and close the school's duties a batch of people at a time, then recount the
    dashboard's snapshot; (opened, closed).

    With ``only``, just those people are planned (those whose rows changed) and only their
    counts in the snapshot are redone (``changing``); without, everyone, and the snapshot is
    counted afresh, unless ``kept`` (nothing it counts changed since it was last made true) and
    the plan wrote no duty (``recounted``). With ``reminders`` (a reminder day), each batch's
    digests are planned with its duties and queued in the same transaction, and new duties go
    in with the reminder sent about them. On PostgreSQL a batch's writes go in on a worker
    thread while its digests are rendered and the next batch is planned (its facts read first).
    """
    if only is not None:
        roll_forward(session, school.id, today)  # the others' overdue counts as of today
        with changing(session, school.id, only, people=True):
            return _plan_batches(session, school, today, reminders, only)[:2]
    with recounted(session, school.id, today, kept=kept) as recount:  # the counts follow
        opened, closed, recount.wrote = _plan_batches(session, school, today, reminders, None)
        return opened, closed


def _plan_batches(
    session: Session,
    school: SchoolConfig,
    today: date,
    reminders: ReminderRun | None,
    only: Collection[int] | None,
) -> tuple[int, dict[str, int], bool]:
    """``plan_and_apply``'s batches (the caller recounts the snapshot); with whether they
    wrote any duty (opened or closed one)."""
    shared = school_facts(session, school)
    whole = school_attention(shared.requirements, shared.editions, today, school)
    holders = {h.person_id for h in shared.holdings}
    cadences = {n: school.cadence(n) for n in school.cadences}
    opened, written, closed = 0, 0, defaultdict[str, int](int)
    batches = list(person_batches(session, school.id) if only is None else chosen_batches(only))
    if not batches:
        return 0, {}, False

    def read(batch: Batch) -> BatchFacts:  # on a reminder day, the open duties of those due
        due = reminders is not None and reminders.due_in(batch.after, batch.upto)
        return batch_facts(session, school.id, batch, holders, shared, stages=due)

    facts = read(batches[0])
    writes: list[Callable[[], None]] = []  # the previous batch's, run once this one is planned
    pending: PendingDigests | None = None  # the previous batch's digests, to add
    for n, batch in enumerate(batches):
        people, evidence, existing = facts[:3]
        plan = plan_duties(  # pure
            shared.requirements,
            people,
            shared.versions,
            shared.holdings,
            evidence,
            existing,
            cadences,
            today,
            school=school,
            task_owners=shared.task_owners,
            editions=shared.editions,
        )
        _run(writes)
        if pending is not None:
            pending.add(session)
        attention.record(session, school.id, batch, plan.attention, whole, school=n == 0)
        opened += sum(1 for d in plan.to_open if d.status == "open") + len(plan.to_reopen)
        written += len(plan.to_open) + len(plan.to_reopen)
        chase = (
            None
            if reminders is None
            else partial(
                reminders.batch,
                after=batch.after,
                upto=batch.upto,
                stored={d.person_id for d in existing if d.status == "open"},
                read=facts.still_open({c.duty_id for c in plan.to_close}),
            )
        )
        counts, writes, pending = apply_plan(session, school.id, plan, today, chase)
        for reason, count in counts.items():
            closed[reason] += count
        if n + 1 < len(batches):
            facts = read(batches[n + 1])
        if pending is not None:
            pending.render()
    _run(writes)
    if pending is not None:
        pending.add(session)
    refresh_statistics(session, [Duty], written)
    return opened, dict(closed), bool(written or closed)


def _run(writes: Sequence[Callable[[], None]]) -> None:
    """Run a batch's prepared writes (``insert_later``...) in order."""
    for write in writes:
        write()


Chase = Callable[
    [Session, Sequence[OpenDuty]], tuple[Mapping[int, tuple[int, int]], PendingDigests]
]


def apply_plan(
    session: Session, school_id: str, plan: Plan, today: date, chase: Chase | None = None
) -> tuple[dict[str, int], list[Callable[[], None]], PendingDigests | None]:
    """Close what the plan closes; closures counted by reason, the writes left for the
    caller to run (the new duties, and stages on stored ones), and
    the digests to add to the outbox (with ``chase``).

    With ``chase`` (the reminder run for this batch of people), the new duties get their ids
    first, ``chase`` plans the batch's digests, and each duty a digest to be queued asks
    about has its stage in its row (new) or in an update (stored).
    """
    closed = _close(session, plan.to_close, today)
    _reopen(session, plan.to_reopen)
    rows = [_duty_row(school_id, d, today) for d in plan.to_open]
    if chase is not None:
        for row, duty_id in zip(rows, allocate_ids(session, Duty, len(rows)), strict=True):
            row["id"] = duty_id
        found, pending = chase(
            session, [OpenDuty._make(_open_duty(row)) for row in rows if row["status"] == "open"]
        )
        stages = dict(found)
        for row in rows:
            stage = stages.pop(row["id"], None)
            if stage is not None:
                row["last_stage"], row["reminders_sent"] = stage
                row["last_reminded_on"] = today
        return (
            closed,
            [
                record_stages_later(session, stages, today),  # the stored duties left
                insert_later(session, Duty, rows),
            ],
            pending,
        )
    return closed, [insert_later(session, Duty, rows)], None


def _duty_row(school_id: str, duty: NewDuty, today: date) -> dict[str, Any]:
    """A new duty as a row to insert (each of its fields is a column), no reminder sent yet."""
    done = duty.status != "open"
    return {
        "school_id": school_id,
        **vars(duty),
        "closed_on": max(today, duty.opened_on) if done else None,  # never before it opens
        "closed_reason": duty.status if done else None,
        "reminders_sent": 0,
        "last_stage": -1,
        "last_reminded_on": None,
    }


# a new duty's row as the reminder rules read it (``OpenDuty``'s fields, in order)
_open_duty = itemgetter(
    "id",
    "person_id",
    "requirement_id",
    "cycle",
    "opened_on",
    "due_on",
    "last_stage",
    "reminders_sent",
    "policy_version_id",
    "account_id",
)


def _close(session: Session, closures: Sequence[Closure], today: date) -> dict[str, int]:
    """Close duties, by reason and evidence: a few statements of many ids; counts by reason."""
    closed: dict[str, int] = defaultdict(int)
    by_reason: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for c in closures:
        by_reason[(c.status, c.evidence_ref)].append(c.duty_id)
        closed[c.status] += 1
    for (status, ref), ids in by_reason.items():
        for start in range(0, len(ids), 500):
            session.execute(
                update(Duty)
                .where(Duty.id.in_(ids[start : start + 500]), Duty.status == "open")
                .values(
                    status=status,
                    closed_reason=status,
                    evidence_ref=ref,
                    # satisfied before it opened (done early): closed the day it opens
                    closed_on=case((Duty.opened_on > today, Duty.opened_on), else_=today)
                    if status == "done"
                    else today,
                )
            )
    return dict(closed)


def _reopen(session: Session, reopenings: Sequence[Reopening]) -> None:
    """Open closed duties again, due as new ones (their reminders afresh): a few statements,
    one per pair of dates (thousands share them)."""
    by_dates: dict[tuple[date, date], list[int]] = defaultdict(list)
    for r in reopenings:
        by_dates[(r.opened_on, r.due_on)].append(r.duty_id)
    for (opened_on, due_on), ids in by_dates.items():
        for start in range(0, len(ids), 500):
            session.execute(
                update(Duty)
                .where(Duty.id.in_(ids[start : start + 500]), Duty.status != "open")
                .values(
                    status="open",
                    closed_on=None,
                    closed_reason=None,
                    evidence_ref=None,
                    opened_on=opened_on,
                    due_on=due_on,
                    last_stage=-1,
                    reminders_sent=0,
                    last_reminded_on=None,
                )
            )
