"""What a reminder run reads of a school, a batch of people at a time: the configured
requirements, the active people, who may be due a reminder today, their open duties, the names
the items show and the digests already queued. The statements are built once: their joins,
coercions and cache keys cost more than running them, and a sweep reads them for every school.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import ColumnElement, String, and_, bindparam, false, or_, select
from sqlalchemy.orm import Session

from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.database.store import one_of
from bot.core.models import (
    Duty,
    OfficialAccount,
    OutboxMessage,
    Person,
    Policy,
    PolicyVersion,
    Requirement,
)
from bot.engine.reminder_email import Names
from bot.engine.reminders import DIGEST_KEY_PREFIX, OpenDuty, Recipient, due_limits

__all__ = [
    "active_people",
    "names_of",
    "open_duties",
    "people_due",
    "recent_digest_keys",
    "requirement_configs",
]


def requirement_configs(session: Session, school: SchoolConfig) -> dict[int, RequirementConfig]:
    """Stored requirement ids mapped to their configuration (configured ones only)."""
    configs = {r.id: r for r in school.requirements}
    return {
        rid: configs[key]
        for rid, key in session.execute(_REQUIREMENT_KEYS, {"school_id": school.id})
        if key in configs
    }


def active_people(session: Session, school_id: str) -> dict[int, Recipient]:
    """The school's active people, by id."""
    return {
        row[0]: Recipient(*row) for row in session.execute(_ACTIVE_PEOPLE, {"school_id": school_id})
    }


# the statements that read a school's facts, built once (their joins, coercions and cache keys
# cost more than running them; a sweep reads them for every school)
_SCHOOL = bindparam("school_id", type_=String())


_REQUIREMENT_KEYS = select(Requirement.id, Requirement.key).where(Requirement.school_id == _SCHOOL)


_ACTIVE_PEOPLE = select(
    Person.id,
    Person.email,
    Person.display_name,
    Person.given_name,
    Person.manager_id,
    Person.start_date,
    Person.language,
).where(Person.school_id == _SCHOOL, Person.active.is_(True))


_NAMES = (
    select(PolicyVersion.id, PolicyVersion.label).where(PolicyVersion.school_id == _SCHOOL),
    select(PolicyVersion.id, Policy.title)
    .join(Policy, Policy.id == PolicyVersion.policy_id)
    .where(PolicyVersion.school_id == _SCHOOL),
    select(OfficialAccount.id, OfficialAccount.name).where(OfficialAccount.school_id == _SCHOOL),
)


_DIGEST_KEYS = select(OutboxMessage.idempotency_key).where(
    OutboxMessage.school_id == _SCHOOL,
    OutboxMessage.idempotency_key.like(bindparam("keys", type_=String())),
)


def _maybe_due(
    school: SchoolConfig, requirements: Mapping[int, RequirementConfig], today: date
) -> ColumnElement[bool]:
    """Open duties that may have a reminder stage due today (a superset, decided exactly later).

    Per cadence: not capped, and either nothing sent yet and open, or the next stage's date
    reached (``due_limits``); duties far past their last limit are always looked at.
    """
    by_cadence: dict[str, list[int]] = defaultdict(list)
    for rid, cfg in requirements.items():
        by_cadence[cfg.cadence].append(rid)
    branches = []
    for name, ids in by_cadence.items():
        cadence = school.cadence(name)
        limits = due_limits(cadence, today)
        stages = [and_(Duty.last_stage < 0, Duty.opened_on <= today)]
        stages += [
            and_(Duty.last_stage == j, Duty.due_on <= limit) for j, limit in enumerate(limits)
        ]
        stages.append(Duty.last_stage >= len(limits))
        branches.append(
            and_(
                Duty.requirement_id.in_(ids),
                Duty.reminders_sent < cadence.max_reminders,
                or_(*stages),
            )
        )
    return or_(false(), *branches)


def people_due(
    session: Session,
    school: SchoolConfig,
    requirements: Mapping[int, RequirementConfig],
    today: date,
) -> list[int]:
    """Ids of the people with an open duty that may be due a reminder today, ascending."""
    return list(
        session.scalars(
            select(Duty.person_id)
            .distinct()
            .where(
                Duty.school_id == school.id,
                Duty.status == "open",
                _maybe_due(school, requirements, today),
            )
            .order_by(Duty.person_id)
        )
    )


def open_duties(session: Session, school_id: str, person_ids: Sequence[int]) -> list[OpenDuty]:
    """These people's stored open duties (the caller has flushed), as plain rows in the
    digests' item order (person, due date, id) when ``person_ids`` ascend.

    Read on the session's connection: a digest day reads every open duty once, and ORM row
    handling would double the cost.
    """
    among, chunk = one_of(session, Duty.person_id, "people")
    statement = (
        select(
            Duty.id,
            Duty.person_id,
            Duty.requirement_id,
            Duty.cycle,
            Duty.opened_on,
            Duty.due_on,
            Duty.last_stage,
            Duty.reminders_sent,
            Duty.policy_version_id,
            Duty.account_id,
        )
        .where(Duty.school_id == school_id, Duty.status == "open", among)
        .order_by(Duty.person_id, Duty.due_on, Duty.id)
    )
    connection = session.connection()
    duties: list[OpenDuty] = []
    for start in range(0, len(person_ids), chunk):
        chunk_ids = list(person_ids[start : start + chunk])
        duties += map(OpenDuty._make, connection.execute(statement, {"people": chunk_ids}).all())
    return duties


def names_of(session: Session, school_id: str) -> Names:
    """Load the version labels, policy titles and account names the items show."""
    return Names(
        *(dict(session.execute(query, {"school_id": school_id}).all()) for query in _NAMES)
    )


def recent_digest_keys(session: Session, school_id: str) -> list[str]:
    """The outbox keys of the school's reminder digests (emails and cards alike)."""
    return list(
        session.scalars(
            _DIGEST_KEYS, {"school_id": school_id, "keys": f"{DIGEST_KEY_PREFIX}:{school_id}:%"}
        )
    )
