"""What the duties engine is given (DESIGN.md §3): a school's people, policy versions,
official-account holdings, requirements and evidence as plain facts, and the two questions asked
of them everywhere (is this person in a rule's audience; which edition is in force)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from bot.core.config import Audience, RequirementConfig

__all__ = [
    "EVENT_CYCLE",
    "READING_YEAR_STARTS",
    "RENEWAL_LEAD_DAYS",
    "DutyFacts",
    "Evidence",
    "Holding",
    "PersonFacts",
    "RequirementFacts",
    "VersionFacts",
    "in_audience",
    "in_force",
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


def in_audience(person: PersonFacts, audience: Audience) -> bool:
    """Whether a requirement's audience takes in this person (by role, group or email)."""
    if person.email in audience.exclude:
        return False
    return (  # isdisjoint walks the audience's short lists; intersection made a set of each
        not person.roles.isdisjoint(audience.roles)
        or not person.groups.isdisjoint(audience.groups)
        or person.email in audience.people
    )


def in_force(editions: Sequence[VersionFacts], today: date) -> VersionFacts | None:
    """The edition in force today: the latest registered whose date has come (an edition
    registered in July for 1 September is not asked for before then)."""
    current = [e for e in editions if e.published_on <= today]
    return max(current, key=lambda e: (e.published_on, e.id)) if current else None
