"""Missed recurring checks: when a period ends with nobody marking its task done, the duty
closes as ``missed`` and its owners and the DSL team are told once (never silently)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import send_after
from bot.core.language.i18n import N_, Day, Msg
from bot.core.language.words import said_words, school_words
from bot.core.models import Duty, OutboxMessage, Person, Requirement
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.features.tasks.rules import cycle_label, task_config

__all__ = ["MISSED_KEY_PREFIX", "MISSED_LOOKBACK_DAYS", "alert_missed_tasks"]

MISSED_KEY_PREFIX = "task-missed"
# a check missed in the holidays is still told on the first school day after them
MISSED_LOOKBACK_DAYS = 28


def _missed_draft(
    school: SchoolConfig,
    requirement: Requirement,
    cycle: str,
    due_on: date,
    owners: list[Person],
    next_due: date | None,
) -> EmailDraft:
    """The alert for one missed period of one task, to its owners and the DSL team."""
    period = cycle_label(task_config(school, requirement.key), cycle)
    dsl = [*school.dsl, *school.deputy_dsl] or [school.headteacher]  # the DSL team
    team = said_words(school_words(school)).dsl_team
    to = list(dict.fromkeys([*(p.email for p in owners if p.active), *dsl]))
    values = {
        "title": requirement.title,
        "period": period,
        "team": team,
        "due": Day(due_on),
        "names": ", ".join(p.display_name for p in owners),
    }
    paragraphs = [
        Msg(
            "Nobody marked \u201c%(title)s\u201d done for %(period)s. It was due %(due)s and that "
            "period has ended, so it is recorded as missed.",
            **values,
        ),
        Msg(
            N_(
                "It was owed by %(names)s. If the check still matters, please do it now and "
                "note why it was missed; %(team)s is copied so that a gap in safeguarding checks "
                "is never silent."
            )
            if owners
            else N_(
                "It was owed by its owner. If the check still matters, please do it now and "
                "note why it was missed; %(team)s is copied so that a gap in safeguarding checks "
                "is never silent."
            ),
            **values,
        ),
    ]
    if next_due is not None:
        paragraphs.append(Msg("The next one is due %(day)s.", day=Day(next_due)))
    return notice(
        school=school,
        to=to,
        subject=Msg("Missed: %(title)s (%(period)s)", **values),
        paragraphs=paragraphs,
        facts=[
            (Msg("Task"), requirement.title),
            (Msg("Period"), period),
            (Msg("Was due"), values["due"]),
        ],
        small=Msg("You receive this as an owner of the task or as part of %(team)s.", **values),
    )


def alert_missed_tasks(
    session: Session, school: SchoolConfig, today: date, now: datetime, *, write: bool
) -> int:
    """Queue one alert per task period recently closed as missed; returns how many."""
    if not school.is_sending_day(today):
        return 0
    rows = session.execute(
        select(Duty, Requirement, Person)
        .join(Requirement, Requirement.id == Duty.requirement_id)
        .join(Person, Person.id == Duty.person_id)
        .where(
            Duty.school_id == school.id,
            Duty.kind == "recurring_task",
            Duty.status == "missed",
            Duty.closed_on >= today - timedelta(days=MISSED_LOOKBACK_DAYS),
        )
        .order_by(Duty.requirement_id, Duty.cycle, Person.display_name)
    ).all()
    not_before = send_after(school, today, now)
    queued = 0
    for (requirement_id, cycle), group in groupby(rows, lambda r: (r[1].id, r[0].cycle)):
        items = list(group)
        requirement = items[0][1]
        key = f"{MISSED_KEY_PREFIX}:{school.id}:{requirement_id}:{cycle}"[:200]
        if not write:  # a dry run counts what a real run would add
            queued += (
                session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key))
                is None
            )
            continue
        next_due = session.scalar(
            select(Duty.due_on)
            .where(Duty.requirement_id == requirement_id, Duty.status == "open")
            .order_by(Duty.due_on)
            .limit(1)
        )
        draft = _missed_draft(
            school,
            requirement,
            cycle,
            min(d.due_on for d, _, _ in items),
            [p for _, _, p in items],
            next_due,
        )
        queued += enqueue_email(
            session,
            school_id=school.id,
            key=key,
            purpose="task_missed",
            urgency=Urgency.ROUTINE,
            draft=draft,
            not_before=not_before,
        )
    return queued
