"""Reminder rules: pure, ``today`` injected, no I/O (DESIGN.md §3).

``next_reminder`` decides, for one open duty on one day, which reminder stage (if any) is due
and whom to copy. ``plan_digests`` applies it to a school's open duties and active people:
who gets a digest today, which items it lists and who is copied (the line manager, the
headteacher). Loading, rendering and queueing live in ``bot.engine.remind``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from bot.core.config import Cadence, RequirementConfig
from bot.core.guards.emails import has_mailbox

__all__ = [
    "DIGEST_KEY_PREFIX",
    "Digest",
    "DueReminder",
    "OpenDuty",
    "Recipient",
    "Reminder",
    "address_day_key",
    "at_weekly_cap",
    "chasing_stopped_to",
    "digest_key",
    "due_limits",
    "is_capped",
    "next_reminder",
    "plan_digests",
    "reminder_stages",
]

# who an escalation copies, in the order they are copied and named in the email
_ESCALATION_ORDER = ("line_manager", "headteacher")


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class Reminder:
    """One reminder stage due today for one duty, and whom to copy."""

    stage: int
    label: str  # ask | before:14 | due | overdue:2
    copy: tuple[str, ...]  # "line_manager" / "headteacher"


def reminder_stages(
    opened_on: date, due_on: date, cadence: Cadence, until: date
) -> list[tuple[int, str, date]]:
    """The stable, numbered list of reminder dates for a duty, up to ``until``."""
    stages: list[tuple[int, str, date]] = [(0, "ask", opened_on)]
    for days in cadence.before_due:
        when = due_on - timedelta(days=days)
        stages.append((len(stages), f"before:{days}", when))
    if cadence.on_due:
        stages.append((len(stages), "due", due_on))
    number = 1
    while True:
        when = due_on + timedelta(days=cadence.overdue_every_days * number)
        if when > until:
            break
        stages.append((len(stages), f"overdue:{number}", when))
        number += 1
    return stages


def due_limits(cadence: Cadence, today: date, overdue_stages: int = 8) -> tuple[date, ...]:
    """For a duty whose last stage sent is ``j`` (0, 1, ...): its next stage is reached by
    ``today`` only if its due date is on or before ``limits[j]``.

    Stages after the first ("ask", on the opening day) fall on ascending dates, so the stage
    after ``j`` is the earliest still unsent: ``next_reminder`` can be due only when that one
    is reached. This lets the database pick the few duties worth a look (a duty that has
    sent nothing is due once open; one past the last limit is always looked at).
    """
    offsets = [*cadence.before_due, *([0] if cadence.on_due else [])]
    offsets += [-cadence.overdue_every_days * n for n in range(1, overdue_stages + 1)]
    return tuple(today + timedelta(days=days) for days in offsets)


@lru_cache(maxsize=4096)
def _reached(
    opened_on: date, due_on: date, cadence: Cadence, today: date
) -> tuple[tuple[int, str, date], ...]:
    """Stages reached by ``today`` (cached: thousands of duties share the same dates)."""
    return tuple(s for s in reminder_stages(opened_on, due_on, cadence, today) if s[2] <= today)


def next_reminder(
    opened_on: date,
    due_on: date,
    last_stage: int,
    reminders_sent: int,
    cadence: Cadence,
    today: date,
) -> Reminder | None:
    """The reminder to send today, if any: the latest stage reached and not yet sent.

    Stages missed on non-school days are not sent late one by one: the next school day sends the
    latest stage only, so nobody gets two reminders at once after a half term.
    """
    if reminders_sent >= cadence.max_reminders or today < opened_on:
        return None  # capped, or not started (a new starter's duty opens on their first day)
    reached = _reached(opened_on, due_on, cadence, today)
    if not reached:
        return None
    stage, label, _ = reached[-1]
    if stage <= last_stage:
        return None
    if label.startswith("before:") and reminders_sent == 0 and last_stage < 0:
        label = "ask"  # the first message is the ask, whatever stage the calendar reached
    overdue = int(label.split(":")[1]) if label.startswith("overdue:") else 0
    copy = tuple(e.to for e in cadence.escalate if overdue > e.after_overdue)
    return Reminder(stage=stage, label=label, copy=copy)


# --------------------------------------------------------------------------- digests


class OpenDuty(NamedTuple):
    """The columns of an open duty that reminders need (a plain row: 100k of them stay fast)."""

    id: int
    person_id: int
    requirement_id: int
    cycle: str
    opened_on: date
    due_on: date
    last_stage: int
    reminders_sent: int
    version_id: int | None
    account_id: int | None


@dataclass(frozen=True)
class Recipient:
    """An active person who may receive (or be copied on) a reminder."""

    id: int
    email: str
    display_name: str
    given_name: str | None
    manager_id: int | None
    start_date: date | None = None
    language: str | None = (
        None  # their own choice in a dual-language school (bot.core.language.i18n)
    )

    def started(self, today: date) -> bool:
        """Whether the person has started (nothing is sent before their start date)."""
        return self.start_date is None or self.start_date <= today


@dataclass(frozen=True)
class DueReminder:
    """One duty whose reminder stage is due today."""

    duty: OpenDuty
    reminder: Reminder


@dataclass(frozen=True)
class Digest:
    """One person's reminder email for today: every open item, the stages due, the copies."""

    person: Recipient
    items: tuple[OpenDuty, ...]  # every open duty of the person, by due date
    due: tuple[DueReminder, ...]  # the duties whose stage is due today (at least one)
    cc: tuple[str, ...]
    escalated: tuple[str, ...]  # "line_manager" / "headteacher", in that order

    @property
    def labels(self) -> tuple[str, ...]:
        """The stage labels due today (ask, before:3, due, overdue:2 ...)."""
        return tuple(d.reminder.label for d in self.due)

    def stage_updates(self) -> list[tuple[int, int, int]]:
        """(duty id, stage sent, reminders sent) to record once the email is queued."""
        return [(d.duty.id, d.reminder.stage, d.duty.reminders_sent + 1) for d in self.due]


