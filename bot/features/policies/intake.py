"""One way a policy document becomes a register entry, whoever brings it (``policies import``,
``init``'s policy folder, the upload page): what the document states and how each fact was
found, what was worked out, the questions only a person can answer, the dates as stored (a
month-only date is its month's last day, and a note says so), the version staff will see and
the school.yaml entry. The callers only ask, render and store what this returns."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePath
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Dated, Joined, Lazy, Msg, shown
from bot.core.language.words import Words
from bot.core.models import Person
from bot.features.policies.importer import (
    FuzzyDate,
    ImportedPolicy,
    PolicyImportError,
    extract_policy,
    not_ours,
    same_document,
)
from bot.features.policies.rules import document_version_label, policy_key
from bot.features.policies.typed import typed_date

T = TypeVar("T", bound="Intake")

__all__ = [
    "QUESTIONS",
    "Dates",
    "Intake",
    "copy_of",
    "dsl_names",
    "extract_bytes",
    "intake_of",
    "question",
    "read_intake",
    "stored_day",
    "twins",
]

# what the register needs of every policy, and how the question is put to a person
QUESTIONS = {
    "title": N_("Title of the policy"),
    "next_review": N_("Next review date (e.g. 2027-09-30, or September 2027)"),
    "approving_body": N_("Who approves it (the %(governing_body)s, or a committee's name)"),
}
# what is wrong with an answer (``Intake.answer``)
NO_ANSWER = N_("no answer given")
NOT_A_DATE = N_("%(text)s is not a date I can read; write 2027-09-30 or September 2027")


def question(name: str, words: Words) -> Msg:
    """How a missing value is asked, in the school's words ("the Board of Governors")."""
    return Msg(QUESTIONS[name], governing_body=Msg(words.governing_body))


# how the importer's "missing" lines name each question
MISSING_PREFIX = {
    "title": N_("title"),
    "next_review": N_("next review date"),
    "approving_body": N_("approving body"),
}
# what a document's value is, and how it was had (``Intake.found``, ``Intake.derived``)
_FIELDS = {
    "title": N_("title"),
    "next_review": N_("next review"),
    "approving_body": N_("approving body"),
}
_ON_LINE = N_("%(field)s: %(value)s (line %(line)s)")
_ANSWERED = N_("%(field)s: %(value)s (your answer)")
_WORKED_OUT = N_("%(field)s: %(value)s (%(note)s)")
_TITLE_UNCLEAR = N_("title: not clear from the document — is it “%(guess)s”? (%(why)s)")


# a month-only date as stored, said on the settings pages (``stored_day`` with a language)
MONTH_ONLY = {
    "ratified": N_(
        "ratified %(month)s (month only) is stored as %(day)s, the last day of that month"
    ),
    "last reviewed": N_(
        "last reviewed %(month)s (month only) is stored as %(day)s, the last day of that month"
    ),
    "next review": N_(
        "next review %(month)s (month only) is stored as %(day)s, the last day of that month"
    ),
    "written": N_(
        "written %(month)s (month only) is stored as %(day)s, the last day of that month"
    ),
}


def stored_day(
    label: str, value: FuzzyDate | None, notes: list[Text], *, iso: bool = False
) -> date | None:
    """A document's date as stored: a month-only date becomes that month's last day, and
    ``notes`` says so ("next review September 2027 (month only) is stored as 30 September
    2027, the last day of that month"; ``iso``: as the command line writes dates)."""
    if value is None:
        return None
    day = value.last_day()
    if value.day is None:
        said = Msg(
            MONTH_ONLY[label],
            month=Dated(value.first_day(), "%B %Y", "LLLL y"),
            day=Dated(day, "%d %B %Y", "d MMMM y"),
        )
        notes.append(_AsTheCommandLineWrites(said, label, value, day) if iso else said)
    return day


class _AsTheCommandLineWrites(Lazy):
    """A month-only date's note as the command line writes it in English (ISO dates, as
    before); another language says the pages' sentence."""

    __slots__ = ("day", "label", "said_else", "value")

    def __init__(self, said_else: Msg, label: str, value: FuzzyDate, day: date) -> None:
        self.said_else, self.label, self.value, self.day = said_else, label, value, day

    def said(self, language: str) -> str:
        """The note in ``language``."""
        if language != "en":
            return self.said_else.said(language)
        return (
            f"{self.label} {self.value.first_day():%B %Y} is stored as "
            f"{self.day.isoformat()} (the document gives only the month; the last day of "
            "that month is used)"
        )


