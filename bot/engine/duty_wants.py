"""The duties engine's first step: the duty each (requirement, person[, account]) should have
today, and the days a person's own dates change that (pure rules, ``today`` passed in). What to
open, reopen and close from it is ``bot.engine.duties``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import NamedTuple

from bot.core.config import DEFAULT_CADENCE, Cadence, SchoolConfig
from bot.engine.duty_facts import (
    READING_YEAR_STARTS,
    RENEWAL_LEAD_DAYS,
    Evidence,
    Holding,
    PersonFacts,
    RequirementFacts,
    VersionFacts,
    in_audience,
    in_force,
)
from bot.engine.periods import TaskPeriod, add_months, current_task_period, cycle_start

__all__ = ["Slot", "Wanted", "wanted_aups", "wanted_per_person", "wanted_readings", "wanted_tasks"]


def sooner(found: dict[int, date], key: int, day: date) -> None:
    """Keep the earlier of ``day`` and what ``found`` holds for ``key``."""
    if key not in found or day < found[key]:
        found[key] = day


Slot = tuple[int, int, int | None]  # (requirement, person, account)


class Wanted(NamedTuple):
    """The duty one (requirement, person[, account]) should have right now."""

    cycle: str
    due_on: date
    opened_on: date
    version_id: int | None
    account_id: int | None
    done_ref: str | None  # evidence already satisfying it


def _on_school_day(item: Wanted, next_day: Callable[[date], date] | None) -> Wanted:
    """Nothing falls due on a weekend or holiday: move the due date to the next school day."""
    if next_day is None:
        return item
    due = next_day(item.due_on)
    return item if due == item.due_on else item._replace(due_on=due)


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
    allowance = (
        cfg.new_starter_days if starter and cfg.new_starter_days is not None else cfg.due_days
    )
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
) -> Wanted:
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
    return Wanted(cycle, due, opened, version.id, None, f"ack:{done_on}" if done else None)


def _wanted_aup(
    req: RequirementFacts,
    holding: Holding,
    person: PersonFacts,
    version: VersionFacts,
    evidence: Evidence,
    today: date,
) -> Wanted:
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
    return Wanted(
        cycle, due, opened, version.id, holding.account_id, f"aup:{signed_on}" if done else None
    )


def _wanted_training(
    req: RequirementFacts, person: PersonFacts, evidence: Evidence, today: date, lead: int
) -> Wanted | date:
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
        return Wanted("initial", due, opened, None, None, None)
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
    return Wanted(cycle, expires, opens, None, None, None)


def wanted_readings(
    req: RequirementFacts,
    people: Sequence[PersonFacts],
    editions: Mapping[str, Sequence[VersionFacts]],
    evidence: Evidence,
    today: date,
    next_day: Callable[[date], date] | None,
) -> dict[Slot, Wanted]:
    """A reading campaign: each active person reads the part their audience is given."""
    cfg = req.config
    current = {
        part: in_force(editions.get(cfg.edition_key(part), ()), today) for part in cfg.audiences
    }
    wanted: dict[Slot, Wanted] = {}
    for person in people:
        if not person.active:
            continue
        part = next((p for p, a in cfg.parts_on(today).items() if in_audience(person, a)), None)
        edition = current.get(part) if part is not None else None
        if edition is None:
            continue  # not in any audience, or nothing registered for theirs yet
        wanted[(req.id, person.id, None)] = _on_school_day(
            _wanted_ack(
                req, person, edition, evidence, today, cfg.yearly_on or READING_YEAR_STARTS
            ),
            next_day,
        )
    return wanted


def _wanted_task(
    req: RequirementFacts,
    person: PersonFacts,
    period: TaskPeriod,
    owner_ids: frozenset[int],
    evidence: Evidence,
    today: date,
    school: SchoolConfig | None,
) -> Wanted | None:
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
    return Wanted(period.key, due, opened, None, None, f"task:{period.key}" if done else None)


def wanted_aups(
    req: RequirementFacts,
    versions: Mapping[str, VersionFacts],
    holdings: Sequence[Holding],
    by_id: Mapping[int, PersonFacts],
    evidence: Evidence,
    today: date,
    next_day: Callable[[date], date] | None,
) -> dict[Slot, Wanted]:
    """An AUP signature per current holding of an account under this AUP, by active holders."""
    cfg = req.config
    version = versions.get(cfg.policy or "")
    wanted: dict[Slot, Wanted] = {}
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


def wanted_tasks(
    req: RequirementFacts,
    people: Sequence[PersonFacts],
    evidence: Evidence,
    today: date,
    school: SchoolConfig | None,
    owner_ids: frozenset[int] | None = None,
) -> dict[Slot, Wanted]:
    """This period's recurring task for its owners and its audience (active people only)."""
    cfg = req.config
    wanted: dict[Slot, Wanted] = {}
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


def wanted_per_person(
    req: RequirementFacts,
    people: Sequence[PersonFacts],
    versions: Mapping[str, VersionFacts],
    evidence: Evidence,
    cadences: Mapping[str, Cadence],
    today: date,
    next_day: Callable[[date], date] | None,
    attention: dict[int, date],
    trained: set[Slot],
) -> dict[Slot, Wanted]:
    """A policy acknowledgement or a training course for each active person in the audience
    (a renewal not open yet: its opening day kept in ``attention``, the slot in ``trained``)."""
    cfg = req.config
    wanted: dict[Slot, Wanted] = {}
    ack_version = versions.get(cfg.policy or "")
    if cfg.kind == "acknowledge_policy" and ack_version is None:
        return wanted
    lead = max([RENEWAL_LEAD_DAYS, *cadences.get(cfg.cadence, DEFAULT_CADENCE).before_due])
    course = (cfg.course or "").strip().lower()
    refresher = (cfg.refresher or "").strip().lower() if cfg.refresh_every is not None else None
    # what a person owes depends on them only through their start date and their evidence:
    # thousands share each answer, worked out once (a school of 10,000 has a handful)
    owed: dict[tuple[date | None, ...], Wanted | date] = {}
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
            sooner(attention, pid, item)
            trained.add((req.id, pid, None))
        else:
            wanted[(req.id, pid, None)] = item
    return wanted
