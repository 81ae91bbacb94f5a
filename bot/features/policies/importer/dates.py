"""Finding dates in text (UK day-first; "September 2025" stays month precision; a school
term is not a date) and deriving the next review date from the review cycle."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.guards.forms import Text
from bot.core.language.i18n import Joined, Msg
from bot.features.policies.importer import sentences as said
from bot.features.policies.importer.values import Found, FuzzyDate, date_problem

__all__ = ["TERM_RE", "DateMatch", "derive_next_review", "find_dates"]


# Month names and the abbreviations schools use ("Sept", "Dec."); the lookahead stops "Mar"
# matching inside "Marking".
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])"
)
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ORDINAL = r"\s*(?:st|nd|rd|th)?"  # "3rd", and "3 rd" as Word auto-format leaves it
# Date shapes in priority order (at the same start position the earlier one wins).
_DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # 2024-09-25: ISO, unambiguous.
    re.compile(r"(?<![\d./-])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)"),
    # 25.09.2024, 25/09/24: UK day-first; same separator twice; not part of a version number.
    re.compile(
        r"(?<![\d./-])(?P<day>\d{1,2})(?P<sep>[./-])(?P<month>\d{1,2})(?P=sep)"
        r"(?P<year>\d{4}|\d{2})(?!\d|[./-]\d)"
    ),
    # 3rd December 2025, 3 rd of Dec, 2025, 25-Sep-2024.
    re.compile(
        rf"\b(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?[\s,-]+{_MONTH}[\s,-]+(?P<year>\d{{4}})(?!\d)",
        re.IGNORECASE,
    ),
    # December 3rd, 2025: month first but the names make it unambiguous.
    re.compile(
        rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})(?!\d)", re.IGNORECASE
    ),
    # September 2025, Sept, 2025: month precision.
    re.compile(rf"\b{_MONTH}[\s,-]+(?P<year>\d{{4}})(?!\d)", re.IGNORECASE),
    # 09/2025: month precision, numeric.
    re.compile(r"(?<![\d./-])(?P<month>\d{1,2})/(?P<year>\d{4})(?![\d/])"),
)
# "Autumn term 2025", "Summer 2 2026": a school term, deliberately not a date (module docstring).
TERM_RE = re.compile(
    r"\b(?:autumn|spring|summer)(?:\s+term)?(?:\s*[12])?[\s,]+(?:19|20)\d{2}(?:\s*[/-]\s*\d{2,4})?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMatch:
    """One date-shaped piece of text; ``date`` is None (and ``problem`` set) if impossible."""

    text: str
    start: int
    end: int
    date: FuzzyDate | None
    problem: str | None = None


def find_dates(text: str) -> list[DateMatch]:
    """All date-shaped, non-overlapping pieces of ``text``, in order (UK day-first)."""
    candidates: list[tuple[int, int, re.Match[str]]] = []
    for priority, pattern in enumerate(_DATE_PATTERNS):
        candidates.extend((m.start(), priority, m) for m in pattern.finditer(text))
    candidates.sort(key=lambda item: (item[0], item[1]))
    matches: list[DateMatch] = []
    covered_to = 0
    for start, _, match in candidates:
        if start < covered_to:
            continue  # overlaps a better match, even an impossible one: never salvage a part
        covered_to = match.end()
        matches.append(_date_match(match))
    return matches


def _date_match(match: re.Match[str]) -> DateMatch:
    groups = match.groupdict()
    month_text = groups["month"]
    month = int(month_text) if month_text.isdigit() else _MONTH_NUMBERS[month_text[:3].lower()]
    year = int(groups["year"]) + (2000 if len(groups["year"]) == 2 else 0)  # 25/09/24: 2024
    day = int(groups["day"]) if groups.get("day") else None
    problem = date_problem(year, month, day)
    if problem and groups.get("sep") and month > 12 and day is not None and day <= 12:
        problem = "looks month-first (US style); UK dates are day-first"
    value = None if problem else FuzzyDate(year, month, day)
    return DateMatch(match.group(0), match.start(), match.end(), value, problem)


def derive_next_review(
    cycle: Found[int],
    *,
    ratified: Found[FuzzyDate] | None = None,
    last_reviewed: Found[FuzzyDate] | None = None,
    written: Found[FuzzyDate] | None = None,
) -> Found[FuzzyDate] | None:
    """Next review = latest of (ratified, last reviewed, written) + cycle; None if no base."""
    given = {"ratified": ratified, "last reviewed": last_reviewed, "written": written}
    bases = [(label, found) for label, found in given.items() if found is not None]
    if not bases:
        return None
    label, base = max(bases, key=lambda item: item[1].value.sort_key)  # ties: earlier wins
    value = base.value.add_months(cycle.value)
    values = {"day": base.value.isoformat(), "line": base.line, "months": cycle.value}
    parts: list[Text] = [Msg(said.DERIVED_FROM[label, base.line is not None], **values)]
    if cycle.how == "default":
        parts += [" (", Msg(said.CYCLE_NOT_STATED), ")"]
    if base.value.day is not None and value.day != base.value.day:
        parts += [" (", Msg(said.DAY_MOVED), ")"]
    return Found(value, "derived", note=Joined(parts) if len(parts) > 1 else parts[0])
