"""Reading a school's single central record spreadsheet (``.xlsx`` or ``.csv``) for whether
and when each check was done, and nothing else.

The header row is found among the first rows (after title rows), as for staff exports. A
column holding vetting data — a certificate or DBS number, a document, an identity detail — is
never read: it is skipped and named (``skipped``), and no message ever repeats a check cell's
value (a number typed in a date column is vetting data too). Every bad cell is named by file,
row, person and column; one bad row stops the import, so the stored record stays as it was.
"""

from __future__ import annotations

import csv
import re
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bot.core.dates import REVIEW, START, read_uk_date
from bot.core.forms import SaidError
from bot.core.i18n import N_, Msg
from bot.features.scr.rules import CheckValue

__all__ = ["CHECK_IDS", "ScrRow", "ScrSheet", "ScrSheetError", "read_sheet"]

# what a sheet can be refused for: each a sentence with its values (said where shown)
ROW_WHO = N_("%(file)s row %(line)s (%(who)s): %(problem)s")
_ROW = N_("%(file)s row %(line)s: %(problem)s")
_NOT_A_DATE = N_(
    "%(column)s is not a date like 01/09/2026 (the value is not shown: it may be vetting data)"
)
_MISSING = N_("'%(column)s' is missing")
_NOT_FOUND = N_("%(file)s: file not found")
_OLD_EXCEL = N_(
    "%(file)s: an old Excel file (.xls) cannot be read; open it in Excel and save it as an "
    "Excel workbook (.xlsx)"
)
_NOT_CSV = N_("%(file)s: an Excel workbook, not CSV text; give it as it is, named .xlsx")
_NOT_UTF8 = N_(
    "%(file)s: not UTF-8 text (%(reason)s); give the Excel workbook (.xlsx), or save the CSV as "
    "'CSV UTF-8'"
)
_UNREADABLE = N_("%(file)s: not an Excel workbook that can be read (%(problem)s)")
_DATE_PROBLEM = N_("%(column)s: %(problem)s")
_NO_HEADER = N_(
    "%(file)s: no header row in the first %(count)s rows: the single central record needs a "
    "name column (e.g. Surname and Forename) and at least two checks (e.g. Identity checked, "
    "Barred list check, Enhanced DBS check date)"
)
# a row matched to a person (``service._match``): never a guess
SAME_PERSON = N_("the same person as row %(other)s; keep one row a person")
NAMESAKES = N_(
    "%(count)s people in the school have this name and start date; add an email column to the "
    "spreadsheet"
)

_COLUMNS = tomllib.loads(Path(__file__).with_name("columns.toml").read_text(encoding="utf-8"))
CHECK_IDS: tuple[str, ...] = tuple(_COLUMNS["checks"])
_BRACKETS = re.compile(r"\[[^\]]*\]|\([^)]*\)")
# headers whose cells are vetting data: never read, whatever else the header says
VETTING = re.compile(
    r"\b(numbers?|no|nos|num|ref|refs|reference|references|serial|passport|licence|license|"
    r"national insurance|nino|ni|birth|dob|address|postcode|document|documents|evidence|"
    r"copy|copies|scan|image|photo|nationality|update service|certificate no|cert)\b"
)
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
HEADER_SCAN = 20


class ScrSheetError(ValueError):
    """The spreadsheet cannot be imported; ``problems`` names each (file, row, column), said
    where shown; ``str()`` is their English."""

    def __init__(self, problems: Sequence[Msg]) -> None:
        super().__init__("\n".join(p.said("en") for p in problems))
        self.problems = list(problems)


class _CellError(SaidError, ValueError):
    """What is wrong with one row's cell."""


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


@dataclass
class ScrSheet:
    """The spreadsheet read: its rows, and the columns skipped or not read (by name)."""

    rows: list[ScrRow]
    header_line: int
    skipped: list[str]  # vetting data: never read
    not_read: list[str]  # columns the bot has no use for


def _key(header: str) -> str:
    text = _BRACKETS.sub(" ", header.replace("\ufeff", "")).replace("_", " ")
    return " ".join(text.replace("’", "'").split()).casefold()


_LOOKUP: dict[str, tuple[str, str]] = {
    _key(h): (part, name)
    for part in ("person", "checks", "expiry")
    for name, headers in _COLUMNS[part].items()
    for h in headers
}


@dataclass(frozen=True)
class _Header:
    where: dict[tuple[str, str], int]  # (part, name) -> cell position
    names: list[str]
    skipped: list[str]
    not_read: list[str]


def _read_header(cells: Sequence[str]) -> _Header | None:
    """The SCR's columns in a row, or None when the row is not its header (a name column and
    at least two checks)."""
    names = [c.strip() for c in cells]
    where: dict[tuple[str, str], int] = {}
    skipped: list[str] = []
    not_read: list[str] = []
    for position, header in enumerate(names):
        if not header:
            continue
        key = _key(header)
        if VETTING.search(key):
            skipped.append(header)
            continue
        found = _LOOKUP.get(key)
        if found is None or found in where:
            not_read.append(header)
            continue
        where[found] = position
    has_name = {("person", "name"), ("person", "family_name")} & set(where)
    if not has_name or sum(1 for part, _ in where if part == "checks") < 2:
        return None
    return _Header(where, names, skipped, not_read)


def _flag(text: str) -> bool:
    value = text.strip().casefold()
    return bool(value) and value not in _NO and value not in _NA


