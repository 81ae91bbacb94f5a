"""The duties engine: pure rules, ``today`` injected, no I/O (DESIGN.md §3).

``plan_duties`` turns requirements, people, policy versions, official-account holdings and
evidence (``bot.engine.duty_facts``) into the duties that should be open and the ones to close:
first what each person is owed today (``bot.engine.duty_wants``), then what that opens, reopens
and closes (here). When and to whom a duty is chased is ``bot.engine.reminders``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from bot.core.config import Cadence, SchoolConfig
from bot.engine.duty_facts import (
    EVENT_CYCLE,
    READING_YEAR_STARTS,
    DutyFacts,
    Evidence,
    Holding,
    PersonFacts,
    RequirementFacts,
    VersionFacts,
)
from bot.engine.duty_wants import (
    Slot,
    Wanted,
    wanted_aups,
    wanted_per_person,
    wanted_readings,
    wanted_tasks,
)
from bot.engine.periods import current_task_period, cycle_start

__all__ = ["Closure", "NewDuty", "Plan", "Reopening", "plan_duties", "school_attention"]


@dataclass(frozen=True)
class NewDuty:
    """A duty to create (possibly already satisfied: ``status`` done)."""

    requirement_id: int
    person_id: int
    kind: str
    cycle: str
    opened_on: date
    due_on: date
    policy_version_id: int | None = None
    account_id: int | None = None
    status: str = "open"
    evidence_ref: str | None = None


@dataclass(frozen=True)
class Closure:
    """An open duty to close, and why (done, superseded, not_read, missed, left,
    not_required)."""

    duty_id: int
    status: str
    evidence_ref: str | None = None


class Reopening(NamedTuple):
    """A closed duty owed again in its cycle: open again, due as a new one would be."""

    duty_id: int
    opened_on: date
    due_on: date


@dataclass
class Plan:
    """The engine's answer: duties to create, to reopen and to close; and, for each person
    planned, the first day after ``today`` on which their plan could differ if nothing else
    changed (``attention``; none: no date of theirs alone changes it)."""

    to_open: list[NewDuty] = field(default_factory=list)
    to_close: list[Closure] = field(default_factory=list)
    attention: dict[int, date] = field(default_factory=dict)
    to_reopen: list[Reopening] = field(default_factory=list)


def plan_duties(
    requirements: Sequence[RequirementFacts],
    people: Iterable[PersonFacts],
    versions: Mapping[str, VersionFacts],
    holdings: Sequence[Holding],
    evidence: Evidence,
    existing: Iterable[DutyFacts],
    cadences: Mapping[str, Cadence],
    today: date,
    school: SchoolConfig | None = None,
    *,
    task_owners: Mapping[int, frozenset[int]] | None = None,
    editions: Mapping[str, Sequence[VersionFacts]] | None = None,
) -> Plan:
    """Work out which duties to open and close today.

    Args:
        requirements: active requirements.
        people: everyone known to the school, leavers included (``active`` False).
        versions: current version per policy key.
        holdings: current official-account holdings.
        evidence: acknowledgements, signatures and training completions.
        existing: duties already stored (any status).
        cadences: reminder cadences by name (for the training renewal lead time).
        today: the date the plan is for.
        school: the school's calendar, for recurring tasks (terms, and periods without a
            school day); without it termly tasks follow England's usual terms.
        task_owners: each recurring task's owners by person id, when ``people`` is one batch
            of the school (owners may be in another); default: found among ``people``.
        editions: reading campaigns' registered editions by edition key (each audience's
            documents); the one in force today is asked for.

    Returns:
        A Plan. Applying it twice is harmless: the second plan is empty.
    """
    people_list = list(people)
    by_id = {p.id: p for p in people_list}
    # a person's own dates: the day they start (what is owed from then: a recurring task's
    # share), and training's renewal windows (``wanted_per_person``); the school's own are
    # ``school_attention``; reminder stages are the reminders' (``bot.engine.remind``)
    attention = {
        p.id: p.start_date for p in people_list if p.start_date is not None and p.start_date > today
    }
    # thousands of duties share a handful of due dates: work out each date's school day once
    next_day = cache(school.next_school_day) if school is not None else None
    wanted: dict[Slot, Wanted] = {}
    trained: set[Slot] = set()  # training done and not yet due again: owed nothing now
    # before its rule starts, or after it ends: owed by nobody, its open duties not required
    idle = {req.id for req in requirements if not req.config.in_force_on(today)}
    for req in requirements:
        kind = req.config.kind
        if req.id in idle:
            continue
        if kind == "sign_aup":
            wanted.update(wanted_aups(req, versions, holdings, by_id, evidence, today, next_day))
        elif kind == "recurring_task":
            owners = task_owners.get(req.id) if task_owners is not None else None
            wanted.update(wanted_tasks(req, people_list, evidence, today, school, owners))
        elif kind == "reading_campaign":
            wanted.update(
                wanted_readings(req, people_list, editions or {}, evidence, today, next_day)
            )
        else:
            wanted.update(
                wanted_per_person(
                    req,
                    people_list,
                    versions,
                    evidence,
                    cadences,
                    today,
                    next_day,
                    attention,
                    trained,
                )
            )
    existing_list = list(existing)
    kind_of = {req.id: req.config.kind for req in requirements}
    to_open, to_reopen = _to_open(wanted, existing_list, kind_of)
    return Plan(
        to_open=to_open,
        to_close=_to_close(
            wanted,
            existing_list,
            by_id,
            {r: "idle" if r in idle else k for r, k in kind_of.items()},
            trained,
        ),
        attention=attention,
        to_reopen=to_reopen,
    )


def school_attention(
    requirements: Sequence[RequirementFacts],
    editions: Mapping[str, Sequence[VersionFacts]],
    today: date,
    school: SchoolConfig | None = None,
) -> date | None:
    """The first day after ``today`` on which a date of the whole school's could change
    anyone's plan (None: none will): a requirement first seen later, a yearly cycle's start, a
    reading campaign's school year or next edition, a recurring task's next period, a rule's
    (or a reading part's) first or last day. Where a rule cannot say (a task between periods,
    as in a holiday), tomorrow."""
    tomorrow = today + timedelta(days=1)
    found: list[date] = []
    for req in requirements:
        cfg = req.config
        found += [
            day
            for day in (
                req.first_seen,
                cfg.in_force,
                cfg.until,
                *(a.until for a in cfg.audiences.values()),
            )
            if day is not None and day > today
        ]
        yearly = cfg.yearly_on or (READING_YEAR_STARTS if cfg.kind == "reading_campaign" else None)
        if yearly and cfg.kind in ("acknowledge_policy", "sign_aup", "reading_campaign"):
            begun = cycle_start(today, yearly)
            try:
                found.append(begun.replace(year=begun.year + 1))
            except ValueError:  # 29 February: the rule cannot say
                found.append(tomorrow)
        if cfg.kind == "recurring_task":
            period = current_task_period(cfg, today, req.first_seen, school)
            # the next period is owed from its first school day, never before this one ends
            found.append(
                period.end + timedelta(days=1)
                if period is not None and period.end >= today
                else tomorrow
            )
    found += [
        e.published_on
        for found_editions in editions.values()
        for e in found_editions
        if e.published_on > today
    ]
    return max(min(found), tomorrow) if found else None


def _to_close(
    wanted: Mapping[Slot, Wanted],
    existing: Iterable[DutyFacts],
    by_id: Mapping[int, PersonFacts],
    kind_of: Mapping[int, str],
    trained: Collection[Slot],
) -> list[Closure]:
    """Close what is no longer wanted in its cycle (or already done), and leavers' duties."""
    closures: list[Closure] = []
    for duty in existing:  # one pass, in the order read (a batch's 50,000 duties)
        if duty.status != "open":
            continue
        want = wanted.get(slot := (duty.requirement_id, duty.person_id, duty.account_id))
        if want is not None and want.cycle == duty.cycle and want.done_ref is None:
            person = by_id.get(duty.person_id)  # still owed as it is: closed only if they left
            if person is not None and person.active:
                continue
        closure = _closure(
            duty,
            want,
            by_id.get(duty.person_id),
            kind_of.get(duty.requirement_id, ""),
            slot in trained,
        )
        if closure is not None:
            closures.append(closure)
    return closures


