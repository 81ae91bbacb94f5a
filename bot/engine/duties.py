"""The duties engine: pure rules, ``today`` injected, no I/O (DESIGN.md §3).

``plan_duties`` turns requirements, people, policy versions, official-account holdings and
evidence into the duties that should be open and the ones to close. When and to whom a duty
is chased is ``bot.engine.reminders``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from bot.core.config import (
    DEFAULT_CADENCE,
    Audience,
    Cadence,
    RequirementConfig,
    SchoolConfig,
)
from bot.engine.periods import (
    TaskPeriod,
    add_months,
    current_task_period,
    cycle_start,
)

__all__ = [
    "EVENT_CYCLE",
    "Closure",
    "DutyFacts",
    "Evidence",
    "Holding",
    "NewDuty",
    "PersonFacts",
    "Plan",
    "Reopening",
    "RequirementFacts",
    "VersionFacts",
    "add_months",
    "cycle_start",
    "in_audience",
    "in_force",
    "plan_duties",
    "school_attention",
]

RENEWAL_LEAD_DAYS = 30  # training renewal duties open this many days before expiry (at least)
EVENT_CYCLE = "event:"  # a recurring task's review opened by a recorded event (event:<id>)
READING_YEAR_STARTS = "09-01"  # a reading campaign asks again every school year from this day


@dataclass(frozen=True)
class PersonFacts:
    """What the rules need to know about a person."""

    id: int
    email: str
    roles: frozenset[str]
    groups: frozenset[str]
    active: bool = True
    start_date: date | None = None


@dataclass(frozen=True)
class VersionFacts:
    """The current version of a policy."""

    id: int
    policy_key: str
    published_on: date


@dataclass(frozen=True)
class Holding:
    """A person holding an official account since a date."""

    account_id: int
    person_id: int
    since: date
    aup_policy_key: str | None


@dataclass(frozen=True)
class RequirementFacts:
    """A requirement as configured, plus when the bot first saw it."""

    id: int
    config: RequirementConfig
    first_seen: date


@dataclass
class Evidence:
    """What people have done: acknowledgements, signatures and training, by date."""

    acknowledged: Mapping[tuple[int, int], date] = field(default_factory=dict)  # (person, version)
    signed: Mapping[tuple[int, int], date] = field(default_factory=dict)  # (person, version)
    trained: Mapping[tuple[int, str], date] = field(default_factory=dict)  # (person, course) latest
    # recurring tasks: (requirement, cycle) -> the people who marked that cycle done
    tasks: Mapping[tuple[int, str], frozenset[int]] = field(default_factory=dict)


class DutyFacts(NamedTuple):
    """An existing duty, as stored (a plain row: a school's every duty is read each sweep)."""

    id: int
    requirement_id: int
    person_id: int
    cycle: str
    status: str
    account_id: int | None = None


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


def _sooner(found: dict[int, date], key: int, day: date) -> None:
    """Keep the earlier of ``day`` and what ``found`` holds for ``key``."""
    if key not in found or day < found[key]:
        found[key] = day


_Slot = tuple[int, int, int | None]  # (requirement, person, account)


class _Wanted(NamedTuple):
    """The duty one (requirement, person[, account]) should have right now."""

    cycle: str
    due_on: date
    opened_on: date
    version_id: int | None
    account_id: int | None
    done_ref: str | None  # evidence already satisfying it


def _on_school_day(item: _Wanted, next_day: Callable[[date], date] | None) -> _Wanted:
    """Nothing falls due on a weekend or holiday: move the due date to the next school day."""
    if next_day is None:
        return item
    due = next_day(item.due_on)
    return item if due == item.due_on else item._replace(due_on=due)


def in_audience(person: PersonFacts, audience: Audience) -> bool:
    """Whether a requirement's audience takes in this person (by role, group or email)."""
    if person.email in audience.exclude:
        return False
    return (  # isdisjoint walks the audience's short lists; intersection made a set of each
        not person.roles.isdisjoint(audience.roles)
        or not person.groups.isdisjoint(audience.groups)
        or person.email in audience.people
    )


def _base_due(
    req: RequirementFacts, person: PersonFacts, base: date, today: date
) -> tuple[date, date]:
    """(opened_on, due_on): new starters get ``new_starter_days`` from their start date.

    Nothing opens before a person's start date, and a duty is never born overdue: one created
    today for someone who has just joined its audience (a new role, holding or group) or a
    version the bot has just learnt of is due its full allowance from today.
    """
    cfg = req.config
    opened = max(base, req.first_seen)
    start = person.start_date
    starter = start is not None and start > base and cfg.new_starter_days is not None
    allowance = cfg.new_starter_days if starter and cfg.new_starter_days is not None \
        else cfg.due_days
    if start is not None and start > opened:
        return start, start + timedelta(days=allowance)
    if starter and start is not None:
        # joined after the version/cycle began but before we started chasing: starter rules
        starter_due = start + timedelta(days=allowance)
        due = max(starter_due, opened + timedelta(days=min(cfg.due_days, 7)))
    else:
        due = opened + timedelta(days=cfg.due_days)
    return _from_today(opened, due, allowance, today)


def _from_today(opened: date, due: date, allowance: int, today: date) -> tuple[date, date]:
    """A duty opened in the past is asked today: due at least ``allowance`` days from today.

    Only new duties use this (an existing duty keeps the dates it was created with).
    """
    if opened >= today:
        return opened, due
    return today, max(due, today + timedelta(days=allowance))


def _wanted_ack(
    req: RequirementFacts,
    person: PersonFacts,
    version: VersionFacts,
    evidence: Evidence,
    today: date,
    yearly_on: str | None,
) -> _Wanted:
    """The acknowledgement of ``version`` one person owes: once, or with ``yearly_on`` once a
    year (a policy read every year; a reading campaign's edition in force, each school year
    from 1 September by default).

    A yearly cycle is the version and the year: a reading campaign's new school year closes
    the old one unread as ``not_read`` (the evidence for its year), a new edition within the
    year as superseded (the year's read is still owed, ``_closure``); only an acknowledgement
    of this version made this year satisfies it.
    """
    base = version.published_on
    cycle = f"v{version.id}"
    year_start: date | None = None
    if yearly_on:
        year_start = cycle_start(today, yearly_on)
        base = max(base, year_start)
        cycle = f"v{version.id}:{year_start.year}"
    opened, due = _base_due(req, person, base, today)
    done_on = evidence.acknowledged.get((person.id, version.id))
    done = done_on is not None and (year_start is None or done_on >= year_start)
    return _Wanted(cycle, due, opened, version.id, None, f"ack:{done_on}" if done else None)


def _wanted_aup(
    req: RequirementFacts,
    holding: Holding,
    person: PersonFacts,
    version: VersionFacts,
    evidence: Evidence,
    today: date,
) -> _Wanted:
    cfg = req.config
    base = max(version.published_on, holding.since)
    cycle = f"v{version.id}:a{holding.account_id}:{holding.since.isoformat()}"
    year_start: date | None = None
    if cfg.yearly_on:
        year_start = cycle_start(today, cfg.yearly_on)
        base = max(base, year_start)
        cycle += f":{year_start.year}"
    opened = max(base, req.first_seen, person.start_date or base)
    opened, due = _from_today(opened, opened + timedelta(days=cfg.due_days), cfg.due_days, today)
    signed_on = evidence.signed.get((person.id, version.id))
    floor = max(holding.since, year_start or holding.since)
    done = signed_on is not None and signed_on >= floor
    return _Wanted(
        cycle, due, opened, version.id, holding.account_id, f"aup:{signed_on}" if done else None
    )


def _wanted_training(
    req: RequirementFacts, person: PersonFacts, evidence: Evidence, today: date, lead: int
) -> _Wanted | date:
    """The training owed: the course at first; then a renewal near its expiry.

    With a refresher (``refresh_every``) the full course is owed every ``full_every`` (None:
    once) and the refresher every ``refresh_every`` since the later of the last refresher and
    the last full course, so a full course also counts as that year's refresher. Whichever
    falls due first is owed; when the full course falls due within the renewal lead of the
    refresher, the full course is owed (it does for both).
    """
    cfg = req.config
    course = (cfg.course or "").strip().lower()
    last = evidence.trained.get((person.id, course))
    if last is None:
        opened, due = _base_due(req, person, req.first_seen, today)
        return _Wanted("initial", due, opened, None, None, None)
    if cfg.refresh_every is None:
        expires = add_months(last, cfg.full_every or cfg.valid_months)
        cycle = f"renew:{expires.isoformat()}"
    else:
        refresher = (cfg.refresher or "").strip().lower()
        refreshed = max(last, evidence.trained.get((person.id, refresher), last))
        refresh_due = add_months(refreshed, cfg.refresh_every)
        full_due = add_months(last, cfg.full_every) if cfg.full_every is not None else None
        if full_due is not None and full_due <= refresh_due + timedelta(days=lead):
            expires, cycle = full_due, f"renew:{full_due.isoformat()}"
        else:
            expires, cycle = refresh_due, f"refresh:{refresh_due.isoformat()}"
    opens = expires - timedelta(days=lead)
    if today < opens:
        return opens  # trained and not yet near expiry: nothing owed until this day
    return _Wanted(cycle, expires, opens, None, None, None)


def in_force(editions: Sequence[VersionFacts], today: date) -> VersionFacts | None:
    """The edition in force today: the latest registered whose date has come (an edition
    registered in July for 1 September is not asked for before then)."""
    current = [e for e in editions if e.published_on <= today]
    return max(current, key=lambda e: (e.published_on, e.id)) if current else None


def _wanted_readings(
    req: RequirementFacts,
    people: Sequence[PersonFacts],
    editions: Mapping[str, Sequence[VersionFacts]],
    evidence: Evidence,
    today: date,
    next_day: Callable[[date], date] | None,
) -> dict[_Slot, _Wanted]:
    """A reading campaign: each active person reads the part their audience is given."""
    cfg = req.config
    current = {
        part: in_force(editions.get(cfg.edition_key(part), ()), today) for part in cfg.audiences
    }
    wanted: dict[_Slot, _Wanted] = {}
    for person in people:
        if not person.active:
            continue
        part = next((p for p, a in cfg.parts_on(today).items() if in_audience(person, a)), None)
        edition = current.get(part) if part is not None else None
        if edition is None:
            continue  # not in any audience, or nothing registered for theirs yet
        wanted[(req.id, person.id, None)] = _on_school_day(
            _wanted_ack(req, person, edition, evidence, today,
                        cfg.yearly_on or READING_YEAR_STARTS), next_day
        )
    return wanted


# --------------------------------------------------------------------------- recurring tasks


def _wanted_task(
    req: RequirementFacts,
    person: PersonFacts,
    period: TaskPeriod,
    owner_ids: frozenset[int],
    evidence: Evidence,
    today: date,
    school: SchoolConfig | None,
) -> _Wanted | None:
    """This period's duty; owners share one task, audience members each do their own."""
    opened = max(period.start, req.first_seen)
    if person.start_date is not None and person.start_date > opened:
        opened = person.start_date
    due = min(opened + timedelta(days=req.config.due_days), period.due_by)
    if opened > today or due < opened:
        return None  # not started yet, or arrived too late in this period: owed from the next
    if school is not None:  # due on a school day, so the "due today" reminder can go out
        day = due
        while day > opened and not school.is_school_day(day):
            day -= timedelta(days=1)
        due = day if school.is_school_day(day) else due
    completed = evidence.tasks.get((req.id, period.key), frozenset())
    done = bool(completed & owner_ids) if person.id in owner_ids else person.id in completed
    return _Wanted(period.key, due, opened, None, None, f"task:{period.key}" if done else None)


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
    # share), and training's renewal windows (``_wanted_per_person``); the school's own are
    # ``school_attention``; reminder stages are the reminders' (``bot.engine.remind``)
    attention = {p.id: p.start_date for p in people_list
                 if p.start_date is not None and p.start_date > today}
    # thousands of duties share a handful of due dates: work out each date's school day once
    next_day = cache(school.next_school_day) if school is not None else None
    wanted: dict[_Slot, _Wanted] = {}
    trained: set[_Slot] = set()  # training done and not yet due again: owed nothing now
    # before its rule starts, or after it ends: owed by nobody, its open duties not required
    idle = {req.id for req in requirements if not req.config.in_force_on(today)}
    for req in requirements:
        kind = req.config.kind
        if req.id in idle:
            continue
        if kind == "sign_aup":
            wanted.update(_wanted_aups(req, versions, holdings, by_id, evidence, today, next_day))
        elif kind == "recurring_task":
            owners = task_owners.get(req.id) if task_owners is not None else None
            wanted.update(_wanted_tasks(req, people_list, evidence, today, school, owners))
        elif kind == "reading_campaign":
            wanted.update(_wanted_readings(req, people_list, editions or {}, evidence, today,
                                           next_day))
        else:
            wanted.update(_wanted_per_person(
                req, people_list, versions, evidence, cadences, today, next_day, attention,
                trained))
    existing_list = list(existing)
    kind_of = {req.id: req.config.kind for req in requirements}
    to_open, to_reopen = _to_open(wanted, existing_list, kind_of)
    return Plan(
        to_open=to_open,
        to_close=_to_close(wanted, existing_list, by_id,
                           {r: "idle" if r in idle else k for r, k in kind_of.items()}, trained),
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
        found += [day for day in (req.first_seen, cfg.in_force, cfg.until,
                                  *(a.until for a in cfg.audiences.values()))
                  if day is not None and day > today]
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
            found.append(period.end + timedelta(days=1)
                         if period is not None and period.end >= today else tomorrow)
    found += [e.published_on for found_editions in editions.values() for e in found_editions
              if e.published_on > today]
    return max(min(found), tomorrow) if found else None


def _wanted_aups(
    req: RequirementFacts,
    versions: Mapping[str, VersionFacts],
    holdings: Sequence[Holding],
    by_id: Mapping[int, PersonFacts],
    evidence: Evidence,
    today: date,
    next_day: Callable[[date], date] | None,
) -> dict[_Slot, _Wanted]:
    """An AUP signature per current holding of an account under this AUP, by active holders."""
    cfg = req.config
    version = versions.get(cfg.policy or "")
    wanted: dict[_Slot, _Wanted] = {}
    if version is None:
        return wanted
    for holding in holdings:
        if holding.aup_policy_key not in (None, cfg.policy):
            continue
        person = by_id.get(holding.person_id)
        if person is None or not person.active:
            continue
        wanted[(req.id, person.id, holding.account_id)] = _on_school_day(
            _wanted_aup(req, holding, person, version, evidence, today), next_day
        )
    return wanted


def _wanted_tasks(
    req: RequirementFacts,
    people: Sequence[PersonFacts],
    evidence: Evidence,
    today: date,
    school: SchoolConfig | None,
    owner_ids: frozenset[int] | None = None,
) -> dict[_Slot, _Wanted]:
    """This period's recurring task for its owners and its audience (active people only)."""
    cfg = req.config
    wanted: dict[_Slot, _Wanted] = {}
    period = current_task_period(cfg, today, req.first_seen, school)
    if period is None:
        return wanted
    if owner_ids is None:
        owners = set(cfg.owners)
        owner_ids = frozenset(p.id for p in people if p.email in owners)
    for person in people:
        if not person.active or (
            person.id not in owner_ids and not in_audience(person, cfg.audience)
        ):
            continue
        task = _wanted_task(req, person, period, owner_ids, evidence, today, school)
        if task is not None:
            wanted[(req.id, person.id, None)] = task
    return wanted


def _wanted_per_person(
    req: RequirementFacts,
    people: Sequence[PersonFacts],
    versions: Mapping[str, VersionFacts],
    evidence: Evidence,
    cadences: Mapping[str, Cadence],
    today: date,
    next_day: Callable[[date], date] | None,
    attention: dict[int, date],
    trained: set[_Slot],
) -> dict[_Slot, _Wanted]:
    """A policy acknowledgement or a training course for each active person in the audience
    (a renewal not open yet: its opening day kept in ``attention``, the slot in ``trained``)."""
    cfg = req.config
    wanted: dict[_Slot, _Wanted] = {}
    ack_version = versions.get(cfg.policy or "")
    if cfg.kind == "acknowledge_policy" and ack_version is None:
        return wanted
    lead = max([RENEWAL_LEAD_DAYS, *cadences.get(cfg.cadence, DEFAULT_CADENCE).before_due])
    course = (cfg.course or "").strip().lower()
    refresher = (cfg.refresher or "").strip().lower() if cfg.refresh_every is not None else None
    # what a person owes depends on them only through their start date and their evidence:
    # thousands share each answer, worked out once (a school of 10,000 has a handful)
    owed: dict[tuple[date | None, ...], _Wanted | date] = {}
    for person in people:
        if not person.active or not in_audience(person, cfg.audience):
            continue
        pid = person.id
        if ack_version is not None and cfg.kind == "acknowledge_policy":
            key: tuple[date | None, ...] = (
                person.start_date,
                evidence.acknowledged.get((pid, ack_version.id)),
            )
        else:
            key = (
                person.start_date,
                evidence.trained.get((pid, course)),
                None if refresher is None else evidence.trained.get((pid, refresher)),
            )
        item = owed.get(key)
        if item is None:
            if ack_version is not None and cfg.kind == "acknowledge_policy":
                item = _wanted_ack(req, person, ack_version, evidence, today, cfg.yearly_on)
            else:
                item = _wanted_training(req, person, evidence, today, lead)
            owed[key] = item = item if isinstance(item, date) else _on_school_day(item, next_day)
        if isinstance(item, date):
            _sooner(attention, pid, item)
            trained.add((req.id, pid, None))
        else:
            wanted[(req.id, pid, None)] = item
    return wanted


def _to_close(
    wanted: Mapping[_Slot, _Wanted],
    existing: Iterable[DutyFacts],
    by_id: Mapping[int, PersonFacts],
    kind_of: Mapping[int, str],
    trained: Collection[_Slot],
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
        closure = _closure(duty, want, by_id.get(duty.person_id),
                           kind_of.get(duty.requirement_id, ""), slot in trained)
        if closure is not None:
            closures.append(closure)
    return closures


def _closure(
    duty: DutyFacts, want: _Wanted | None, person: PersonFacts | None, kind: str, trained: bool
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
    wanted: Mapping[_Slot, _Wanted], existing: Iterable[DutyFacts], kind_of: Mapping[int, str]
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
        and (kind_of[req_id] == "complete_training"  # else one duty a person and cycle:
             or (duty.status == "not_required"
                 and kind_of[req_id] in ("acknowledge_policy", "reading_campaign")))
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