def is_capped(duty: OpenDuty, cadence: Cadence) -> bool:
    """Chasing has ended: the duty had every reminder its cadence allows."""
    return duty.reminders_sent >= cadence.max_reminders


def chasing_stopped_to(
    person: Recipient, people: Mapping[int, Recipient], headteacher: str, fallback: str | None
) -> str | None:
    """Who is told that chasing stopped: the active line manager, else the head, never the person.

    ``fallback`` (the chair of governors) is used when the person is the headteacher.
    """
    manager = people.get(person.manager_id) if person.manager_id is not None else None
    for candidate in (manager.email if manager else None, headteacher, fallback):
        if candidate and has_mailbox(candidate) and candidate.lower() != person.email.lower():
            return candidate
    return None


DIGEST_KEY_PREFIX = "reminder"


def digest_key(school_id: str, person_id: int, today: date) -> str:
    """The outbox idempotency key of a person's digest: at most one per person per day."""
    return f"{DIGEST_KEY_PREFIX}:{school_id}:{person_id}:{today.isoformat()}"


def at_weekly_cap(
    keys: Iterable[str], school_id: str, today: date, per_week: int
) -> frozenset[int]:
    """The people whose digests (by outbox key) in the 6 days before ``today`` already reach
    ``per_week``: a digest today would make more than ``per_week`` in 7 days."""
    prefix = f"{DIGEST_KEY_PREFIX}:{school_id}:"
    counts: dict[int, int] = {}
    for key in keys:
        person, _, day = key.removeprefix(prefix).partition(":")
        try:
            who, sent = int(person), date.fromisoformat(day)
        except ValueError:
            continue  # not a digest (a card's nudge, say)
        if 0 < (today - sent).days < 7:
            counts[who] = counts.get(who, 0) + 1
    return frozenset(p for p, n in counts.items() if n >= per_week)