@dataclass(frozen=True)
class Dates:
    """A document's dates as stored, and which of them it gives as a month only."""

    ratified: date | None
    last_reviewed: date | None
    next_review: date | None
    month_only: frozenset[str]


def _fuzzy(value: Any) -> FuzzyDate | None:
    """The date of a found (or answered) value, if it is one."""
    when = getattr(value, "value", value)
    return when if isinstance(when, FuzzyDate) else None


@dataclass
class Intake:
    """One policy document: its facts, how each was found, and what still needs an answer."""

    path: Path
    imported: ImportedPolicy | None = None
    error: Text | None = None
    values: dict[str, Any] = field(default_factory=dict)  # title, next_review, approving_body
    supplied: dict[str, str] = field(default_factory=dict)  # answered or typed, as written
    # each said where shown: "title: Online Safety Policy (line 1)"
    found: list[Text] = field(default_factory=list)
    derived: list[Text] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)
    checks: list[Text] = field(default_factory=list)  # another school or DSL named

    @property
    def title_guess(self) -> str | None:
        """A title the document may have (its first heading), offered when the title is asked."""
        guess = self.imported.title_guess if self.imported is not None else None
        return str(guess.value) if guess is not None else None

    @property
    def title(self) -> str:
        """The policy's title (or the file's name until one is given)."""
        return str(self.values.get("title") or self.path.name)

    @property
    def provisional_title(self) -> str:
        """The title, else its first heading or the file's name, until a person confirms it."""
        return str(self.values.get("title") or self.title_guess or self.path.stem)

    @property
    def questions(self) -> list[str]:
        """The fields still without a value."""
        return [] if self.error else [name for name in QUESTIONS if not self.values.get(name)]

    @property
    def missing(self) -> list[Text]:
        """The importer's "not stated" lines, less those a person has answered."""
        assert self.imported is not None
        answered = [MISSING_PREFIX[name] for name in self.supplied]
        return [
            line
            for line in self.imported.missing
            if not any(str(shown(line, "en")).lower().startswith(p) for p in answered)
        ]

    def answer(self, name: str, text: str) -> Msg | None:
        """Take a person's answer to one question; a problem (a date not read) or None."""
        text = text.strip()
        if not text:
            return Msg(NO_ANSWER)
        if name == "next_review":
            when = typed_date(text)
            if when is None:
                return Msg(NOT_A_DATE, text=repr(text))
            self.values[name] = when
        else:
            self.values[name] = text
        self.supplied[name] = text
        self.found.append(Msg(_ANSWERED, field=Msg(_FIELDS[name]), value=text))
        return None

    def dates(self, notes: list[Text] | None = None, *, iso: bool = False) -> Dates:
        """The document's dates as stored (month-only ones noted in ``notes``, else its
        own)."""
        imported = self.imported
        notes = self.notes if notes is None else notes
        assert imported is not None
        return Dates(
            ratified=stored_day("ratified", _fuzzy(imported.ratified), notes, iso=iso),
            last_reviewed=stored_day(
                "last reviewed", _fuzzy(imported.last_reviewed), notes, iso=iso
            ),
            next_review=stored_day(
                "next review", _fuzzy(self.values.get("next_review")), notes, iso=iso
            ),
            month_only=frozenset(
                name
                for name in ("ratified", "last_reviewed")
                if (f := getattr(imported, name)) is not None and f.value.day is None
            ),
        )

    @property
    def stated_version(self) -> str | None:
        """The version the document states, if any."""
        version = self.imported.version if self.imported is not None else None
        return str(version.value) if version is not None else None

    def version_label(
        self, dates: Dates, today: date, *, taken: set[str] | None = None, chosen: str | None = None
    ) -> str:
        """What staff see as the version: the stated one, else a dated label (or ``chosen``)."""
        return document_version_label(
            taken or set(),
            self.stated_version,
            ratified=dates.ratified,
            last_reviewed=dates.last_reviewed,
            today=today,
            month_only=dates.month_only,
            chosen=chosen,
        )

    def linked_policies(self, title: str) -> list[str]:
        """The policies the document links to, once each, itself left out."""
        assert self.imported is not None
        own = policy_key(title)
        linked = dict.fromkeys(str(i.value) for i in self.imported.linked_policies)
        return [t for t in linked if policy_key(t) != own]

    def entry(
        self,
        today: date,
        *,
        title: str | None = None,
        document: str | None = None,
        taken: set[str] | None = None,
        chosen: str | None = None,
    ) -> dict[str, Any]:
        """The policy's school.yaml entry (``document``: where it is kept, else policies/<its
        name>); what the document does not state is left out (the school's settings fill in
        the nation's governing body)."""
        imported = self.imported
        assert imported is not None
        title = title or str(self.values["title"])
        dates = self.dates()
        written = stored_day("written", _fuzzy(imported.written), self.notes)
        entry: dict[str, Any] = {
            "id": policy_key(title),
            "title": title[:300],
            "version": self.version_label(dates, today, taken=taken, chosen=chosen),
            "document": document or f"policies/{self.path.name}",
            "approving_body": str(self.values.get("approving_body") or "") or None,
            "review_cycle_months": int(cycle.value)
            if (cycle := imported.review_cycle_months)
            else None,
            "published": dates.ratified or dates.last_reviewed or written,
            "last_reviewed": dates.last_reviewed,
            "ratified_on": dates.ratified,
            "next_review": dates.next_review,
            "linked_policies": self.linked_policies(title),
        }
        return {key: value for key, value in entry.items() if value not in (None, [])}

    def check_ownership(
        self, school_name: str, dsl_names: list[str], *, dsl: str = "DSL"
    ) -> list[Text]:
        """Point out another school or safeguarding lead (``dsl``: the school's word) the
        document names than the school's own."""
        if self.imported is not None:
            self.checks = list(not_ours(self.imported, school_name, dsl_names, dsl=dsl))
        return self.checks


