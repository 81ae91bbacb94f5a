"""What the duties engine needs, read from the database a batch of people at a time.

Facts about the whole school are small (requirements, policy versions, official-account
holdings, recurring-task completions and owners) and read once. Facts about people (their
roles, groups, acknowledgements, signatures, training and duties) are read for one contiguous
range of person ids at a time, so a 100,000-person school costs the memory of one batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, ColumnElement, Integer, String, bindparam, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import local_today
from bot.core.models import (
    AccountHolder,
    Attestation,
    Duty,
    OfficialAccount,
    Person,
    PersonGroup,
    PersonRole,
    Policy,
    PolicyVersion,
    Requirement,
    TaskCompletion,
    TrainingRecord,
)
from bot.engine.duty_facts import (
    DutyFacts,
    Evidence,
    Holding,
    PersonFacts,
    RequirementFacts,
    VersionFacts,
)
from bot.engine.reminders import OpenDuty

__all__ = [
    "BATCH",
    "Batch",
    "BatchFacts",
    "SchoolFacts",
    "batch_facts",
    "chosen_batches",
    "person_batches",
    "school_facts",
]

BATCH = 5000  # people per batch: about 50,000 duties in memory at a time
# the statements below are built once, with their values bound at each run: a sweep reads
# them for every school and batch, and building them (their joins, coercions and cache keys)
# cost more than running them
_SCHOOL = bindparam("school_id", type_=String())
_AFTER = bindparam("after", type_=Integer())
_UPTO = bindparam("upto", type_=Integer())
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)


@dataclass(frozen=True)
class SchoolFacts:
    """The facts shared by every batch of people."""

    requirements: list[RequirementFacts]
    versions: dict[str, VersionFacts]
    holdings: list[Holding]
    tasks: dict[tuple[int, str], frozenset[int]]  # (requirement, cycle) -> who marked it done
    task_owners: dict[int, frozenset[int]]  # recurring task requirement -> its owners' ids
    # reading campaigns' editions by edition key ("read-kcsie/part-1"), oldest first
    editions: dict[str, tuple[VersionFacts, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    """One contiguous range of person ids: ``after`` < id <= ``upto`` (None: unbounded); with
    ``ids``, only those of the range."""

    after: int | None
    upto: int | None
    ids: tuple[int, ...] | None = None

    def where(self, column: InstrumentedAttribute[int]) -> list[ColumnElement[bool]]:
        """Conditions that keep ``column`` (a person id) inside this batch, their values bound
        by name (``params``): the same for every batch of its ``shape``."""
        conditions: list[ColumnElement[bool]] = [] if self.ids is None else [column.in_(_IDS)]
        if self.after is not None:
            conditions.append(column > _AFTER)
        if self.upto is not None:
            conditions.append(column <= _UPTO)
        return conditions

    @property
    def shape(self) -> tuple[bool, bool, bool]:
        """Which of ``ids``, ``after`` and ``upto`` it has: its ``where``'s conditions."""
        return self.ids is not None, self.after is not None, self.upto is not None

    def params(self, school_id: str) -> dict[str, Any]:
        """The values ``where``'s conditions (and the school's) are bound to."""
        ids = list(self.ids) if self.ids is not None else None
        given = {"school_id": school_id, "ids": ids, "after": self.after, "upto": self.upto}
        return {name: value for name, value in given.items() if value is not None}


def person_batches(session: Session, school_id: str, size: int | None = None) -> Iterator[Batch]:
    """Ranges of person ids with ``size`` (default ``BATCH``) people each, covering every id."""
    size = size or BATCH
    ids = list(session.scalars(_PERSON_IDS, {"school_id": school_id}))
    after: int | None = None
    for upto in ids[size - 1 :: size]:  # the last id of each full batch
        if upto == ids[-1]:
            break
        yield Batch(after, upto)
        after = upto
    yield Batch(after, None)  # the last one is open-ended: no duty is ever left outside


_PERSON_IDS = select(Person.id).where(Person.school_id == _SCHOOL).order_by(Person.id)


def chosen_batches(people: Collection[int], size: int | None = None) -> Iterator[Batch]:
    """Batches of just these people (``size``, default ``BATCH``, each), in id order."""
    size = size or BATCH
    ids = sorted(people)
    for at in range(0, len(ids), size):
        chunk = tuple(ids[at : at + size])
        yield Batch(chunk[0] - 1, chunk[-1], chunk)