def address_day_key(kind: str, school_id: str, address: str, day: date) -> str:
    """The outbox idempotency key of one message of a ``kind`` to an address on a day (a short
    hash of the address: keys carry no address)."""
    tag = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]
    return f"{kind}:{school_id}:{tag}:{day.isoformat()}"


def _due_today(
    duties: Iterable[OpenDuty],
    requirements: Mapping[int, RequirementConfig],
    cadences: Mapping[str, Cadence],
    today: date,
    known: dict[tuple[str, date, date, int, int], Reminder | None],
) -> list[DueReminder]:
    """The duties whose next reminder stage falls today.

    ``known`` keeps each answer by cadence, dates and progress: a school's duties share a few
    dozen of those, so a 100,000-duty day works out each once.
    """
    due: list[DueReminder] = []
    for duty in duties:
        name = requirements[duty.requirement_id].cadence
        key = (name, duty.opened_on, duty.due_on, duty.last_stage, duty.reminders_sent)
        if key in known:
            reminder = known[key]
        else:
            reminder = known[key] = next_reminder(
                duty.opened_on,
                duty.due_on,
                duty.last_stage,
                duty.reminders_sent,
                cadences[name],
                today,
            )
        if reminder is not None:
            due.append(DueReminder(duty, reminder))
    return due


def _copies(
    person: Recipient, copied: set[str], people: Mapping[int, Recipient], headteacher: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Whom to copy (the active line manager and/or the head, never the person, no repeats),
    and the escalations that reach someone: the head is not "told" about themselves."""
    manager = people.get(person.manager_id) if person.manager_id is not None else None
    targets = {
        "line_manager": manager.email if manager is not None else "",
        "headteacher": headteacher,
    }
    told = [(f, targets[f]) for f in _ESCALATION_ORDER if f in copied]
    told = [(f, c) for f, c in told if c and c != person.email]
    cc = [c for _, c in told]
    return tuple(c for i, c in enumerate(cc) if c not in cc[:i]), tuple(f for f, _ in told)


def plan_digests(
    duties: Iterable[OpenDuty],
    people: Mapping[int, Recipient],
    requirements: Mapping[int, RequirementConfig],
    cadences: Mapping[str, Cadence],
    headteacher: str,
    today: date,
    held: Collection[int] = (),
) -> list[Digest]:
    """One digest per person with a reminder stage due today, in the order duties arrive.

    Args:
        duties: open duties, ordered by person, due date and id (the digest's item order);
            capped ones and ones not yet open are left out of the digest.
        people: the school's active people by id (others get nothing and are never copied).
        requirements: active requirement configs by requirement id (others are ignored).
        cadences: reminder cadences by name, covering every requirement's cadence.
        headteacher: the headteacher's email, copied on escalation to the head.
        today: the (reminder) day being planned.
        held: people at their weekly number of reminder emails (``at_weekly_cap``): nothing
            today; their stages stay unsent, so the next digest carries the latest.
    """
    by_person: dict[int, list[OpenDuty]] = {}
    for duty in duties:
        if duty.person_id in held:
            continue
        person = people.get(duty.person_id)
        cfg = requirements.get(duty.requirement_id)
        if person is None or cfg is None or not person.started(today) or today < duty.opened_on:
            continue  # nothing is sent before a start date, nor about a duty not yet open
        if is_capped(duty, cadences[cfg.cadence]):
            continue  # chasing has ended: the line manager was told, the digest stays quiet
        by_person.setdefault(duty.person_id, []).append(duty)
    digests: list[Digest] = []
    known: dict[tuple[str, date, date, int, int], Reminder | None] = {}
    for person_id, items in by_person.items():
        due = _due_today(items, requirements, cadences, today, known)
        if not due:
            continue
        person = people[person_id]
        copied = {target for d in due for target in d.reminder.copy}
        cc, escalated = _copies(person, copied, people, headteacher)
        digests.append(
            Digest(person=person, items=tuple(items), due=tuple(due), cc=cc, escalated=escalated)
        )
    return digests