def intake_of(path: Path, imported: ImportedPolicy) -> Intake:
    """What a document read says, for a person to check: each value found (with its line) or
    worked out, the importer's warnings and a title to confirm when none is clear."""
    item = Intake(path, imported)
    for name in QUESTIONS:
        found = getattr(imported, name)
        if found is None:
            continue
        item.values[name] = found.value
        field_said, value = Msg(_FIELDS[name]), str(found.value)
        if found.how == "text" and found.line:
            item.found.append(Msg(_ON_LINE, field=field_said, value=value, line=found.line))
        elif found.how == "text":  # a PDF's text has no lines to point at: found all the same
            item.found.append(Joined((field_said, value), ": "))
        else:
            item.derived.append(
                Msg(
                    _WORKED_OUT,
                    field=field_said,
                    value=value,
                    note=found.note or Msg(N_("worked out")),
                )
            )
    item.notes.extend(imported.warnings)
    if imported.title is None and imported.title_guess is not None:
        item.notes.append(
            Msg(
                _TITLE_UNCLEAR,
                guess=imported.title_guess.value,
                why=imported.title_guess.note or "",
            )
        )
    return item


def read_intake(path: Path, kind: type[T]) -> T:
    """One document through the importer (an error it cannot be read for, kept)."""
    try:
        return kind(**vars(intake_of(path, extract_policy(path))))
    except (PolicyImportError, OSError) as exc:
        return kind(path, error=exc.msg if isinstance(exc, PolicyImportError) else str(exc))


def twins(items: list[T]) -> list[tuple[T, T]]:
    """Pairs of documents that are one policy: the same text (a Word and a PDF copy), or the
    same title; whatever questions either raised."""
    pairs: list[tuple[T, T]] = []
    read = [item for item in items if item.imported is not None]
    for index, item in enumerate(read):
        for earlier in read[:index]:
            assert earlier.imported is not None and item.imported is not None
            titled = bool(earlier.values.get("title") and item.values.get("title"))
            if same_document(earlier.imported, item.imported) or (
                titled and policy_key(earlier.title) == policy_key(item.title)
            ):
                pairs.append((earlier, item))
                break
    return pairs


def extract_bytes(name: str, data: bytes) -> ImportedPolicy:
    """A document held as bytes (an upload, a stored copy) read with the importer."""
    with tempfile.TemporaryDirectory() as folder:
        temp = Path(folder) / (PurePath(name).name or "document")  # refusals name it
        temp.write_bytes(data)
        imported = extract_policy(temp)
    imported.source = name
    return imported


def copy_of(imported: ImportedPolicy, data: bytes, held_name: str, held: bytes) -> bool:
    """Whether a document is a copy in another format of one already held (the same text in
    another file, e.g. its Word copy when a PDF comes); the very same file is not a copy."""
    if held == data:
        return False
    try:
        return same_document(extract_bytes(held_name, held), imported)
    except PolicyImportError:
        return False


def dsl_names(session: Session, school: SchoolConfig) -> list[str]:
    """The names of the school's DSL and deputies as the directory has them: a document naming
    another DSL is pointed out (``Intake.check_ownership``)."""
    emails = [*school.dsl, *school.deputy_dsl]
    if not emails:
        return []
    return list(
        session.scalars(
            select(Person.display_name).where(
                Person.school_id == school.id, Person.email.in_(emails)
            )
        )
    )
