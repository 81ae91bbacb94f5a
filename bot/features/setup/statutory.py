"""The statutory year, as data: what each nation's guidance asks of a school every year, each
item named with its source (title and address) and how often the source says, or "not
stated" where it does not (the requirement then asks yearly until the school changes it).

Keyed by ``SchoolConfig.country``; "england-and-wales" (the old default) takes England's.
A reading of the guidance itself (KCSIE) is a reading campaign, never a policy: governors do
not review the DfE's guidance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.nations import NationPackError, pack_for

__all__ = [
    "NOT_STATED",
    "STATUTORY",
    "Source",
    "StatutoryItem",
    "is_statutory_reading",
    "statutory_items",
]

NOT_STATED = "not stated"


@dataclass(frozen=True)
class Source:
    """Where an item comes from: the guidance's title and its public address."""

    title: str
    url: str


@dataclass(frozen=True)
class StatutoryItem:
    """One statutory item: what it asks of whom, how often the source says, and the
    school.yaml requirement that asks it (owners of a task are filled in by the pack)."""

    id: str
    summary: str
    frequency: str
    source: Source
    requirement: Mapping[str, Any] = field(default_factory=dict)
    owners: tuple[str, ...] = ()  # for a task: the school's named roles that own it


KCSIE = Source(
    "Keeping children safe in education (DfE, statutory guidance)",
    "https://www.gov.uk/government/publications/keeping-children-safe-in-education--2",
)
FILTERING = Source(
    "Filtering and monitoring standards for schools and colleges (DfE)",
    "https://www.gov.uk/guidance/meeting-digital-and-technology-standards-in-schools-and-"
    "colleges/filtering-and-monitoring-standards-for-schools-and-colleges",
)
PREVENT = Source(
    "Prevent duty guidance: for England and Wales (Home Office)",
    "https://www.gov.uk/government/publications/prevent-duty-guidance",
)
LEARNERS_SAFE = Source(
    "Keeping learners safe (Welsh Government)",
    "https://www.gov.wales/keeping-learners-safe",
)
SCOTLAND_GUIDANCE = Source(
    "National Guidance for Child Protection in Scotland 2021, updated 2023 (Scottish "
    "Government)",
    "https://www.gov.scot/publications/national-guidance-child-protection-scotland-2021-"
    "updated-2023/",
)
PVG = Source(
    "Disclosure (Scotland) Act 2020: PVG scheme membership for five years, renewed, from "
    "1 April 2026 (Disclosure Scotland)",
    "https://www.legislation.gov.uk/asp/2020/13/contents",
)
NI_GUIDE = Source(
    "Safeguarding and child protection in schools: a guide for schools (Department of "
    "Education, Northern Ireland)",
    "https://www.education-ni.gov.uk/publications/safeguarding-and-child-protection-schools-"
    "guide-schools",
)
EA_CPSS = Source(
    "Child Protection Support Service for Schools: two-day course for new designated and "
    "deputy designated teachers, refresher every 3 years (Education Authority)",
    "https://www.eani.org.uk/schools/safeguarding-and-child-protection",
)

_WORKING_WITH_CHILDREN = ["staff", "supply", "volunteer", "headteacher", "dsl", "deputy_dsl"]
_GOVERNORS = ["governor", "chair_of_governors", "safeguarding_governor", "clerk"]


def _reading(rid: str, title: str, audiences: Mapping[str, Any]) -> dict[str, Any]:
    """A reading campaign asked every September, a month to read it."""
    return {"id": rid, "kind": "reading_campaign", "title": title, "yearly_on": "09-01",
            "due_days": 30, "audiences": dict(audiences)}


def _course(rid: str, course: str, roles: list[str], **extra: Any) -> dict[str, Any]:
    """A training requirement (yearly unless ``extra`` says otherwise)."""
    return {"id": rid, "kind": "complete_training", "course": course,
            "audience": {"roles": roles}, "valid_months": 12, "due_days": 28, **extra}


ENGLAND: tuple[StatutoryItem, ...] = (
    StatutoryItem(
        "kcsie-read",
        "Staff read Keeping children safe in education each September and each new edition: "
        "Part one for staff working directly with children, Annex A for staff who do not "
        "(put them in the group 'Staff not working directly with children')",
        "each new edition (usually in force from 1 September); Part one or Annex A",
        KCSIE,
        _reading("read-kcsie", "Keeping children safe in education", {
            "annex-a": {"groups": ["Staff not working directly with children"]},
            "part-1": {"roles": _WORKING_WITH_CHILDREN},
        }),
    ),
    StatutoryItem(
        "dsl-training",
        "The designated safeguarding lead and deputies: the full course every two years and "
        "an update every year in between (the full course counts as that year's update)",
        "training at least every two years; knowledge and skills refreshed at least annually",
        KCSIE,
        _course("dsl-training", "Designated safeguarding lead training", ["dsl", "deputy_dsl"],
                full_every="2 years", refresher="Designated safeguarding lead update",
                refresh_every="1 year"),
    ),
    StatutoryItem(
        "prevent-training",
        "Staff complete Prevent awareness training (asked yearly until you change it)",
        NOT_STATED,
        PREVENT,
        _course("prevent-training", "Prevent awareness", ["staff", "supply"]),
    ),
    StatutoryItem(
        "governor-safeguarding-training",
        "Governors complete safeguarding and child protection training at induction, then "
        "regularly (asked yearly until you change it)",
        "at induction, then regularly updated (how often is " + NOT_STATED + ")",
        KCSIE,
        _course("governor-safeguarding-training", "Governors' safeguarding training",
                ["governor", "chair_of_governors", "safeguarding_governor"]),
    ),
    StatutoryItem(
        "filtering-review",
        "The senior leader and the governor responsible for filtering and monitoring review "
        "it together at least once a year, and whenever something changes: a new technology "
        "(such as a generative-AI tool), a new safeguarding risk, a change in working practice "
        "or of provider, or new guidance (each recorded opens a review due in 10 school days)",
        "at least annually, and when something changes",
        FILTERING,
        {"id": "filtering-monitoring-review", "kind": "recurring_task",
         "title": "Review filtering and monitoring", "every": "yearly", "yearly_on": "09-01",
         "due_days": 365, "review_within": 10,
         "review_on": ["new_technology", "working_practice", "incident", "provider",
                       "guidance"]},
        owners=("dsl", "chair_of_governors"),
    ),
)

