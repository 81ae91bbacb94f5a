"""Reading a school's single central record spreadsheet (``.xlsx`` or ``.csv``, any sheet) for
whether and when each check was done, and nothing else.

The header is looked for on each visible sheet (one named like "SCR" or "Single central
record" first; ``bot.core.files.spreadsheets`` reads it within bounds), after title rows, and its
columns are recognised by their words (``columns.toml``): a check's words with a date word is
when that check was done, with a renewal or expiry word when it runs out, with a number word
its certificate number. Several columns that could be one check ("DBS" beside "DBS Date") are
decided by their cells: the one holding dates is read, one holding certificate numbers is
vetting data. Vetting data is never read: it is skipped and named, and no message ever repeats
a check cell's value (a number typed in a date column is vetting data too). A column of another
nation's criminal record check (DBS in Scotland) is not read as this nation's. Rows the school
hid are read (a leaver hidden is still on its record) and counted. Every bad cell is named by
file, row, person and column; one bad row stops the import, so the stored record stays as it
was.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, get_args

from bot.core.days.dates import REVIEW, START, read_uk_date
from bot.core.files.spreadsheets import (
    HEADER_SCAN,
    SPREADSHEET_SENTENCES,
    SpreadsheetError,
    first_header,
    read_spreadsheet,
)
from bot.core.guards.forms import SaidError, Text
from bot.core.language.i18n import N_, Msg, shown
from bot.core.language.words import has_phrase, header_words
from bot.core.nations import DEFAULT_NATION, ScrCheck, pack_for
from bot.features.scr.rules import CheckValue, Entry

__all__ = ["SHEET_SENTENCES", "ScrRow", "ScrSheet", "ScrSheetError", "read_sheet"]

# what a sheet can be refused for, as the catalogue holds it, in the order a line is read back
# (``bot.core.config.said.say_sentence``): the line's frame first
ROW_WHO = N_("%(file)s row %(line)s (%(who)s): %(problem)s")
_ROW = N_("%(file)s row %(line)s: %(problem)s")
_NOT_A_DATE = N_(
    "%(column)s is not a date like 01/09/2026 (the value is not shown: it may be vetting data)"
)
_MISSING = N_("'%(column)s' is missing")
_DATE_PROBLEM = N_("%(column)s: %(problem)s")
_NO_HEADER = N_(
    "%(file)s: no header row in the first %(count)s rows: the single central record needs a "
    "name column (e.g. Surname and Forename) and at least two checks (e.g. Identity checked, "
    "Barred list check, Enhanced DBS check date)"
)
_NO_SUCH_COLUMN = N_("%(file)s: no column '%(column)s' in the sheet's header")
# a row matched to a person (``service._match``): never a guess
SAME_PERSON = N_("the same person as row %(other)s; keep one row a person")
NAMESAKES = N_(
    "%(count)s people in the school have this name and start date; add an email column to the "
    "spreadsheet"
)
SHEET_SENTENCES = (
    ROW_WHO,
    _ROW,
    _NOT_A_DATE,
    _MISSING,
    _NO_HEADER,
    _NO_SUCH_COLUMN,
    _DATE_PROBLEM,
    SAME_PERSON,
    NAMESAKES,
    *SPREADSHEET_SENTENCES,
)

_RULES = tomllib.loads(Path(__file__).with_name("columns.toml").read_text(encoding="utf-8"))
_YES = {
    "yes",
    "y",
    "done",
    "checked",
    "seen",
    "complete",
    "completed",
    "clear",
    "cleared",
    "satisfactory",
    "received",
    "ok",
    "true",
    "x",
    "✓",
    "✔",
    "confirmed",
    "in place",
}
_NO = {
    "no",
    "n",
    "pending",
    "outstanding",
    "awaiting",
    "not done",
    "false",
    "requested",
    "applied",
    "to do",
    "tbc",
    "not received",
}
_NA = {"n/a", "na", "not applicable", "not required", "-", "—", "none"}
_DATE_IN_TEXT = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2} \w{3,9} \d{4}")
_CERTIFICATE = re.compile(r"[A-Za-z]{0,4}[\s-]?\d[\d\s-]{5,}")  # 001234567890, E 1234 5678
_CHECK_FIELDS = frozenset(get_args(ScrCheck.model_fields["id"].annotation))


class ScrSheetError(ValueError):
    """The spreadsheet cannot be imported; ``problems`` names each (file, row, column), said
    where shown; ``str()`` is their English."""

    def __init__(self, problems: Sequence[Text]) -> None:
        super().__init__("\n".join(str(shown(p, "en")) for p in problems))
        self.problems = list(problems)


class _CellError(SaidError, ValueError):
    """What is wrong with one row's cell."""


