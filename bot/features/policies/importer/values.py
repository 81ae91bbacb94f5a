"""What the importer extracts: a ``FuzzyDate``, a ``Found`` value with its provenance, the
``ImportedPolicy`` of one document, and ``PolicyImportError``."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from bot.core.guards.forms import SaidError, Text
from bot.core.language.i18n import N_, Lazy, Msg, Said, shown

__all__ = [
    "DATE_LABELS",
    "MAX_YEAR",
    "MIN_YEAR",
    "MONTH_ONLY_RULE",
    "Found",
    "FuzzyDate",
    "How",
    "ImportedPolicy",
    "NoTextLayerError",
    "PolicyImportError",
    "date_problem",
    "json_value",
]

MIN_YEAR, MAX_YEAR = 1900, 2099
# The dates a policy states, by field, in the school's words.
DATE_LABELS = {
    "written": N_("date written"),
    "last_reviewed": N_("last reviewed"),
    "ratified": N_("approved or ratified"),
    "next_review": N_("next review"),
}
MONTH_ONLY_RULE = N_(
    "A date given only as a month (e.g. 'September 2026') is kept as that month; where a day "
    "is needed, the last day of the month is used (a review due 'September 2026' is due by "
    "30 September 2026)."
)

T = TypeVar("T")
How = Literal["text", "derived", "default", "typed"]


class PolicyImportError(SaidError, ValueError):
    """A document could not be read; ``str()`` is one line naming the file and the problem (in
    English), ``msg`` the same said where shown: the problem is a catalogue sentence (``N_``)
    with ``values`` (a library's own detail, as written), and ``told`` another check's refusal
    (a damaged Word file) said in its own words inside it."""

    def __init__(
        self, path: Path, message: str, *, told: SaidError | None = None, **values: str
    ) -> None:
        self.path, self.sentence, self.told = path, message, told
        super().__init__(message, **values)
        self.message = self.problem.said("en")  # the problem in English (``--json``)

    @property
    def problem(self) -> Lazy:
        """The problem without the file's name (said where shown)."""
        told = self.told
        if told is None:
            return Msg(self.sentence, **self.values)
        file = told.values.get("file")
        why = Said(lambda: str(told.msg).removeprefix(f"{file}: "))
        return Msg(self.sentence, **self.values, why=why)

    @property
    def msg(self) -> Lazy:
        """The line: the file, then the problem."""
        return Msg(N_("%(file)s: %(problem)s"), file=self.path, problem=self.problem)


class NoTextLayerError(PolicyImportError):
    """A PDF with no text to read (a scan): it can still be registered with typed details."""


@dataclass(frozen=True)
class FuzzyDate:
    """A date that may be known only to the month (``day is None``); never silently day 1."""

    year: int
    month: int
    day: int | None = None

    def __post_init__(self) -> None:
        if date_problem(self.year, self.month, self.day) is not None:
            raise ValueError(f"impossible date {self.year}-{self.month}-{self.day}")

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Ordering key; at equal month the day-precision date sorts later (more specific)."""
        return (self.year, self.month, self.day or 0)

    def isoformat(self) -> str:
        """``"2025-09"`` for month precision, ``"2025-09-25"`` for day precision."""
        month = f"{self.year:04d}-{self.month:02d}"
        return month if self.day is None else f"{month}-{self.day:02d}"

    def first_day(self) -> date:
        """The earliest calendar day this date can mean."""
        return date(self.year, self.month, self.day or 1)

    def last_day(self) -> date:
        """The latest calendar day this date can mean (use for 'due by')."""
        last = calendar.monthrange(self.year, self.month)[1]
        return date(self.year, self.month, self.day or last)

    def add_months(self, months: int) -> FuzzyDate:
        """This date plus whole months, keeping the precision; a day is clamped to month end."""
        year, month = divmod(self.year * 12 + self.month - 1 + months, 12)
        if self.day is None:
            return FuzzyDate(year, month + 1)
        return FuzzyDate(year, month + 1, min(self.day, calendar.monthrange(year, month + 1)[1]))

    def human(self) -> str:
        """How a school writes it: '1 September 2026', or 'September 2026 (month only)'."""
        if self.day is None:
            return f"{calendar.month_name[self.month]} {self.year} (month only)"
        return f"{self.day} {calendar.month_name[self.month]} {self.year}"

    def __str__(self) -> str:
        return self.isoformat()


@dataclass(frozen=True)
class Found(Generic[T]):
    """One extracted value and how it was obtained (text line + snippet, derived, or default)."""

    value: T
    how: How
    line: int | None = None
    snippet: str | None = None
    note: Text | None = None  # said where shown

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; dates become ISO strings, the note its English."""
        note = None if self.note is None else str(shown(self.note, "en"))
        return {**vars(self), "value": json_value(self.value), "note": note}


@dataclass
class ImportedPolicy:
    """Everything extracted from one policy document, each value with its provenance."""

    source: str
    title: Found[str] | None = None
    title_guess: Found[str] | None = None  # a possible title a person must confirm
    school: Found[str] | None = None
    version: Found[str] | None = None
    written: Found[FuzzyDate] | None = None
    last_reviewed: Found[FuzzyDate] | None = None
    ratified: Found[FuzzyDate] | None = None
    next_review: Found[FuzzyDate] | None = None
    approving_body: Found[str] | None = None
    review_cycle_months: Found[int] | None = None
    dsl: list[Found[str]] = field(default_factory=list)
    deputy_dsls: list[Found[str]] = field(default_factory=list)
    named_governors: list[Found[str]] = field(default_factory=list)
    official_channels: list[Found[str]] = field(default_factory=list)
    linked_policies: list[Found[str]] = field(default_factory=list)
    missing: list[Text] = field(default_factory=list)  # said where shown
    warnings: list[Text] = field(default_factory=list)
    other_schools: list[str] = field(default_factory=list)  # every school the text names
    text_words: tuple[str, ...] = ()  # the text as lower-case words, to find the same document

    def dates_not_stated(self) -> list[str]:
        """The dates the document does not state, in the school's words (a next review worked
        out from another date is still one the document does not state)."""
        return [
            label
            for name, label in DATE_LABELS.items()
            if (found := getattr(self, name)) is None or found.how != "text"
        ]

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (for ``--json``)."""
        single = (
            *("title", "school", "version", "written", "last_reviewed", "ratified"),
            *("next_review", "approving_body", "review_cycle_months", "title_guess"),
        )
        lists = ("dsl", "deputy_dsls", "named_governors", "official_channels", "linked_policies")
        result: dict[str, Any] = {"source": self.source}
        for name in single:
            found: Found[Any] | None = getattr(self, name)
            result[name] = None if found is None else found.to_json_dict()
        for name in lists:
            result[name] = [item.to_json_dict() for item in getattr(self, name)]
        result["dates_not_stated"] = self.dates_not_stated()
        result["missing"] = [str(shown(line, "en")) for line in self.missing]
        result["warnings"] = [str(shown(line, "en")) for line in self.warnings]
        result["complete"] = not self.missing  # every required field found or worked out
        return result


def json_value(value: object) -> object:
    """A value as JSON holds it: a ``FuzzyDate`` becomes its ISO string."""
    return value.isoformat() if isinstance(value, FuzzyDate) else value


def date_problem(year: int, month: int, day: int | None) -> str | None:
    """Why these numbers are not a calendar date, or None when they are."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"year {year} is out of range"
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        return f"{calendar.month_name[month]} {year} has no day {day}"
    return None
