"""The fictional demo school's data: its people, term dates and ``school.yaml``.

Everything here is invented: Oakfield Primary School, its people (names drawn from common
first names and surnames) and its policies (written for this project).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.core.calendar import bank_holiday_name, is_working_day, next_working_day
from bot.core.config.writing import commented_yaml

__all__ = [
    "DOMAIN",
    "DemoPerson",
    "demo_people",
    "inset_days",
    "school_config",
    "term_dates",
    "write_config",
    "write_directory",
]

DOMAIN = "oakfield.example"
FIRST = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Freya",
    "Arthur",
    "Ivy",
    "Leo",
    "Florence",
    "Oscar",
    "Willow",
    "Harry",
    "Rosie",
    "Jack",
    "Evie",
    "Alfie",
    "Poppy",
    "Theo",
    "Daisy",
    "Archie",
    "Sophia",
    "Henry",
    "Grace",
    "Thomas",
    "Lily",
    "Samuel",
    "Mia",
    "Joshua",
    "Ella",
    "Reuben",
    "Hannah",
    "Kit",
    "Maya",
    "Ezra",
    "Nina",
    "Felix",
    "Orla",
    "Rory",
    "Imogen",
    "Hugo",
    "Tabitha",
    "Ibrahim",
    "Zara",
    "Callum",
    "Priya",
    "Dominic",
    "Layla",
    "Jonah",
]
LAST = [
    "Ashdown",
    "Brackley",
    "Calloway",
    "Danvers",
    "Ellery",
    "Fenwick",
    "Garside",
    "Hartwell",
    "Ingram",
    "Jessop",
    "Kettering",
    "Lowther",
    "Marchbank",
    "Northcott",
    "Oakley",
    "Pemberton",
    "Quarrie",
    "Redfern",
    "Stainton",
    "Thackeray",
    "Underhill",
    "Varley",
    "Whitlock",
    "Yardley",
    "Ashcombe",
    "Birchall",
    "Coverdale",
    "Dunmore",
    "Eastwood",
    "Farrow",
    "Greenhalgh",
    "Holloway",
    "Islip",
    "Jarrold",
    "Kingsley",
    "Langridge",
    "Moorcroft",
    "Netherton",
    "Ormerod",
    "Pilkington",
    "Rushworth",
    "Selwood",
    "Tolley",
    "Upton",
    "Wetherby",
    "Ackland",
    "Brightwell",
    "Chadwick",
    "Deverell",
    "Eccleston",
]


# A real English school year: the 2026-27 dates most local authorities in England published
# (autumn 1 Sep-18 Dec with half term 26-30 Oct, spring 4 Jan-25 Mar with half term 15-19 Feb,
# summer 12 Apr-21 Jul with half term 31 May-4 Jun). The spring term ends on Thursday 25 March:
# Good Friday (26 March) and Easter Monday are bank holidays, which the calendar adds itself.
_TERMS_2026_27: tuple[tuple[str, date, date], ...] = (
    ("Autumn 1", date(2026, 9, 1), date(2026, 10, 23)),
    ("Autumn 2", date(2026, 11, 2), date(2026, 12, 18)),
    ("Spring 1", date(2027, 1, 4), date(2027, 2, 12)),
    ("Spring 2", date(2027, 2, 22), date(2027, 3, 25)),
    ("Summer 1", date(2027, 4, 12), date(2027, 5, 28)),
    ("Summer 2", date(2027, 6, 7), date(2027, 7, 21)),
)
# staff training (INSET) days of that year: no pupils, no reminders
_INSET_2026_27: tuple[date, ...] = (
    date(2026, 9, 1),
    date(2026, 10, 23),
    date(2026, 12, 4),
    date(2027, 5, 28),
    date(2027, 6, 7),
)
COUNTRY = "england"


def _school_year(today: date) -> int:
    """The calendar year the school year containing ``today`` starts in (August onwards)."""
    return today.year if today.month >= 8 else today.year - 1


def _good_friday(year: int) -> date:
    """Good Friday of ``year``, from the bank holiday calendar."""
    return next(
        day
        for day in (date(year, 3, 20) + timedelta(days=n) for n in range(36))
        if bank_holiday_name(COUNTRY, day) == "Good Friday"
    )


def term_dates(today: date) -> list[dict[str, Any]]:
    """The terms of the English school year containing ``today``, with half terms.

    2026-27 is the real published calendar; other years follow its pattern, with each term
    starting and ending on a working day and the spring term ending before Good Friday.
    """
    y = _school_year(today)
    if y == 2026:
        return [{"name": n, "start": s, "end": e} for n, s, e in _TERMS_2026_27]
    # whole weeks keep the weekdays (terms start on a Tuesday, end on a Friday)
    offset = timedelta(weeks=52 * (y - 2026))
    if _TERMS_2026_27[0][1] + offset < date(y, 8, 31):
        offset += timedelta(weeks=1)
    good_friday = _good_friday(y + 1)
    terms = []
    for name, first, last in _TERMS_2026_27:
        start, end = first + offset, last + offset
        if name == "Spring 2" and start <= good_friday <= end + timedelta(days=7):
            end = good_friday - timedelta(days=1)  # the spring term ends before Easter
        while not is_working_day(COUNTRY, end):
            end -= timedelta(days=1)
        terms.append({"name": name, "start": next_working_day(COUNTRY, start), "end": end})
    return terms


def inset_days(today: date) -> list[date]:
    """The staff training days of the school year containing ``today``."""
    y = _school_year(today)
    if y == 2026:
        return list(_INSET_2026_27)
    return [next_working_day(COUNTRY, t["start"]) for t in term_dates(today)[::2]]


@dataclass(frozen=True)
class DemoPerson:
    """A row of the demo directory."""

    email: str
    name: str
    given: str
    family: str
    title: str
    roles: str
    groups: str
    manager: str
    start: date | None
    active: bool


def demo_people(rng: random.Random, as_of: date) -> list[DemoPerson]:
    """Staff, volunteers and governors: with a new starter, one about to start and a leaver."""
    names = [(f, s) for f, s in zip(rng.sample(FIRST, 50), rng.sample(LAST, 50), strict=True)]
    people: list[DemoPerson] = []

    def add(
        title: str,
        roles: str,
        groups: str,
        manager: str = "",
        start: date | None = None,
        active: bool = True,
    ) -> str:
        given, family = names[len(people)]
        email = f"{given.lower()}.{family.lower()}@{DOMAIN}"
        people.append(
            DemoPerson(
                email,
                f"{given} {family}",
                given,
                family,
                title,
                roles,
                groups,
                manager,
                start,
                active,
            )
        )
        return email

    head = add("Headteacher", "staff", "All Staff;Leadership")
    deputy1 = add("Deputy Headteacher", "staff", "All Staff;Leadership", head)
    deputy2 = add("SENCo and Assistant Head", "staff", "All Staff;Leadership", head)
    add("School Business Manager", "staff", "All Staff;Office", head)
    add("IT Lead", "staff", "All Staff", deputy1)
    for i in range(14):
        add(
            f"Class Teacher (Year {i % 7})" if i % 7 else "Class Teacher (Reception)",
            "staff",
            "All Staff;Teachers",
            deputy1,
        )
    for _ in range(14):
        add("Teaching Assistant", "staff", "All Staff;Support Staff", deputy2)
    add("Office Administrator", "staff", "All Staff;Office", head)
    add("Site Manager", "staff", "All Staff", head)
    add("Midday Supervisor", "staff", "All Staff;Support Staff", deputy2)
    add(
        "Class Teacher (Year 4)",
        "staff",
        "All Staff;Teachers",
        deputy1,
        start=as_of - timedelta(days=4),
    )
    add(
        "Teaching Assistant",
        "staff",
        "All Staff;Support Staff",
        deputy2,
        start=as_of + timedelta(days=3),
    )
    add("Class Teacher (Year 2)", "staff", "All Staff;Teachers", deputy1, active=False)
    add("Reading Volunteer", "volunteer", "Volunteers", deputy1)
    for title in (
        "Chair of Governors",
        "Vice Chair",
        "Safeguarding Governor",
        "Parent Governor",
        "Parent Governor",
        "Staff Governor",
        "Co-opted Governor",
        "Clerk to Governors",
    ):
        add(title, "clerk" if title.startswith("Clerk") else "governor", "Governors")
    return people


def write_directory(path: Path, people: list[DemoPerson]) -> None:
    """Write the people as the local directory CSV the sweep reads."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "email",
                "name",
                "given_name",
                "family_name",
                "job_title",
                "roles",
                "groups",
                "manager_email",
                "start_date",
                "active",
            ]
        )
        for p in people:
            writer.writerow(
                [
                    p.email,
                    p.name,
                    p.given,
                    p.family,
                    p.title,
                    p.roles,
                    p.groups,
                    p.manager,
                    p.start.isoformat() if p.start else "",
                    "yes" if p.active else "no",
                ]
            )