WALES: tuple[StatutoryItem, ...] = (
    StatutoryItem(
        "learners-safe-read",
        "Staff read Keeping learners safe each September and each new edition",
        NOT_STATED,
        LEARNERS_SAFE,
        _reading("read-keeping-learners-safe", "Keeping learners safe",
                 {"all-staff": {"roles": _WORKING_WITH_CHILDREN}}),
    ),
    StatutoryItem(
        "dsp-training",
        "The designated safeguarding person and deputies complete their training (asked "
        "yearly until you change it)",
        NOT_STATED,
        LEARNERS_SAFE,
        _course("dsp-training", "Designated safeguarding person training",
                ["dsl", "deputy_dsl"]),
    ),
    StatutoryItem(
        "prevent-training",
        "Staff complete Prevent awareness training (asked yearly until you change it)",
        NOT_STATED,
        PREVENT,
        _course("prevent-training", "Prevent awareness", ["staff", "supply"]),
    ),
)

SCOTLAND: tuple[StatutoryItem, ...] = (
    StatutoryItem(
        "pvg-membership",
        "Staff and volunteers in regulated work keep their PVG scheme membership: the office "
        "records the date it was renewed, every five years (a record check, not a course)",
        "membership lasts five years and is renewed (from 1 April 2026)",
        PVG,
        _course("pvg-membership", "PVG scheme membership", ["staff", "supply", "volunteer"],
                record_check=True, full_every="5 years"),
    ),
    StatutoryItem(
        "cp-coordinator-training",
        "The child protection coordinator and deputies complete their training (asked "
        "yearly until you change it)",
        NOT_STATED,
        SCOTLAND_GUIDANCE,
        _course("cp-coordinator-training", "Child protection coordinator training",
                ["dsl", "deputy_dsl"]),
    ),
)

NORTHERN_IRELAND: tuple[StatutoryItem, ...] = (
    StatutoryItem(
        "designated-teacher-training",
        "The designated and deputy designated teachers: the Education Authority's two-day "
        "course once, then its refresher every three years",
        "two-day course for new designated teachers; refresher every 3 years",
        EA_CPSS,
        _course("designated-teacher-training", "Designated teacher training",
                ["dsl", "deputy_dsl"], refresher="Designated teacher refresher",
                refresh_every="3 years"),
    ),
    StatutoryItem(
        "ni-guide-read",
        "Staff read the Department of Education's safeguarding guide each September and each "
        "new edition",
        NOT_STATED,
        NI_GUIDE,
        _reading("read-de-safeguarding-guide", "Safeguarding and child protection in schools",
                 {"all-staff": {"roles": _WORKING_WITH_CHILDREN}}),
    ),
)

STATUTORY: dict[str, tuple[StatutoryItem, ...]] = {
    "england": ENGLAND,
    "wales": WALES,
    "scotland": SCOTLAND,
    "northern-ireland": NORTHERN_IRELAND,
}

# statutory guidance that is read, never adopted as a school policy (words of its title)
_GUIDANCE_TITLES = (
    "keeping children safe in education",
    "kcsie",
    "keeping learners safe",
    "safeguarding and child protection in schools a guide",
)


def _from_pack(country: str) -> tuple[StatutoryItem, ...]:
    """The statutory items a nation's pack file lists under ``[requirements.<id>]``."""
    try:
        table = pack_for(country).requirements
    except NationPackError:
        return ()
    return tuple(
        StatutoryItem(key, item["summary"], item["frequency"], Source(**item["source"]),
                      dict(item["requirement"]), tuple(item.get("owners", ())))
        for key, item in table.items()
    )


def statutory_items(country: str) -> tuple[StatutoryItem, ...]:
    """The statutory items of the school's nation ("england-and-wales": England's)."""
    nation = "england" if country == "england-and-wales" else country
    return STATUTORY.get(nation, ()) + _from_pack(nation)


def is_statutory_reading(title: str) -> bool:
    """Whether a document's title names national guidance that staff read (KCSIE and its
    equivalents), which the pack never makes a policy: governors do not review it."""
    words = f" {re.sub(r'[^a-z]+', ' ', title.lower()).strip()} "
    return any(f" {phrase} " in words for phrase in _GUIDANCE_TITLES)
