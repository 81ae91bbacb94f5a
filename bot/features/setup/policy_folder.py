"""A policy folder read in one pass with the policy importer: what each document says, what
was worked out, and the questions only a person can answer (asked once, at the end)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.features.policies.api import (
    SUPPORTED_SUFFIXES,
    FuzzyDate,
    ImportedPolicy,
    PolicyImportError,
    document_version_label,
    extract_policy,
    normalise_title,
    not_ours,
    policy_key,
    same_document,
)
from bot.features.setup.pack import is_statutory_reading
from bot.features.setup.rules import stored_day, typed_date

__all__ = ["QUESTIONS", "FolderPolicy", "check_ownership", "folder_twins", "read_policy_folder"]

# what the register needs of every policy, and how the question is put to a person
QUESTIONS = {
    "title": "Title of the policy",
    "next_review": "Next review date (e.g. 2027-09-30, or September 2027)",
    "approving_body": "Who approves it (the whole governing body, or a committee's name)",
}


@dataclass
class FolderPolicy:
    """One document of the folder: its facts, how each was found, and what needs an answer."""

    path: Path
    imported: ImportedPolicy | None = None
    error: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # title, next_review, approving_body
    found: list[str] = field(default_factory=list)  # "title: Online Safety Policy (line 1)"
    derived: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # another school or DSL named

    @property
    def title_guess(self) -> str | None:
        """A title the document may have (its first heading), offered when the title is asked."""
        guess = self.imported.title_guess if self.imported is not None else None
        return str(guess.value) if guess is not None else None

    @property
    def questions(self) -> list[str]:
        """The fields still without a value (asked once, at the end)."""
        if self.error or self.is_guidance:
            return []
        return [name for name in QUESTIONS if not self.values.get(name)]

    @property
    def is_guidance(self) -> bool:
        """National guidance staff read (KCSIE and its equivalents): a reading's edition, never
        a policy, so nothing a policy needs is asked of it."""
        return is_statutory_reading(str(self.values.get("title") or self.title_guess or ""))

    @property
    def title(self) -> str:
        """The policy's title (or the file's name until one is given)."""
        guess = self.title_guess if self.is_guidance else None
        return str(self.values.get("title") or guess or self.path.name)

    def answer(self, name: str, text: str) -> str | None:
        """Take a person's answer to one question; a problem (a date not read) or None."""
        text = text.strip()
        if not text:
            return "no answer given"
        if name == "next_review":
            when = typed_date(text)
            if when is None:
                return f"{text!r} is not a date I can read; write 2027-09-30 or September 2027"
            self.values[name] = when
        else:
            self.values[name] = text
        self.found.append(f"{name.replace('_', ' ')}: {text} (your answer)")
        return None

    def entry(self, today: date) -> dict[str, Any]:
        """The policy's school.yaml entry (call once every question is answered)."""
        imported = self.imported
        assert imported is not None and not self.questions
        notes = self.notes
        title = str(self.values["title"])
        ratified = stored_day("ratified", _fuzzy(imported.ratified), notes)
        reviewed = stored_day("last reviewed", _fuzzy(imported.last_reviewed), notes)
        written = stored_day("written", _fuzzy(imported.written), notes)
        stated = str(imported.version.value) if imported.version else None
        month_only = frozenset(
            name for name in ("ratified", "last_reviewed")
            if (f := getattr(imported, name)) is not None and f.value.day is None
        )
        label = document_version_label(set(), stated, ratified=ratified, last_reviewed=reviewed,
                                       today=today, month_only=month_only)
        if stated is None:
            notes.append(f"version: not stated in the document; staff will see “{label}” "
                         "(change it in school.yaml or on the settings pages)")
        entry: dict[str, Any] = {
            "id": policy_key(title),
            "title": title,
            "version": label,
            "document": f"policies/{self.path.name}",
            "approving_body": str(self.values["approving_body"]),
        }
        if cycle := imported.review_cycle_months:
            entry["review_cycle_months"] = int(cycle.value)
        published = ratified or reviewed or written
        for key, value in (("published", published), ("last_reviewed", reviewed),
                           ("ratified_on", ratified)):
            if value is not None:
                entry[key] = value
        entry["next_review"] = stored_day("next review", _fuzzy(self.values["next_review"]),
                                         notes)
        own = normalise_title(title)
        linked = [str(i.value) for i in imported.linked_policies]
        linked = [t for t in dict.fromkeys(linked) if normalise_title(t) != own]
        if linked:
            entry["linked_policies"] = linked
        return entry


def _fuzzy(value: Any) -> FuzzyDate | None:
    """The date of a document's value (found, or answered), if it is one."""
    when = getattr(value, "value", value)
    return when if isinstance(when, FuzzyDate) else None


def _read(path: Path) -> FolderPolicy:
    """One document through the importer."""
    item = FolderPolicy(path)
    try:
        imported = extract_policy(path)
    except (PolicyImportError, OSError) as exc:
        item.error = str(exc)
        return item
    item.imported = imported
    for name in QUESTIONS:
        found = getattr(imported, name)
        if found is None:
            continue
        item.values[name] = found.value
        shown = f"{name.replace('_', ' ')}: {found.value}"
        if found.how == "text":
            # a PDF's text has no lines to point at: its title is found all the same
            item.found.append(f"{shown} (line {found.line})" if found.line else shown)
        else:
            item.derived.append(f"{shown} ({found.note or 'worked out'})")
    item.notes.extend(imported.warnings)
    if imported.title is None and imported.title_guess is not None:
        item.notes.append(f"title: not clear from the document — is it "
                          f"“{imported.title_guess.value}”? ({imported.title_guess.note})")
    return item


def folder_twins(items: list[FolderPolicy]) -> list[tuple[FolderPolicy, FolderPolicy]]:
    """Pairs of documents that are one policy: the same text (a Word and a PDF copy), or the
    same title; whatever questions either raised."""
    pairs: list[tuple[FolderPolicy, FolderPolicy]] = []
    read = [item for item in items if item.imported is not None]
    for index, item in enumerate(read):
        assert item.imported is not None
        for earlier in read[:index]:
            assert earlier.imported is not None
            titled = bool(earlier.values.get("title") and item.values.get("title"))
            if same_document(earlier.imported, item.imported) or (
                titled and policy_key(earlier.title) == policy_key(item.title)
            ):
                pairs.append((earlier, item))
                break
    return pairs


def check_ownership(items: list[FolderPolicy], school_name: str, dsl_names: list[str]) -> None:
    """Point out each document naming another school or DSL than the school's own."""
    for item in items:
        if item.imported is not None:
            item.checks = not_ours(item.imported, school_name, dsl_names)


def read_policy_folder(folder: Path) -> list[FolderPolicy]:
    """Every policy document in ``folder`` (not its sub-folders), in name order."""
    paths = sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    )
    return [_read(p) for p in paths]