# the demo's Word and PDF policies (bot/demo/documents.py); the rest are Markdown
DOCUMENT_SUFFIX = {"staff-code-of-conduct": ".docx", "mobile-phones": ".pdf"}


def school_config(
    people: list[DemoPerson], today: date, online_safety_version: str
) -> dict[str, Any]:
    """The school's ``school.yaml``: leadership, terms, cadences, policies, duties, accounts."""
    by_title: dict[str, list[str]] = {}
    for p in people:
        by_title.setdefault(p.title, []).append(p.email)
    head = by_title["Headteacher"][0]
    deputies = [by_title["Deputy Headteacher"][0], by_title["SENCo and Assistant Head"][0]]
    teachers = by_title.get("Class Teacher (Year 1)", []) + by_title.get(
        "Class Teacher (Year 3)", []
    )
    leaver = next(p.email for p in people if not p.active)
    governors = [p.email for p in people if p.roles == "governor"]

    def policy(
        pid: str,
        title: str,
        version: str,
        published: date,
        next_review: date,
        body: str = "FGB",
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "id": pid,
            "title": title,
            "version": version,
            "document": f"policies/{pid}{DOCUMENT_SUFFIX.get(pid, '.md')}",
            "published": published,
            "approving_body": body,
            "review_cycle_months": 12,
            "owner": head,
            "next_review": next_review,
            "last_reviewed": published,
            **extra,
        }

    return {
        "organisation": {
            "name": "Oakfield Learning Trust (fictional)",
            "timezone": "Europe/London",
        },
        "schools": [
            {
                "id": "oakfield",
                "name": "Oakfield Primary School",
                "headteacher": head,
                "dsl": [head],
                "deputy_dsl": deputies,
                "dpo": by_title["School Business Manager"][0],
                "chair_of_governors": by_title["Chair of Governors"][0],
                "clerk": by_title["Clerk to Governors"][0],
                "admins": [by_title["School Business Manager"][0]],
                "role_groups": {"Governors": "governor"},
                "country": COUNTRY,
                "terms": term_dates(today),
                "inset_days": inset_days(today),
                "sending_window": {"start": "08:00", "end": "17:00"},
                "cadences": {
                    "standard": {
                        "before_due": [14, 3],
                        "on_due": True,
                        "overdue_every_days": 7,
                        "max_reminders": 8,
                        "escalate": [
                            {"after_overdue": 3, "to": "line_manager"},
                            {"after_overdue": 5, "to": "headteacher"},
                        ],
                    },
                    "training": {
                        "before_due": [30, 7],
                        "on_due": True,
                        "overdue_every_days": 7,
                        "max_reminders": 6,
                        "escalate": [{"after_overdue": 2, "to": "line_manager"}],
                    },
                },
                "policies": [
                    policy(
                        "child-protection",
                        "Child Protection and Safeguarding Policy",
                        "2026.1",
                        today - timedelta(days=63),
                        today + timedelta(days=300),
                        reviewers=[governors[2]],
                    ),
                    policy(
                        "online-safety",
                        "Online Safety Policy",
                        online_safety_version,
                        today - timedelta(days=63 if online_safety_version == "2026.1" else 20),
                        today + timedelta(days=25),
                        reviewers=[governors[2]],
                        linked_policies=[
                            "Child Protection and Safeguarding Policy",
                            "Social Media Acceptable Use Policy",
                            "Remote Learning Policy",
                        ],
                    ),
                    policy(
                        "mobile-phones",
                        "Mobile Phones and Personal Devices Policy",
                        "2026.1",
                        today - timedelta(days=35),
                        today + timedelta(days=50),
                        body="Resources Committee",
                    ),
                    policy(
                        "social-media-aup",
                        "Social Media Acceptable Use Policy",
                        "2026.1",
                        today - timedelta(days=49),
                        today + timedelta(days=200),
                        aup=True,
                    ),
                    policy(
                        "staff-code-of-conduct",
                        "Staff Code of Conduct",
                        "2026.1",
                        today - timedelta(days=63),
                        today + timedelta(days=5),
                    ),
                    policy(
                        "data-protection",
                        "Data Protection Policy",
                        "2025.1",
                        today - timedelta(days=375),
                        today - timedelta(days=10),
                    ),
                ],
                "requirements": [
                    {
                        "id": "ack-child-protection",
                        "kind": "acknowledge_policy",
                        "policy": "child-protection",
                        "title": "Child Protection and Safeguarding Policy",
                        "audience": {"roles": ["staff", "volunteer", "supply"]},
                        "due_days": 14,
                        "yearly_on": "09-01",
                    },
                    {
                        "id": "ack-online-safety",
                        "kind": "acknowledge_policy",
                        "policy": "online-safety",
                        "audience": {"roles": ["staff", "volunteer", "supply"]},
                        "due_days": 14,
                    },
                    {
                        "id": "ack-mobile-phones",
                        "kind": "acknowledge_policy",
                        "policy": "mobile-phones",
                        "audience": {"roles": ["staff", "volunteer", "supply"]},
                        "due_days": 14,
                    },
                    {
                        "id": "ack-code-of-conduct",
                        "kind": "acknowledge_policy",
                        "policy": "staff-code-of-conduct",
                        "audience": {"roles": ["staff", "supply"]},
                        "due_days": 21,
                    },
                    {
                        "id": "sign-social-media-aup",
                        "kind": "sign_aup",
                        "policy": "social-media-aup",
                        "due_days": 10,
                    },
                    {
                        "id": "training-safeguarding",
                        "kind": "complete_training",
                        "course": "Safeguarding and child protection",
                        "valid_months": 12,
                        "audience": {"roles": ["staff", "volunteer"]},
                        "due_days": 28,
                        "cadence": "training",
                    },
                    {
                        "id": "training-online-safety",
                        "kind": "complete_training",
                        "course": "Online safety",
                        "valid_months": 12,
                        "audience": {"roles": ["staff"]},
                        "due_days": 28,
                        "cadence": "training",
                    },
                    {
                        "id": "task-phone-photos",
                        "kind": "recurring_task",
                        "title": "Upload and clear photos from the school phone",
                        "every": "weekly",
                        "owners": [by_title["Deputy Headteacher"][0]],
                    },
                    {
                        "id": "task-filtering-check",
                        "kind": "recurring_task",
                        "title": "Check filtering and monitoring",
                        "every": "termly",
                        "owners": [by_title["IT Lead"][0]],
                    },
                    {
                        "id": "task-phone-lock-code",
                        "kind": "recurring_task",
                        "title": "Change the school phone lock code",
                        "every": "yearly",
                        "owners": [head],
                    },
                    {
                        "id": "training-school-phone",
                        "kind": "complete_training",
                        "course": "School phone and social media",
                        "valid_months": 12,
                        "audience": {"roles": ["account_holder"]},
                        "due_days": 21,
                        "cadence": "training",
                    },
                ],
                "official_accounts": [
                    {
                        "id": "facebook",
                        "platform": "Facebook",
                        "name": "Oakfield Primary Facebook page",
                        "url": "https://www.facebook.com/oakfield.example",
                        "custodian": head,
                        "purpose": "News and celebrations for families",
                        "holders": [by_title["Office Administrator"][0], leaver],
                        "aup_policy": "social-media-aup",
                    },
                    {
                        "id": "tapestry",
                        "platform": "Tapestry",
                        "name": "Tapestry learning journal",
                        "custodian": head,
                        "purpose": "Early years observations shared with parents",
                        "holders": teachers[:1] + by_title["Class Teacher (Reception)"],
                        "aup_policy": "social-media-aup",
                    },
                    {
                        "id": "school-phone",
                        "platform": "Mobile phone",
                        "name": "School mobile phone",
                        "custodian": head,
                        "purpose": "Trip contact and photos for the website",
                        "holders": [by_title["Deputy Headteacher"][0], by_title["IT Lead"][0]],
                        "aup_policy": "social-media-aup",
                    },
                ],
            }
        ],
    }


def write_config(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as a commented, hand-readable ``school.yaml``."""
    header = (
        "# compliance-bot demo school (fictional). Edit it and run `uv run compliance-bot "
        "check config`,\n"
        "# then `uv run compliance-bot sweep`. Every key is described in README.md > "
        "Configuration.\n"
    )
    path.write_text(commented_yaml(data, header), encoding="utf-8")