def _closure(
    duty: DutyFacts, want: Wanted | None, person: PersonFacts | None, kind: str, trained: bool
) -> Closure | None:
    """Why one open duty closes today, if it does (``trained``: its training is not due yet)."""
    if person is None or not person.active:
        return Closure(duty.id, "left")
    if duty.cycle.startswith(EVENT_CYCLE):
        return None  # a review an event opened: only its completion closes it
    if want is None:  # done, or not asked any more (an idle rule's: not required)
        return Closure(duty.id, "done" if trained and kind != "idle" else "not_required")
    if want.cycle != duty.cycle:
        reason = "superseded" if duty.cycle.startswith("v") else "done"
        if kind == "recurring_task":
            reason = "missed"  # its period ended without anyone marking it done
        elif kind == "reading_campaign" and _year(duty.cycle) != _year(want.cycle):
            reason = "not_read"  # its school year ended unread (a new edition within the
            # year only replaces the ask: the year's read is still owed)
        return Closure(duty.id, reason)
    if want.done_ref is not None:
        return Closure(duty.id, "done", want.done_ref)
    return None


def _to_open(
    wanted: Mapping[Slot, Wanted], existing: Iterable[DutyFacts], kind_of: Mapping[int, str]
) -> tuple[list[NewDuty], list[Reopening]]:
    """Open what is wanted and not yet known in its cycle (already done: opened as done); and
    reopen what is closed in the cycle it is owed in again: a reading or training no longer
    required (its person back in the audience), a training whose record is gone (the
    dashboard counts an audience trained but for its open duties, #81)."""
    known = {(duty.requirement_id, duty.person_id, duty.cycle): duty for duty in existing}
    reopen = [
        Reopening(duty.id, want.opened_on, want.due_on)
        for (req_id, person_id, _), want in wanted.items()
        if want.done_ref is None
        and (duty := known.get((req_id, person_id, want.cycle))) is not None
        and duty.status != "open"
        and (
            kind_of[req_id] == "complete_training"  # else one duty a person and cycle:
            or (
                duty.status == "not_required"
                and kind_of[req_id] in ("acknowledge_policy", "reading_campaign")
            )
        )
    ]
    return [
        NewDuty(
            requirement_id=req_id,
            person_id=person_id,
            kind=kind_of[req_id],
            cycle=want.cycle,
            opened_on=want.opened_on,
            due_on=want.due_on,
            policy_version_id=want.version_id,
            account_id=account_id,
            status="done" if want.done_ref else "open",
            evidence_ref=want.done_ref,
        )
        for (req_id, person_id, account_id), want in wanted.items()
        if (req_id, person_id, want.cycle) not in known
    ], reopen


def _year(cycle: str) -> str:
    """The school year of a reading's cycle (``v<edition>:<year>``)."""
    return cycle.rpartition(":")[2]
