"""The one fictional population every connector kit serves, so tests compare like with like."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Member:
    """A person in the fake directory, in platform-neutral terms."""

    external_id: str
    email: str
    display_name: str
    given_name: str
    family_name: str
    groups: tuple[str, ...]
    active: bool = True
    manager: str | None = None  # external_id of the manager
    job_title: str | None = None


PEOPLE: tuple[Member, ...] = (
    Member(
        "u-1",
        "ada.head@oakfield.example",
        "Ada Head",
        "Ada",
        "Head",
        ("All Staff", "Leadership"),
        job_title="Headteacher",
    ),
    Member(
        "u-2",
        "ben.teacher@oakfield.example",
        "Ben Teacher",
        "Ben",
        "Teacher",
        ("All Staff", "Official Account Holders"),
        manager="u-1",
        job_title="Class teacher",
    ),
    Member(
        "u-3", "cara.governor@oakfield.example", "Cara Governor", "Cara", "Governor", ("Governors",)
    ),
    Member(
        "u-4",
        "dan.left@oakfield.example",
        "Dan Left",
        "Dan",
        "Left",
        ("All Staff",),
        active=False,
        manager="u-1",
    ),
)

GROUPS: tuple[str, ...] = ("All Staff", "Leadership", "Official Account Holders", "Governors")

# The role each group gives, as a deployment's ``role_groups`` setting would say.
ROLES: dict[str, str] = {
    "All Staff": "staff",
    "Leadership": "headteacher",
    "Official Account Holders": "account_holder",
    "Governors": "governor",
}


@dataclass(frozen=True)
class SeedResponse:
    """An external form response in platform-neutral terms."""

    response_id: str
    submitted_at: datetime
    answers: dict[str, str] = field(default_factory=dict)


FORM_RESPONSES: tuple[SeedResponse, ...] = (
    SeedResponse(
        "r-1",
        datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        {"Category": "Mobile device misuse", "What happened": "Fictional test text one"},
    ),
    SeedResponse(
        "r-2",
        datetime(2026, 11, 3, 14, 5, tzinfo=UTC),
        {"Category": "Other", "What happened": "Fictional test text two"},
    ),
)
