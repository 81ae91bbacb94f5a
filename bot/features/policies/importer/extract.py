"""Putting it together: every fact of one policy document, what is missing, and warnings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from bot.core.guards.forms import Text
from bot.core.language.i18n import Msg
from bot.features.policies.importer import sentences as said
from bot.features.policies.importer.approval import find_approving_body, find_review_cycle
from bot.features.policies.importer.channels import find_channels
from bot.features.policies.importer.checks import find_schools, text_words
from bot.features.policies.importer.dates import derive_next_review
from bot.features.policies.importer.header import find_school, find_title, find_version
from bot.features.policies.importer.labelled_dates import LabelledDates, find_labelled_dates
from bot.features.policies.importer.lines import prepare_lines
from bot.features.policies.importer.linked import find_linked_policies
from bot.features.policies.importer.people import find_people
from bot.features.policies.importer.reading import read_document
from bot.features.policies.importer.values import Found, FuzzyDate, ImportedPolicy

T = TypeVar("T")

__all__ = ["extract_from_lines", "extract_policy", "typed_policy"]


def extract_policy(path: Path) -> ImportedPolicy:
    """Read one policy document and extract its facts; raises ``PolicyImportError``."""
    lines, title = read_document(path)
    return extract_from_lines(lines, path.name, properties_title=title)


def extract_from_lines(
    lines: Sequence[str], source_name: str, *, properties_title: str | None = None
) -> ImportedPolicy:
    """Extract a policy's facts from lines of text (line numbers are 1-based indexes);
    ``properties_title`` is the title a file keeps in its properties, used when the text
    names none."""
    prepared = prepare_lines(lines)
    warnings: list[Text] = []
    policy = ImportedPolicy(source=source_name, warnings=warnings)
    title = find_title(prepared, properties_title)
    policy.title, policy.title_guess = title.sure, title.guess
    policy.school = find_school(prepared)
    policy.other_schools = find_schools(prepared)
    policy.text_words = text_words(prepared)
    policy.version = find_version(prepared)
    dates = find_labelled_dates(prepared, warnings)
    policy.written = dates.found.get("written")
    policy.last_reviewed = dates.found.get("last_reviewed")
    policy.ratified = dates.found.get("ratified")
    policy.approving_body = find_approving_body(prepared, warnings)
    policy.review_cycle_months = find_review_cycle(prepared, warnings)
    policy.next_review = _next_review(policy, dates.found.get("next_review"), warnings)
    policy.dsl, policy.deputy_dsls, policy.named_governors = find_people(prepared)
    policy.official_channels = find_channels(prepared, warnings)
    own = policy.title.value if policy.title else None
    policy.linked_policies = find_linked_policies(prepared, own)
    policy.missing = _missing(policy, dates)
    return policy


def typed_policy(
    source_name: str,
    *,
    title: str,
    version: str | None = None,
    adopted: FuzzyDate | None = None,
    next_review: FuzzyDate | None = None,
    approving_body: str | None = None,
    review_cycle_months: int = 12,
) -> ImportedPolicy:
    """A policy whose document has no text to read (a scan), from the details a person typed;
    every value says it was typed, and the next review is worked out from the adoption date
    only when it was not typed (and says so)."""

    def typed(value: T) -> Found[T]:
        return Found(value, "typed", note=Msg(said.TYPED))

    policy = ImportedPolicy(source=source_name)
    policy.title = typed(" ".join(title.split()))
    policy.version = typed(version.strip()) if version and version.strip() else None
    policy.ratified = typed(adopted) if adopted is not None else None
    policy.approving_body = typed(approving_body.strip()) if approving_body else None
    policy.review_cycle_months = typed(review_cycle_months)
    if next_review is not None:
        policy.next_review = typed(next_review)
    elif policy.ratified is not None:
        policy.next_review = derive_next_review(
            policy.review_cycle_months, ratified=policy.ratified
        )
    policy.missing = _missing(policy, LabelledDates())
    return policy


def _next_review(
    policy: ImportedPolicy, stated: Found[FuzzyDate] | None, warnings: list[Text]
) -> Found[FuzzyDate] | None:
    cycle = policy.review_cycle_months
    assert cycle is not None  # always set, possibly as a default
    derived = derive_next_review(
        cycle, ratified=policy.ratified, last_reviewed=policy.last_reviewed, written=policy.written
    )
    if stated is None:
        if derived is not None and cycle.how == "default":
            warnings.append(Msg(said.DERIVED_UNSTATED, day=derived.value, problem=derived.note))
        return derived
    agrees = derived is None or derived.value.sort_key[:2] == stated.value.sort_key[:2]
    if derived is not None and cycle.how == "text" and not agrees:
        warnings.append(
            said.NOT_MATCHING
            % {
                "day": stated.value,
                "line": stated.line,
                "problem": derived.note,
                "derived": derived.value,
            }
        )
    return stated


def _missing(policy: ImportedPolicy, dates: LabelledDates) -> list[Text]:
    missing: list[Text] = []
    if policy.title is None and policy.title_guess is not None:
        guess = policy.title_guess
        missing.append(
            Msg(said.MISSING_TITLE_GUESS, guess=guess.value, problem=guess.note, line=guess.line)
        )
    elif policy.title is None:
        missing.append(Msg(said.MISSING_TITLE))
    if policy.next_review is None:
        term = dates.terms.get("next_review")
        missing.append(
            Msg(said.MISSING_NEXT_REVIEW_TERM, term=term) if term else Msg(said.MISSING_NEXT_REVIEW)
        )
    if policy.approving_body is None:
        missing.append(Msg(said.MISSING_BODY))
    return missing