def _said(exc: Exception) -> Text:
    """An error's sentence and values (said where shown); another's English as it is."""
    return exc.msg if isinstance(exc, SaidError) else str(exc)


@dataclass
class ScrRow:
    """One person's row of the SCR (whether and when only)."""

    line: int
    name: str
    email: str | None = None
    role: str = ""
    category: str = ""
    start_date: date | None = None
    left_on: date | None = None
    agency: bool = False
    lived_abroad: bool = False
    management: bool = False
    teaching: bool = False
    risk_assessment: CheckValue | None = None  # recorded (dated or not) where a check came late
    safeguarding_training_on: date | None = None
    safer_recruitment_on: date | None = None
    checks: dict[str, CheckValue] = field(default_factory=dict)

    @property
    def governor(self) -> bool:
        """A governor, trustee or member (the SCR's category or role says so)."""
        text = f"{self.category} {self.role}".casefold()
        return any(w in text for w in ("governor", "trustee", "member of the trust"))

    @property
    def kind(self) -> str:
        """Who the row is, as the record keeps them: "volunteer", "supply" (a supply or agency
        worker), "governor" or "staff" — the first three are on the record while they come in,
        never leavers for want of a contract."""
        text = f" {self.category} {self.role} ".casefold()
        if "volunteer" in text:
            return "volunteer"
        if self.agency or "supply" in text or "agency" in text:
            return "supply"
        return "governor" if self.governor else "staff"

    def entry(self, person_id: int | None) -> Entry:
        """The row as the record keeps it (``person_id``: whom it matched, None: nobody)."""
        shared = {f.name: getattr(self, f.name) for f in fields(Entry) if hasattr(self, f.name)}
        risk_assessed = bool(self.risk_assessment and self.risk_assessment.done)
        return Entry(**shared | {"person_id": person_id, "risk_assessed": risk_assessed})


@dataclass
class ScrSheet:
    """The spreadsheet read: its rows, where they were, and the columns read or not (by
    name)."""

    rows: list[ScrRow]
    header_line: int
    skipped: list[str]  # vetting data: never read
    not_read: list[str]  # columns the bot has no use for
    sheet: str | None = None  # the workbook's sheet read (None: a CSV)
    hidden_rows: int = 0  # rows the school hid, read
    checks_read: list[str] = field(default_factory=list)  # the checks a column says
    foreign: list[tuple[str, str]] = field(default_factory=list)  # (column, its nation's word)


@dataclass
class _Header:
    """A header row read: each field's column position and the columns not read."""

    names: list[str]
    where: dict[str, int] = field(default_factory=dict)  # field -> position
    expiry: dict[str, int] = field(default_factory=dict)  # check -> position of its expiry
    candidates: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)  # (pos, dated)
    skipped: list[str] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)
    foreign: list[tuple[str, str]] = field(default_factory=list)

    def column(self, name: str) -> str:
        return self.names[self.where[name]]


def _field(words: str) -> str | None:
    """The first field (columns.toml) whose words a header has."""
    for rule in _RULES["columns"]:
        if has_phrase(words, rule["any"]) and not has_phrase(words, rule.get("none", ())):
            return str(rule["field"])
    return None


def _record_word(words: str) -> str | None:
    """Which nation's criminal record check a header names (dbs, pvg, accessni), if any."""
    return next((w for w, said in _RULES["records"].items() if has_phrase(words, said)), None)


def _read_header(cells: Sequence[str], native: str | None, record_column: str | None) -> _Header:
    """Every column of a row classified by its words (no cell read yet)."""
    header = _Header([" ".join(c.split()) for c in cells])
    for position, name in enumerate(header.names):
        if not name:
            continue
        words = header_words(name)
        found = "criminal_record" if name == record_column else _field(words)
        if has_phrase(words, _RULES["vetting"]) and name != record_column:
            header.skipped.append(name)
        elif found is not None and found in _CHECK_FIELDS:
            _check_column(header, position, words, found, native, name == record_column)
        elif found is None or found in header.where:
            header.not_read.append(name)
        else:
            header.where[found] = position
    return header


