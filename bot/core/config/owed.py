"""What school.yaml says is owed: policies and their versions, requirements (who owes what,
how often) with their audiences, the reminder cadences that chase them, and the official
accounts whose holders sign the AUP."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.core.config.fields import Email, PartName, PastDate, ReviewDate, Role, Slug
from bot.core.config.proof import ReadingProof
from bot.core.config.said import CheckError
from bot.core.nations import EventKind


class _Strict(BaseModel):
    """As every part of school.yaml: unknown keys refused, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Escalation(_Strict):
    """Copy someone once a duty has had ``after_overdue`` overdue reminders."""

    after_overdue: int = Field(ge=0)
    to: Literal["line_manager", "headteacher"]


class Cadence(_Strict):
    """When reminders go out, relative to the due date; escalation; a cap."""

    before_due: tuple[int, ...] = (14, 3)
    on_due: bool = True
    overdue_every_days: int = Field(default=7, ge=1)
    max_reminders: int = Field(default=8, ge=1)
    escalate: tuple[Escalation, ...] = (
        Escalation(after_overdue=3, to="line_manager"),
        Escalation(after_overdue=5, to="headteacher"),
    )

    @field_validator("before_due")
    @classmethod
    def _positive_sorted(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(v <= 0 for v in value):
            raise CheckError("days_before")
        return tuple(sorted(set(value), reverse=True))


DEFAULT_CADENCE = Cadence()


_PERIOD = re.compile(r"^\s*(\d+)\s*(year|years|month|months)\s*$", re.IGNORECASE)


def _months(value: Any) -> Any:
    """'2 years', '1 year' or '18 months' (or a whole number of months) as months."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    found = _PERIOD.match(str(value))  # never a bool: "True" is no period
    if found is None:
        raise CheckError("period", value=repr(value))
    count = int(found.group(1))
    return count * 12 if found.group(2).lower().startswith("year") else count


Months = Annotated[int, BeforeValidator(_months), Field(ge=1, le=120)]


class Audience(_Strict):
    """Who a requirement applies to: anyone matching a role, a group or a named person."""

    roles: list[Role] = []
    groups: list[str] = []
    people: list[Email] = []
    exclude: list[Email] = []
    # a reading campaign's part that the guidance drops from this day (KCSIE 2026 has no
    # Annex A): its people read the next audience they match instead
    until: date | None = None


class PolicyConfig(_Strict):
    """A policy and its current version document."""

    id: Slug
    title: str = Field(min_length=1, max_length=300)
    version: str = Field(min_length=1, max_length=40)
    document: Path
    published: PastDate | None = None
    statement: str | None = None
    owner: Email | None = None
    approving_body: str = "FGB"
    review_cycle_months: int = Field(default=12, ge=1, le=60)
    last_reviewed: PastDate | None = None
    ratified_on: PastDate | None = None
    next_review: ReviewDate | None = None
    reviewers: list[Email] = []
    linked_policies: list[str] = []
    aup: bool = False


class RequirementConfig(_Strict):
    """Who owes what and how often (DESIGN.md §3)."""

    id: Slug
    kind: Literal[
        "acknowledge_policy", "complete_training", "sign_aup", "recurring_task", "reading_campaign"
    ]
    title: str | None = None
    policy: Slug | None = None
    course: str | None = None
    audience: Audience = Audience()
    # complete_training with a full course and a refresher: the full course every
    # ``full_every`` (None: once), the ``refresher`` course every ``refresh_every``; completing
    # the full course resets both clocks, a refresher only its own
    full_every: Months | None = None
    refresh_every: Months | None = None
    refresher: str | None = Field(default=None, min_length=1, max_length=200)
    # complete_training that is a record check (e.g. PVG scheme membership): someone records
    # the date of the check or update; there is no certificate of training
    record_check: bool = False
    # reading_campaign: who reads which part of each edition (the first audience a person
    # matches wins, so list the narrower one first); a new cycle opens every ``yearly_on``
    # (default 09-01) and whenever a new edition comes into force
    audiences: dict[PartName, Audience] = {}
    due_days: int = Field(default=14, ge=0, le=365)
    new_starter_days: int | None = Field(default=10, ge=0, le=365)
    valid_months: int = Field(default=12, ge=1, le=120)
    yearly_on: str | None = None  # "09-01": a fresh cycle every year on that day
    cadence: str = "standard"
    # recurring_task: how often (a calendar period, or every N days from when first configured)
    # and who owns it (owners share one task: any one of them marks it done for all)
    every: Literal["weekly", "monthly", "termly", "yearly"] | None = None
    every_days: int | None = Field(default=None, ge=1, le=3660)
    owners: list[Email] = []
    # recurring_task: recorded events that also open a dated review, due within this many
    # school days (e.g. the filtering review when a new AI tool is introduced)
    review_on: list[EventKind] = []
    review_within: int = Field(default=10, ge=1, le=60)
    # acknowledge_policy / reading_campaign: proof that it was read (pages, a short check)
    proof_of_reading: ReadingProof | None = None
    # the rule's own dates (a nation pack's item: s550C from 29 June 2026): before
    # ``in_force`` and from ``until`` it opens no duty, and the open ones close
    in_force: date | None = None
    until: date | None = None

    def parts_on(self, day: date) -> dict[str, Audience]:
        """A reading's audiences still read on ``day`` (a part the guidance dropped: gone)."""
        return {p: a for p, a in self.audiences.items() if a.until is None or day < a.until}

    def in_force_on(self, day: date) -> bool:
        """Whether the rule applies on ``day`` (its own dates; none: always)."""
        return (self.in_force is None or self.in_force <= day) and (
            self.until is None or day < self.until
        )

    @field_validator("yearly_on")
    @classmethod
    def _month_day(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"\d\d-\d\d", value):
            raise CheckError("yearly_on")
        month, day = int(value[:2]), int(value[3:])
        date(2001, month, day)  # raises ValueError for 02-30 and friends
        return value

    @model_validator(mode="after")
    def _needs(self) -> RequirementConfig:
        if self.kind in ("acknowledge_policy", "sign_aup") and not self.policy:
            raise CheckError("needs_policy", kind=self.kind)
        self._check_training()
        if self.kind == "reading_campaign" and not self.audiences:
            raise CheckError("needs_audiences")
        if self.kind != "reading_campaign" and self.audiences:
            raise CheckError("audiences_for")
        self._check_task()
        return self

    def _check_training(self) -> None:
        """A course; a refresher named with its period, shorter than the full course's."""
        if self.kind == "complete_training" and not self.course:
            raise CheckError("needs_course")
        if self.kind != "complete_training" and (
            self.full_every or self.refresh_every or self.refresher or self.record_check
        ):
            raise CheckError("training_only")
        if (self.refresh_every is None) != (self.refresher is None):
            raise CheckError("refresher")
        if (
            self.full_every is not None
            and self.refresh_every is not None
            and (self.refresh_every >= self.full_every)
        ):
            raise CheckError("refresh_shorter")

    def _check_task(self) -> None:
        """A recurring task's period and owners, and nothing of it elsewhere."""
        if self.kind != "recurring_task" and (
            self.every or self.every_days or self.owners or self.review_on
        ):
            raise CheckError("task_only")
        if self.proof_of_reading is not None and self.kind not in (
            "acknowledge_policy",
            "reading_campaign",
        ):
            raise CheckError("proof_for")
        if self.kind == "recurring_task":
            if (self.every is None) == (self.every_days is None):
                raise CheckError("task_every")
            audience = self.audience
            if not (self.owners or audience.roles or audience.groups or audience.people):
                raise CheckError("task_owners")

    @property
    def display_title(self) -> str:
        """A title for emails and pages."""
        return self.title or self.course or self.policy or self.id

    @property
    def courses(self) -> tuple[str, ...]:
        """The course names whose completions count for this requirement (full, refresher)."""
        return tuple(c for c in (self.course, self.refresher) if c)

    def edition_key(self, part: str) -> str:
        """Where a reading campaign's editions for one audience are stored (never a policy
        id: those have no '/')."""
        return f"{self.id}/{part}"


class AccountConfig(_Strict):
    """An official account and who holds it."""

    id: Slug
    platform: str
    name: str
    url: str | None = None
    purpose: str | None = None
    custodian: Email | None = None
    holders: list[Email] = []
    aup_policy: Slug | None = None
    notes: str | None = None
