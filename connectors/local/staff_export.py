"""Staff exports as schools have them: the column names of the common MIS and HR exports
(SIMS, Arbor, Bromcom style), the Entra and Google Admin user downloads, and the dates and
names they hold (Excel serial numbers, UK day-first dates, "Surname, Forename").

Pure format knowledge: a header row in, the bot's column for each of its columns out; a cell
in, a date or a name out, or a ValueError saying what was expected.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.core.days.dates import START, DateCellError, DateWindow, london_today, read_uk_date
from bot.core.files.spreadsheets import HEADER_SCAN, HeaderRefused
from bot.core.language.i18n import N_
from bot.core.language.words import has_phrase, header_words, plain_key

__all__ = ["Header", "find_header", "read_header", "split_name", "staff_date"]

# the bot's columns and the words of their headers, in order: data, in staff_columns.toml
_RULES: list[dict[str, Any]] = tomllib.loads(
    Path(__file__).with_name("staff_columns.toml").read_text(encoding="utf-8")
)["columns"]
# headers a person would recognise, named when a header has none of the column's
_EXAMPLES = {
    "email": "Email, Work Email, Email Address, Primary Email",
    "name": "Name, Full Name, Display Name, Displayname",
}
TWICE = N_(
    "%(file)s line %(line)s: two columns are named '%(column)s', so which one to read is not "
    "clear; rename or remove one, then try again"
)
_EVERY_ONE = {"other_titles"}  # columns whose every filled source is read, in order


def _column(header: str) -> tuple[str, int] | None:
    """The bot's column a header is (the first rule whose words it has) and how specific the
    phrase it matched is (0: the rule's first)."""
    words = header_words(header)
    for rule in _RULES:
        if has_phrase(words, rule.get("none", ())):
            continue
        for rank, phrase in enumerate(rule["any"]):
            if f" {phrase} " in words:
                return rule["field"], rank
    return None


@dataclass(frozen=True)
class Header:
    """A file's header row read: where each of the bot's columns comes from."""

    sources: dict[str, list[int]]  # the bot's column -> cell positions, most specific first
    names: list[str]  # the file's own header names, as written (trimmed)

    def column(self, name: str) -> str:
        """The file's own name for one of the bot's columns (for messages)."""
        found = self.sources.get(name)
        return self.names[found[0]] if found else name

    @property
    def unused(self) -> list[str]:
        """The file's columns the bot does not read (named to the school, never dropped
        silently: an "Additional Role" column is not read as a role)."""
        used = {p for positions in self.sources.values() for p in positions}
        return [n for i, n in enumerate(self.names) if n and i not in used]

    def row(self, cells: Sequence[str]) -> dict[str, str]:
        """One row's cells under the bot's column names (the first filled source wins; the
        further role columns are all read, joined by ``;``)."""
        row: dict[str, str] = {}
        for column, positions in self.sources.items():
            values = [cells[i].strip() for i in positions if i < len(cells)]
            filled = [v for v in values if v]
            row[column] = ";".join(filled) if column in _EVERY_ONE else next(iter(filled), "")
        return row


def read_header(cells: Sequence[str], where: str, line: int = 1) -> Header:
    """The bot's columns in a header row; ValueError naming what is missing and what was
    expected (an email column and a name, or a first and last name)."""
    names = [c.strip() for c in cells]
    ranked: dict[str, list[tuple[int, int]]] = {}
    for position, header in enumerate(names):
        found = _column(header) if header else None
        if found is not None:
            ranked.setdefault(found[0], []).append((found[1], position))
    sources = {column: [p for _r, p in sorted(found)] for column, found in ranked.items()}
    missing = []
    if "email" not in sources:
        missing.append(f"an email column (e.g. {_EXAMPLES['email']})")
    if not {"name", "given_name", "preferred_name"} & set(sources) and "family_name" not in sources:
        missing.append(f"a name column (e.g. {_EXAMPLES['name']}, or Forename and Surname)")
    if missing:
        raise ValueError(
            f"{where} line {line}: header must include 'email' and 'name': "
            f"{' and '.join(missing)} (found: {', '.join(n for n in names if n) or 'nothing'})"
        )
    return Header(sources, names)


def find_header(rows: Sequence[Sequence[str]], where: str) -> tuple[int, Header]:
    """The header row of an export as it comes: after title rows ("St Colman's Primary School
    — Staff List"), and under a merged row ("Staff Details" over "Legal Surname", "Work
    Email" …), whose cells fill the gaps of the row below (a heading merged down two rows).

    Returns (the row's index in ``rows``, its header); ValueError when none of the first
    ``HEADER_SCAN`` rows is one, naming what the first filled row held; HeaderRefused when
    two columns it reads have one name (which holds the person's is not guessed).
    """
    first: ValueError | None = None
    for index, cells in enumerate(rows[:HEADER_SCAN]):
        if not any(c.strip() for c in cells):
            continue
        tries = [list(cells)]
        if index and any(c.strip() for c in rows[index - 1]):
            above = list(rows[index - 1]) + [""] * max(0, len(cells) - len(rows[index - 1]))
            tries.append([c if c.strip() else above[i] for i, c in enumerate(cells)])
        for cells_tried in tries:
            try:
                header = read_header(cells_tried, where, index + 1)
            except ValueError as exc:
                first = first or exc
                continue
            for positions in header.sources.values():
                said = [plain_key(header.names[p]) for p in positions]
                twice = next(
                    (p for p, n in zip(positions, said, strict=True) if said.count(n) > 1), None
                )
                if twice is not None:
                    raise HeaderRefused(
                        TWICE, file=where, line=index + 1, column=header.names[twice]
                    )
            return index, header
    if first is None:
        raise ValueError(f"{where}: the file is empty")
    raise ValueError(f"{first} (no row of the first {HEADER_SCAN} has them)")


def split_name(full: str) -> tuple[str, str | None, str | None]:
    """(display name, given, family) of a name cell: "Ortiz, Ana" is surname first."""
    text = " ".join(full.split())
    if text.count(",") == 1:
        family, given = (part.strip() for part in text.split(","))
        if family and given:
            return f"{given} {family}", given, family
    return text, None, None


def staff_date(text: str, column: str, window: DateWindow = START) -> date | None:
    """A date cell: ISO, UK day-first (01/09/2026), "1 Sep 2026" or an Excel serial number
    (46266); never month-first. ValueError naming ``column`` otherwise (or a day outside
    ``window``: a start date's, or a contract's end, ``REVIEW``'s ten years ahead)."""
    text = text.strip()
    if not text:
        return None
    day = read_uk_date(text, column)
    problem = window.problem(day, london_today())
    if problem is not None:  # one window for every typed or imported date (bot.core.days.dates)
        raise DateCellError(N_("%(column)s: %(problem)s"), column=column, problem=problem)
    return day