class _Row:
    """One row's cells under the header, read field by field (errors name the column)."""

    def __init__(self, header: _Header, cells: Sequence[str], today: date) -> None:
        self.header, self.cells, self.today = header, cells, today

    def text(self, part: str, name: str) -> str:
        position = self.header.where.get((part, name))
        if position is None or position >= len(self.cells):
            return ""
        return " ".join(self.cells[position].split())

    def column(self, part: str, name: str) -> str:
        return self.header.names[self.header.where[(part, name)]]

    def day(self, part: str, name: str, *, expiry: bool = False) -> date | None:
        text = self.text(part, name)
        if not text or text.casefold() in _NA or text.casefold() in _NO:
            return None
        column = f"'{self.column(part, name)}'"
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

    def check(self, check: str, part: str = "checks") -> CheckValue | None:
        """A check's cell: a date (done then), yes, no or n/a (None: nothing recorded)."""
        text = self.text(part, check)
        expires = (
            self.day("expiry", check, expiry=True)
            if ("expiry", check) in self.header.where
            else None
        )
        value = text.casefold()
        if not text or value in _NA:
            return CheckValue(False, None, expires) if expires else None
        if value in _NO:
            return CheckValue(False, None, expires)
        if value in _YES:
            return CheckValue(True, None, expires)
        return CheckValue(True, self.day(part, check), expires)


def _people_part(row: _Row, line: int) -> ScrRow:
    name = row.text("person", "name")
    given, family = row.text("person", "given_name"), row.text("person", "family_name")
    if not name or (given and family):
        name = f"{given} {family}".strip() or name
    elif name.count(",") == 1:
        family_part, given_part = (p.strip() for p in name.split(","))
        name = f"{given_part} {family_part}".strip()
    if not name:
        column = "name" if ("person", "name") in row.header.where else "family_name"
        raise _CellError(_MISSING, column=row.column("person", column))
    email = row.text("person", "email").lower() or None
    role, category = row.text("person", "role"), row.text("person", "category")
    kind = f"{category} {role}".casefold()
    return ScrRow(
        line=line,
        name=name,
        email=email,
        role=role,
        category=category,
        start_date=row.day("person", "start_date"),
        left_on=row.day("person", "left_on"),
        agency="agency" in kind or bool(row.text("person", "agency_name")),
        lived_abroad=_flag(row.text("person", "lived_abroad")),
        management=_flag(row.text("person", "management"))
        or any(w in kind for w in ("headteacher", "head teacher", "principal", "business manager")),
        teaching=_flag(row.text("person", "teaching"))
        or ("teacher" in kind and "assistant" not in kind),
        risk_assessment=row.check("risk_assessed_on", "person"),
        safeguarding_training_on=_when(row, "safeguarding_training_on"),
        safer_recruitment_on=_when(row, "safer_recruitment_on"),
    )


def _when(row: _Row, name: str) -> date | None:
    """A dated column of the person's part (a "yes" without a date counts as not dated)."""
    return row.day("person", name)


def _read_row(header: _Header, cells: Sequence[str], line: int, today: date) -> ScrRow:
    row = _Row(header, cells, today)
    scr_row = _people_part(row, line)
    for check in CHECK_IDS:
        if ("checks", check) in header.where:
            value = row.check(check)
            if value is not None:
                scr_row.checks[check] = value
    return scr_row


def read_sheet(path: Path, today: date) -> ScrSheet:
    """Read an SCR spreadsheet; ScrSheetError naming every problem (nothing is kept then)."""
    if not path.exists():
        raise ScrSheetError([Msg(_NOT_FOUND, file=path)])
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ScrSheetError([Msg(_OLD_EXCEL, file=path.name)])
    numbered = list(_xlsx_cells(path) if suffix in {".xlsx", ".xlsm"} else _csv_cells(path))
    found = next(
        (
            (i, h)
            for i, (_line, cells) in enumerate(numbered[:HEADER_SCAN])
            if (h := _read_header(cells)) is not None
        ),
        None,
    )
    if found is None:
        raise ScrSheetError([Msg(_NO_HEADER, file=path.name, count=HEADER_SCAN)])
    index, header = found
    rows: list[ScrRow] = []
    problems: list[Msg] = []
    for line, cells in numbered[index + 1 :]:
        if not any(c.strip() for c in cells):
            continue
        try:
            rows.append(_read_row(header, cells, line, today))
        except ValueError as exc:
            who = _Row(header, cells, today).text("person", "family_name") or _Row(
                header, cells, today
            ).text("person", "name")
            problem = exc.msg if isinstance(exc, SaidError) else str(exc)
            problems.append(Msg(ROW_WHO if who else _ROW, file=path.name, line=line, who=who,
                                problem=problem))
    if problems:
        raise ScrSheetError(problems)
    return ScrSheet(rows, numbered[index][0], header.skipped, header.not_read)


def _csv_cells(path: Path) -> Iterable[tuple[int, list[str]]]:
    if path.read_bytes()[:4] == b"PK\x03\x04":
        raise ScrSheetError([Msg(_NOT_CSV, file=path.name)])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScrSheetError([Msg(_NOT_UTF8, file=path.name, reason=exc.reason)]) from None
    reader = csv.reader(text.splitlines())
    for cells in reader:
        yield reader.line_num, cells


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_cells(path: Path) -> Iterable[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # lazy: 1.5 s to import, for a workbook only

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ScrSheetError([Msg(_UNREADABLE, file=path.name, problem=str(exc))]) from None
    try:
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        book.close()