def _check_column(
    header: _Header, position: int, words: str, check: str, native: str | None, said: bool
) -> None:
    """A column with a check's words: its certificate number (skipped), when it runs out, a
    candidate for when it was done, or another nation's criminal record check."""
    name = header.names[position]
    word = _record_word(words) if check == "criminal_record" and not said else None
    if has_phrase(words, _RULES["number"]):
        header.skipped.append(name)
    elif word is not None and native is not None and word != native:
        header.foreign.append((name, word))
    elif has_phrase(words, _RULES["expiry"]):
        if check in header.expiry:
            header.not_read.append(name)
        else:
            header.expiry[check] = position
    else:
        dated = said or has_phrase(words, _RULES["dated"])
        header.candidates.setdefault(check, []).append((position, dated))


def _is_header(header: _Header) -> bool:
    """A name column and at least two checks."""
    named = {"name", "family_name"} & set(header.where)
    checks = set(header.candidates) | ({"criminal_record"} if header.foreign else set())
    return bool(named) and len(checks) >= 2


def _decide(header: _Header, rows: Sequence[Sequence[str]]) -> None:
    """For each check, the candidate column whose cells are dates; a candidate (or another
    nation's check) holding certificate numbers is vetting data (skipped), any other not
    read."""

    def score(position: int) -> tuple[int, bool]:
        cells = [r[position].strip() for r in rows if position < len(r)]
        dates = sum(1 for c in cells if _DATE_IN_TEXT.search(c))
        numbers = sum(1 for c in cells if _CERTIFICATE.fullmatch(c)) - dates
        return dates, numbers > dates

    for name, word in list(header.foreign):
        if score(header.names.index(name))[1]:
            header.foreign.remove((name, word))
            header.skipped.append(name)
    for check, found in header.candidates.items():
        scored = [(score(p)[0], dated, -p, score(p)[1]) for p, dated in found]
        best = max(scored)
        for dates, dated, minus, numbers in scored:
            name = header.names[-minus]
            if numbers and not (dated and dates):
                header.skipped.append(name)
            elif (dates, dated, minus, numbers) == best:
                header.where[check] = -minus
            else:
                header.not_read.append(name)


def _flag(text: str) -> bool:
    value = text.strip().casefold()
    return bool(value) and value not in _NO and value not in _NA


class _Row:
    """One row's cells under the header, read field by field (errors name the column)."""

    def __init__(self, header: _Header, cells: Sequence[str], today: date) -> None:
        self.header, self.cells, self.today = header, cells, today

    def text(self, name: str, position: int | None = None) -> str:
        position = self.header.where.get(name) if position is None else position
        if position is None or position >= len(self.cells):
            return ""
        return " ".join(self.cells[position].split())

    def day(self, name: str, position: int | None = None, *, expiry: bool = False) -> date | None:
        text = self.text(name, position)
        if not text or text.casefold() in _NA or text.casefold() in _NO:
            return None
        where = self.header.where[name] if position is None else position
        column = f"'{self.header.names[where]}'"
        found = _DATE_IN_TEXT.search(text)
        try:
            day = read_uk_date(found.group() if found else text, column)
        except ValueError:
            if text.casefold() in _YES:
                return None
            raise _CellError(_NOT_A_DATE, column=column) from None
        problem = (REVIEW if expiry else START).problem(day, self.today)
        if problem is not None:
            raise _CellError(_DATE_PROBLEM, column=column, problem=problem)
        return day

    def check(self, check: str) -> CheckValue | None:
        """A check's cell: a date (done then), yes, no or n/a (None: nothing recorded), and
        when it runs out where the sheet says."""
        at = self.header.expiry.get(check)
        expires = self.day(check, at, expiry=True) if at is not None else None
        text = self.text(check)
        value = text.casefold()
        if not text or value in _NA:
            return CheckValue(False, None, expires) if expires else None
        if value in _NO:
            return CheckValue(False, None, expires)
        if value in _YES:
            return CheckValue(True, None, expires)
        return CheckValue(True, self.day(check), expires)


def _name(row: _Row) -> str:
    name = row.text("name")
    given, family = row.text("given_name"), row.text("family_name")
    if not name or (given and family):
        return f"{given} {family}".strip() or name
    if name.count(",") == 1:
        family_part, given_part = (p.strip() for p in name.split(","))
        return f"{given_part} {family_part}".strip()
    return name


