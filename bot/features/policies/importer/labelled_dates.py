"""The labelled dates of a policy: next review, last reviewed, ratified and written, each
after its label, on the line after a lone label, under its label in a table's header row, or
(written) alone under the title."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.guards.forms import Text
from bot.core.language.i18n import Msg
from bot.features.policies.importer import sentences as said
from bot.features.policies.importer.dates import TERM_RE, find_dates
from bot.features.policies.importer.lines import (
    Line,
    from_text,
    header_lines,
    keep_first,
    make_snippet,
)
from bot.features.policies.importer.values import Found, FuzzyDate

__all__ = ["LABEL_TO_DATE_MAX_GAP", "LabelledDates", "find_labelled_dates"]

LABEL_TO_DATE_MAX_GAP = 60  # a date further than this after its label belongs to something else

# Labels that introduce each date. Alternatives are tried left to right, and the leftmost
# match in a line wins, so "Date of next review" is next_review, not a generic "date".
_NEXT_REVIEW_LABEL = r"""
    (?:date\s+of\s+)?next\s+review(?:\s+date)?(?:\s+due)?
  | date\s+for\s+review
  | review\s+(?:due(?:\s+(?:date|by|on|in))?|date|by)
  | due\s+for\s+review(?:\s+(?:in|on|by))?
  | (?:will|is\s+due\s+to|due\s+to|to)\s+be\s+(?:next\s+)?reviewed(?:\s+(?:again|next))?
    (?:\s+(?:in|on|by|before|during))?
  | renewal\s+date"""
_LAST_REVIEWED_LABEL = r"""
    (?:date\s+of\s+(?:the\s+)?)?(?:latest|most\s+recent)\s+review(?:ed)?(?:\s+date)?
    (?:\s+(?:on|in))?
  | (?:date\s+)?last\s+reviewed(?:\s+(?:on|in))?
  | (?:date\s+of\s+)?last\s+review(?:\s+date)?
  | date\s+reviewed
  | reviewed(?:\s+(?:on|in))?"""
_RATIFIED_LABEL = r"""
    date\s+(?:agreed\s+and\s+)?(?:ratified|approved|adopted|agreed)
  | (?:ratification|approval|adoption)\s+date
  | date\s+of\s+(?:ratification|approval|adoption)
  | (?:ratified|approved|adopted|agreed)(?:\s+(?:on|in))?"""
_WRITTEN_LABEL = r"""
    date\s+(?:written|drafted|prepared|created|issued|updated|of\s+issue|of\s+publication)
    (?:\s*/\s*(?:updated|revised|reviewed|drafted))?
  | date\s+of\s+(?:this\s+)?(?:policy|document)
  | (?:policy|document|issue|publication)\s+date
  | (?:last\s+)?(?:updated|revised)(?:\s+(?:on|in))?
  | (?:written|drafted|prepared|created|issued)(?:\s+(?:on|in))?"""
_DATE_LABEL_RE = re.compile(
    rf"""\b(?:(?P<next_review>{_NEXT_REVIEW_LABEL})|(?P<last_reviewed>{_LAST_REVIEWED_LABEL})
    |(?P<ratified>{_RATIFIED_LABEL})|(?P<written>{_WRITTEN_LABEL}))\b""",
    re.IGNORECASE | re.VERBOSE,
)
_ONLY_SEPARATORS_RE = re.compile(r"^[\s:|\-–—.,]*$")
# What may stand between a label and a date on the next line: "Adopted by governors".
_LABEL_TAIL_RE = re.compile(
    r"^\s*(?:by\s+(?:the\s+)?[\w'’&-]+(?:\s+[\w'’&-]+){0,5})?[\s:|\-–—.,]*$", re.IGNORECASE
)
_MARKDOWN_RULE_RE = re.compile(r"^[\s:|\-]*$")  # "|---|---|" under a Markdown table's header


@dataclass
class LabelledDates:
    """The labelled dates found, the lines they came from and any terms given instead."""

    found: dict[str, Found[FuzzyDate]] = field(default_factory=dict)
    used_lines: set[int] = field(default_factory=set)
    terms: dict[str, str] = field(default_factory=dict)

    def keep(self, name: str, found: Found[FuzzyDate], warnings: list[Text]) -> None:
        """Keep the first date found for a field (a different later one is a warning)."""
        self.found[name] = keep_first(self.found.get(name), found, said.FIELDS[name], warnings)


def find_labelled_dates(lines: list[Line], warnings: list[Text]) -> LabelledDates:
    """Each labelled date field (next review, last reviewed, ratified, written)."""
    dates = LabelledDates()
    for index, line in enumerate(lines):
        labels = list(_DATE_LABEL_RE.finditer(line.text))
        for position, label in enumerate(labels):
            name = label.lastgroup or ""
            end = labels[position + 1].start() if position + 1 < len(labels) else len(line.text)
            segment = line.text[label.end() : end]
            result = _date_after_label(lines, index, label, segment, name, warnings, dates)
            if result is not None:
                dates.keep(name, result, warnings)
    _add_column_dates(lines, dates, warnings)
    _add_header_date(lines, dates)
    return dates


def _cells(text: str) -> list[str]:
    return [cell.strip() for cell in text.split("|")]


def _add_column_dates(lines: list[Line], dates: LabelledDates, warnings: list[Text]) -> None:
    """A table whose header row holds the labels ("Written | Approved | Next review") and
    whose next row holds the dates, column by column."""
    for index, line in enumerate(lines):
        header = _cells(line.text)
        if len(header) < 2 or find_dates(line.text):
            continue
        labels = [_DATE_LABEL_RE.match(cell) for cell in header]
        if not any(labels):
            continue
        rows = (r for r in lines[index + 1 : index + 4] if not _MARKDOWN_RULE_RE.match(r.text))
        row = next(rows, None)  # the row under the header (a Markdown rule between skipped)
        if row is None or len(values := _cells(row.text)) != len(header):
            continue
        for column, (label, value) in enumerate(zip(labels, values, strict=True)):
            matches = find_dates(value)
            if label is None or not matches or matches[0].date is None:
                continue
            snippet = make_snippet(f"{header[column]}: {value}")
            note = Msg(said.IN_A_TABLE, header=header[column], line=line.number)
            found = Found(matches[0].date, "text", row.number, snippet, note)
            dates.used_lines.add(row.number)
            dates.keep(label.lastgroup or "", found, warnings)


def _date_after_label(
    lines: list[Line],
    index: int,
    label: re.Match[str],
    segment: str,
    name: str,
    warnings: list[Text],
    dates: LabelledDates,
) -> Found[FuzzyDate] | None:
    line = lines[index]
    for match in find_dates(segment):
        gap = segment[: match.start]
        if match.start > LABEL_TO_DATE_MAX_GAP or re.search(r"[.;!?]\s", gap):
            return None
        if match.date is None:
            warnings.append(
                Msg(
                    said.NOT_USABLE,
                    line=line.number,
                    text=match.text,
                    label=label.group(0),
                    problem=match.problem,
                )
            )
            return None
        dates.used_lines.add(line.number)
        return from_text(match.date, line, label.start())
    if (term := TERM_RE.search(segment)) and term.start() <= LABEL_TO_DATE_MAX_GAP:
        dates.terms.setdefault(name, term.group(0))
        warnings.append(
            Msg(
                said.GIVEN_AS_TERM,
                line=line.number,
                problem=Msg(said.FIELDS[name]),
                term=term.group(0),
            )
        )
        return None
    if _LABEL_TAIL_RE.match(segment):
        return _date_on_next_line(lines, index, label)
    return None


def _date_on_next_line(
    lines: list[Line], index: int, label: re.Match[str]
) -> Found[FuzzyDate] | None:
    """A label alone on its line ("Date of next review:") with the date on the next line."""
    line = next((row for row in lines[index + 1 : index + 4] if row.text), None)
    if line is None or (value := _whole_line_date(line.text)) is None:
        return None
    snippet = make_snippet(f"{lines[index].text} / {line.text}", label.start())
    note = Msg(said.NEXT_LINE, label=label.group(0), line=lines[index].number)
    return Found(value, "text", line.number, snippet, note)


def _whole_line_date(text: str) -> FuzzyDate | None:
    matches = find_dates(text)
    if len(matches) != 1 or matches[0].date is None:
        return None
    rest = text[: matches[0].start] + text[matches[0].end :]
    return matches[0].date if _ONLY_SEPARATORS_RE.match(rest) else None


def _add_header_date(lines: list[Line], dates: LabelledDates) -> None:
    """An unlabelled date alone on a line under the title is the document's date."""
    if "written" in dates.found:
        return
    for line in header_lines(lines):
        if line.number not in dates.used_lines and (value := _whole_line_date(line.text)):
            dates.found["written"] = from_text(value, line, note=Msg(said.UNLABELLED))
            return