def school_facts(session: Session, school: SchoolConfig) -> SchoolFacts:
    """Requirements, current versions, holdings and recurring-task facts for the school."""
    sid = school.id
    configs = {r.id: r for r in school.requirements}
    requirements = [
        RequirementFacts(id=rid, config=configs[key], first_seen=first_seen)
        for rid, key, first_seen in session.execute(_REQUIREMENTS, {"school_id": sid})
        if key in configs
    ]
    versions: dict[str, VersionFacts] = {}
    editions: dict[str, list[VersionFacts]] = defaultdict(list)
    for vid, key, published, kind in session.execute(_VERSIONS, {"school_id": sid}):
        facts = VersionFacts(id=vid, policy_key=key, published_on=published)
        if kind == "reading":
            editions[key].append(facts)
        else:
            versions[key] = facts
    holdings = [
        Holding(account, person, since, key)
        for account, person, since, key in session.execute(_HOLDINGS, {"school_id": sid})
    ]
    done_tasks: dict[tuple[int, str], set[int]] = defaultdict(set)
    for rid, cycle, pid in session.execute(_DONE_TASKS, {"school_id": sid}):
        done_tasks[(rid, cycle)].add(pid)
    return SchoolFacts(
        requirements=requirements,
        versions=versions,
        holdings=holdings,
        tasks={key: frozenset(ids) for key, ids in done_tasks.items()},
        task_owners=_task_owners(session, sid, requirements),
        editions={key: tuple(found) for key, found in editions.items()},
    )


_REQUIREMENTS = select(Requirement.id, Requirement.key, Requirement.first_seen).where(
    Requirement.school_id == _SCHOOL, Requirement.active.is_(True)
)
_VERSIONS = (
    select(PolicyVersion.id, Policy.key, PolicyVersion.published_on, Policy.kind)
    .join(Policy, Policy.id == PolicyVersion.policy_id)
    .where(PolicyVersion.school_id == _SCHOOL)
    .order_by(PolicyVersion.id)
)
_HOLDINGS = (
    select(AccountHolder.account_id, AccountHolder.person_id, AccountHolder.since, Policy.key)
    .join(OfficialAccount, OfficialAccount.id == AccountHolder.account_id)
    .outerjoin(Policy, Policy.id == OfficialAccount.aup_policy_id)
    .where(AccountHolder.school_id == _SCHOOL, AccountHolder.until.is_(None))
)
_DONE_TASKS = select(
    TaskCompletion.requirement_id, TaskCompletion.cycle, TaskCompletion.person_id
).where(TaskCompletion.school_id == _SCHOOL)
_OWNERS = select(Person.id, Person.email).where(
    Person.school_id == _SCHOOL, Person.email.in_(bindparam("emails", expanding=True))
)


def _task_owners(
    session: Session, school_id: str, requirements: Sequence[RequirementFacts]
) -> dict[int, frozenset[int]]:
    """The owners (by person id, leavers included) of each recurring task."""
    tasks = [r for r in requirements if r.config.kind == "recurring_task"]
    emails = {email for r in tasks for email in r.config.owners}
    ids: dict[str, set[int]] = defaultdict(set)
    if emails:
        for pid, email in session.execute(
            _OWNERS, {"school_id": school_id, "emails": sorted(emails)}
        ):
            ids[email].add(pid)
    return {
        r.id: frozenset(pid for email in r.config.owners for pid in ids.get(email, ()))
        for r in tasks
    }


class BatchFacts(NamedTuple):
    """One batch's facts: its people (account holders carry the role), their evidence, their
    duties, and (on a reminder day) their open duties as the reminder rules read them."""

    people: list[PersonFacts]
    evidence: Evidence
    existing: list[DutyFacts]
    open: list[OpenDuty]
    stages: bool  # ``open`` was read (else it is empty)

    def still_open(self, closing: Collection[int]) -> list[OpenDuty] | None:
        """The open duties read (None: not read) but those the plan is ``closing``."""
        return [d for d in self.open if d.id not in closing] if self.stages else None


# a duty's columns: ``DutyFacts``'s, then the rest of ``OpenDuty``'s
_DUTY = (Duty.id, Duty.requirement_id, Duty.person_id, Duty.cycle, Duty.status, Duty.account_id)
_STAGE = (Duty.opened_on, Duty.due_on, Duty.last_stage, Duty.reminders_sent, Duty.policy_version_id)
_open_duty = itemgetter(0, 2, 1, 3, 6, 7, 8, 9, 10, 5)  # a wide row in ``OpenDuty``'s order


