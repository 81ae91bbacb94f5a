"""Recurring tasks in the database: their owners, marking a period done, closing duties a
recorded completion already satisfies, and the count of overdue tasks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.days.clock import local_today
from bot.core.models import Duty, Person, Requirement, TaskCompletion
from bot.engine import duty_status
from bot.features.tasks.rules import task_config

__all__ = [
    "TaskResult",
    "complete_task",
    "count_tasks_overdue",
    "reconcile_tasks",
    "task_done_by",
    "task_owner_ids",
]


@dataclass(frozen=True)
class TaskResult:
    """What pressing "Done" did: a new completion, or 'already done' (and by whom, when)."""

    already: bool
    closed: int
    done_by: str | None = None
    done_at: datetime | None = None


def task_owner_ids(session: Session, school_id: str, cfg: RequirementConfig | None) -> set[int]:
    """The ids of the people named as the task's owners (they share one task)."""
    if cfg is None or not cfg.owners:
        return set()
    return set(
        session.scalars(
            select(Person.id).where(Person.school_id == school_id, Person.email.in_(cfg.owners))
        )
    )


def task_done_by(session: Session, duty: Duty) -> tuple[str | None, datetime | None]:
    """Who first marked this duty's period done, and when (None, None if nobody has)."""
    row = session.execute(
        select(Person.display_name, TaskCompletion.at)
        .join(Person, Person.id == TaskCompletion.person_id)
        .where(
            TaskCompletion.requirement_id == duty.requirement_id, TaskCompletion.cycle == duty.cycle
        )
        .order_by(TaskCompletion.id)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


def complete_task(
    session: Session,
    school: SchoolConfig,
    duty: Duty,
    person: Person,
    *,
    method: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
    outcome: str | None = None,
) -> TaskResult:
    """Record that ``person`` did this period's task and close the duty ('already done' twice).

    When the task's owners share it, every owner's duty for the period closes. ``outcome``:
    a review's outcome in the owner's words (a review an event opened asks for one).
    """
    if duty.status != "open":
        return TaskResult(True, 0, *task_done_by(session, duty))
    cfg = task_config(school, duty.requirement.key)
    owners = task_owner_ids(session, school.id, cfg)
    today = local_today(now)
    existing = session.scalar(
        select(TaskCompletion).where(
            TaskCompletion.requirement_id == duty.requirement_id,
            TaskCompletion.cycle == duty.cycle,
            TaskCompletion.person_id == person.id,
        )
    )
    if existing is not None:
        duty_status.close_done(session, [duty], f"task:{existing.id}", today)
        return TaskResult(True, 1, person.display_name, existing.at)
    completion = TaskCompletion(
        school_id=school.id,
        requirement_id=duty.requirement_id,
        cycle=duty.cycle,
        person_id=person.id,
        duty_id=duty.id,
        at=now,
        method=method,
        ip=ip,
        user_agent=(user_agent or "")[:400],
        outcome=outcome,
    )
    session.add(completion)
    session.flush()
    duties = [duty]
    if person.id in owners:
        duties += list(
            session.scalars(
                select(Duty).where(
                    Duty.requirement_id == duty.requirement_id,
                    Duty.cycle == duty.cycle,
                    Duty.status == "open",
                    Duty.person_id.in_(owners - {person.id}),
                )
            )
        )
    closed = duty_status.close_done(session, duties, f"task:{completion.id}", today)
    audit.record(
        session,
        actor=person.email,
        action="task.completed",
        object_type="requirement",
        object_id=duty.requirement_id,
        school_id=school.id,
        details={
            "cycle": duty.cycle,
            "completion": completion.id,
            "duties_closed": closed,
            "method": method,
            "outcome": outcome is not None,
        },
    )
    return TaskResult(False, closed, person.display_name, now)


def reconcile_tasks(session: Session, school: SchoolConfig, today: date, *, write: bool) -> int:
    """Close open task duties a recorded completion already satisfies; returns how many.

    E.g. an owner added after another owner marked the period done.
    """
    rows = session.execute(
        select(Duty.id, Duty.requirement_id, Duty.cycle, Duty.person_id, Requirement.key)
        .join(Requirement, Requirement.id == Duty.requirement_id)
        .where(Duty.school_id == school.id, Duty.kind == "recurring_task", Duty.status == "open")
    ).all()
    if not rows:
        return 0
    done: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for req_id, cycle, person_id, completion_id in session.execute(
        select(
            TaskCompletion.requirement_id,
            TaskCompletion.cycle,
            TaskCompletion.person_id,
            TaskCompletion.id,
        ).where(
            TaskCompletion.school_id == school.id,
            TaskCompletion.requirement_id.in_({r[1] for r in rows}),
        )
    ):
        done[(req_id, cycle)][person_id] = completion_id
    owners: dict[str, set[int]] = {}
    to_close: list[tuple[int, int]] = []
    for duty_id, req_id, cycle, person_id, key in rows:
        by = done.get((req_id, cycle))
        if not by:
            continue
        if key not in owners:
            owners[key] = task_owner_ids(session, school.id, task_config(school, key))
        shared = person_id in owners[key]
        match = [c for p, c in by.items() if p == person_id or (shared and p in owners[key])]
        if match:
            to_close.append((duty_id, min(match)))
    if write:
        for duty_id, completion_id in to_close:
            duty = session.get(Duty, duty_id)
            if duty is not None:
                duty_status.close_done(session, [duty], f"task:{completion_id}", today)
    return len(to_close)


def count_tasks_overdue(session: Session, school_id: str, today: date) -> int:
    """How many recurring-task duties are open past their due date."""
    return int(session.scalar(_OVERDUE, {"school_id": school_id, "today": today}) or 0)


_OVERDUE = select(func.count()).where(  # built once: every dashboard view asks
    Duty.school_id == bindparam("school_id"),
    Duty.kind == "recurring_task",
    Duty.status == "open",
    Duty.due_on < bindparam("today"),
)