def _read_row(header: _Header, cells: Sequence[str], line: int, today: date) -> ScrRow:
    row = _Row(header, cells, today)
    name = _name(row)
    if not name:
        raise _CellError(
            _MISSING, column=header.column("name" if "name" in header.where else "family_name")
        )
    role, category = row.text("role"), row.text("category")
    kind = f"{category} {role}".casefold()
    scr_row = ScrRow(
        line=line,
        name=name,
        email=row.text("email").lower() or None,
        role=role,
        category=category,
        start_date=row.day("start_date") if "start_date" in header.where else None,
        left_on=row.day("left_on") if "left_on" in header.where else None,
        agency="agency" in kind or bool(row.text("agency_name")),
        lived_abroad=_flag(row.text("lived_abroad")),
        management=_flag(row.text("management"))
        or any(w in kind for w in ("headteacher", "head teacher", "principal", "business manager")),
        teaching=_flag(row.text("teaching")) or ("teacher" in kind and "assistant" not in kind),
        risk_assessment=row.check("risk_assessed_on")
        if "risk_assessed_on" in header.where
        else None,
        safeguarding_training_on=_when(row, "safeguarding_training_on"),
        safer_recruitment_on=_when(row, "safer_recruitment_on"),
    )
    for check in sorted(_CHECK_FIELDS):
        if check in header.where or check in header.expiry:
            value = row.check(check)
            if value is not None:
                scr_row.checks[check] = value
    return scr_row


def _when(row: _Row, name: str) -> date | None:
    """A dated column of the person's part (a "yes" without a date counts as not dated)."""
    return row.day(name) if name in row.header.where else None


def _native(checks: Sequence[ScrCheck]) -> str | None:
    """This nation's criminal record check, as a header says it (dbs, pvg, accessni)."""
    found = [c.name for c in checks if c.id == "criminal_record"]
    return _record_word(header_words(found[0])) if found else None


def read_sheet(
    path: Path,
    today: date,
    *,
    checks: Sequence[ScrCheck] | None = None,
    record_column: str | None = None,
) -> ScrSheet:
    """Read an SCR spreadsheet (``checks``: the school's nation's, England's by default;
    ``record_column``: a column the school says is its nation's criminal record check);
    ScrSheetError naming every problem (nothing is kept then)."""
    native = _native(pack_for(DEFAULT_NATION).scr_checks if checks is None else checks)

    def find(rows: list[list[str]]) -> tuple[int, _Header]:
        for index, cells in enumerate(rows):
            header = _read_header(cells, native, record_column)
            if _is_header(header):
                return index, header
        raise _CellError(_NO_HEADER, file=path.name, count=HEADER_SCAN)

    try:
        book = read_spreadsheet(path)
        sheet, header_line, header = first_header(book, find)
    except (SpreadsheetError, ValueError) as exc:
        raise ScrSheetError([_said(exc)]) from None
    if record_column and record_column not in header.names:
        raise ScrSheetError([Msg(_NO_SUCH_COLUMN, file=path.name, column=record_column)])
    numbered = [(n, c) for n, c in sheet.rows() if n > header_line and any(x.strip() for x in c)]
    _decide(header, [cells for _n, cells in numbered])
    rows: list[ScrRow] = []
    problems: list[Text] = []
    for line, cells in numbered:
        try:
            rows.append(_read_row(header, cells, line, today))
        except ValueError as exc:
            problems.append(_row_problem(path.name, header, cells, line, today, exc))
    if problems:
        raise ScrSheetError(problems)
    return ScrSheet(
        rows,
        header_line,
        header.skipped,
        header.not_read,
        sheet=sheet.name,
        hidden_rows=sum(1 for n, _c in numbered if n in sheet.hidden_rows),
        checks_read=sorted(c for c in _CHECK_FIELDS if c in header.where),
        foreign=header.foreign,
    )


def _row_problem(
    file: str, header: _Header, cells: Sequence[str], line: int, today: date, exc: Any
) -> Msg:
    row = _Row(header, cells, today)
    who = row.text("family_name") or row.text("name")
    return Msg(ROW_WHO if who else _ROW, file=file, line=line, who=who, problem=_said(exc))