def batch_facts(
    session: Session,
    school_id: str,
    batch: Batch,
    holders: set[int],
    shared: SchoolFacts,
    *,
    stages: bool = False,
) -> BatchFacts:
    """The batch's people, their evidence and their duties; with ``stages`` (a reminder day)
    their open duties too, from the same read (the reminders read them no more)."""
    session.flush()
    given = batch.params(school_id)
    roles: dict[int, set[str]] = defaultdict(set)
    groups: dict[int, set[str]] = defaultdict(set)
    for found, read in ((roles, "roles"), (groups, "groups")):
        for pid, value in session.execute(_of_batch(read, batch), given):
            found[pid].add(value)
    people = [
        PersonFacts(
            id=pid,
            email=email,
            roles=frozenset(roles[pid] | ({"account_holder"} if pid in holders else set())),
            groups=frozenset(groups[pid]),
            active=active,
            start_date=start,
        )
        for pid, email, active, start in session.execute(_of_batch("people", batch), given)
    ]
    # every duty of the batch, as plain rows on the session's connection (flushed above)
    rows = (
        session.connection()
        .execute(_of_batch("stages" if stages else "duties", batch), given)
        .all()
    )
    existing = (
        [DutyFacts._make(row[:6]) for row in rows] if stages else list(map(DutyFacts._make, rows))
    )
    open_duties = (
        [OpenDuty._make(_open_duty(row)) for row in rows if row[4] == "open"] if stages else []
    )
    return BatchFacts(
        people, _evidence(session, batch, given, shared), existing, open_duties, stages
    )


def _evidence(
    session: Session, batch: Batch, given: dict[str, Any], shared: SchoolFacts
) -> Evidence:
    """The batch's latest acknowledgement, signature and training dates (``given``: the
    batch's ``params``)."""
    acknowledged: dict[tuple[int, int], date] = {}
    signed: dict[tuple[int, int], date] = {}
    for pid, vid, kind, at in session.execute(_of_batch("attestations", batch), given):
        target = signed if kind == "aup_signature" else acknowledged
        day = local_today(at)
        target[(pid, vid)] = max(day, target.get((pid, vid), day))  # the latest
    trained: dict[tuple[int, str], date] = {}
    for pid, course, completed in session.execute(_of_batch("training", batch), given):
        key = (pid, course.strip().lower())
        trained[key] = max(completed, trained.get(key, completed))  # the latest
    return Evidence(acknowledged, signed, trained, shared.tasks)


# what ``batch_facts`` reads of a batch: the columns, and the person id that places a row in it
_BATCH_READS: dict[
    str, tuple[tuple[Any, ...], InstrumentedAttribute[Any], InstrumentedAttribute[int]]
] = {
    "roles": ((PersonRole.person_id, PersonRole.role), PersonRole.school_id, PersonRole.person_id),
    "groups": (
        (PersonGroup.person_id, PersonGroup.name),
        PersonGroup.school_id,
        PersonGroup.person_id,
    ),
    "people": (
        (Person.id, Person.email, Person.active, Person.start_date),
        Person.school_id,
        Person.id,
    ),
    "duties": (_DUTY, Duty.school_id, Duty.person_id),
    "stages": ((*_DUTY, *_STAGE), Duty.school_id, Duty.person_id),
    "attestations": (
        (Attestation.person_id, Attestation.policy_version_id, Attestation.kind, Attestation.at),
        Attestation.school_id,
        Attestation.person_id,
    ),
    "training": (
        (TrainingRecord.person_id, TrainingRecord.course, TrainingRecord.completed_on),
        TrainingRecord.school_id,
        TrainingRecord.person_id,
    ),
}
_BUILT: dict[tuple[str, tuple[bool, bool, bool]], Any] = {}


def _of_batch(read: str, batch: Batch) -> Any:
    """The statement for ``read`` of a batch of this ``shape`` (bound by ``Batch.params``),
    built once."""
    key = (read, batch.shape)
    if key not in _BUILT:
        columns, school, person = _BATCH_READS[read]
        _BUILT[key] = select(*columns).where(school == _SCHOOL, *batch.where(person))
    return _BUILT[key]
