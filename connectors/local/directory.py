"""The local directory: a staff list exported as CSV or an Excel workbook (.xlsx) as the MIS
writes it (the bot's own columns, or a school's MIS, HR, Entra or Google export with its title
rows and merged headings, see ``staff_export``) or written as YAML; every bad row named by its
line, its person and its column."""

from __future__ import annotations

import csv
import hashlib
import re
import zipfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import chain, islice
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml

from bot.core.emails import has_mailbox, is_email, no_email_key
from bot.core.forms import SaidError
from bot.core.i18n import N_, Lazy, Msg
from bot.core.ports import DirectoryChanges, DirectoryPerson, PermanentError, RejectedRecord
from bot.core.words import plain_key
from connectors.local.shares import FileRead, PackedPeople, Packer, WhenAsked
from connectors.local.staff_export import (
    HEADER_SCAN,
    Header,
    find_header,
    split_name,
    staff_date,
)

__all__ = ["FileDirectory"]

_TRUE = {"1", "true", "yes", "y", "active", ""}
_FALSE = {"0", "false", "no", "n", "inactive", "left", "suspended", "disabled"}
_V = TypeVar("_V")
_Label = Callable[[str], str]  # the bot's column -> the file's own name for it (str: the same)
_ReadAs = tuple[str, frozenset[str] | None, frozenset[int]]  # digest, roles, lines left out
_EMAIL, _ID = attrgetter("email"), attrgetter("external_id")


def _split(value: str | None) -> tuple[str, ...]:
    """Split a ``;``- or ``|``-separated cell into its trimmed values, in order, each once."""
    parts = (value or "").replace("|", ";").split(";")
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _lines(text: Iterable[str]) -> Iterator[str]:
    """The lines of a file opened with ``newline=""``, as ``str.splitlines`` ends them (a
    form feed too), read as they come: a trust's file is never held whole."""
    for line in text:
        yield from line.splitlines()


class _Lines:
    """Line numbers by a value's hash, 12 bytes a place (an open-addressed table in two
    arrays): a parse's duplicate checks keep no address or id of a trust's 100,000 rows;
    a hash found is confirmed by the value of the row on that line."""

    def __init__(self) -> None:
        self._keys, self._lines, self._count = array("q", bytes(64)), array("i", bytes(32)), 0

    def lines(self, key: int) -> Iterator[int]:
        """The lines kept under ``key`` (more than one only when values' hashes collide)."""
        keys, lines = self._keys, self._lines
        mask = len(keys) - 1
        slot = key & mask
        while line := lines[slot]:
            if keys[slot] == key:
                yield line
            slot = (slot + 1) & mask

    def __contains__(self, key: int) -> bool:
        return next(self.lines(key), 0) != 0

    def add(self, key: int, line: int) -> None:
        """Keep ``line`` (1 or more) under ``key``."""
        self._count += 1
        if 3 * self._count > 2 * len(self._keys):  # two thirds full: twice the places
            kept = zip(self._keys, self._lines, strict=True)
            places = 2 * len(self._keys)
            self._keys, self._lines = array("q", bytes(8 * places)), array("i", bytes(4 * places))
            for old_key, old_line in kept:
                if old_line:
                    self._put(old_key, old_line)
        self._put(key, line)

    def _put(self, key: int, line: int) -> None:
        keys, lines = self._keys, self._lines
        mask = len(keys) - 1
        slot = key & mask
        while lines[slot]:
            slot = (slot + 1) & mask
        keys[slot], lines[slot] = key, line


class RowError(SaidError, ValueError):
    """A row the file cannot give: a catalogue sentence and its values (the file's own column
    names, what a cell holds, as written)."""


# a rejected row: where (the file, its line, whose row), then why
ROW_WHO = N_("%(file)s line %(line)s (%(who)s): %(reason)s")
ROW = N_("%(file)s line %(line)s: %(reason)s")


def _cell_text(value: object) -> str:
    """A workbook cell as an export's text: a date as 2026-09-01, 12.0 as 12."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_bool(value: str | None, field_name: str) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(N_("%(column)s must be yes/no (got %(got)s)"), column=field_name,
                   got=repr(value))


def _text(row: Mapping[str, Any], key: str) -> str:
    return " ".join(str(row.get(key) or "").split())


def _names(row: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(display name, given, family): "Surname, Forename" in one column is turned round, and
    a preferred name is the name a person is called."""
    name, given, family = split_name(_text(row, "name"))
    given = _text(row, "given_name") or given
    family = _text(row, "family_name") or family
    preferred = _text(row, "preferred_name")
    if preferred:
        given = preferred
    if preferred or not name:
        name = f"{given or ''} {family or ''}".strip()
    return name, given or None, family or None


def _row_name(row: Mapping[str, Any]) -> str:
    """The row's name, or given and family name joined ("" when there is none)."""
    return _names(row)[0]


def _row_identity(row: Mapping[str, Any]) -> RejectedRecord:
    """Whatever identifies the person on a row that could not be read."""
    return RejectedRecord(
        external_id=str(row.get("id") or "").strip() or None,
        email=str(row.get("email") or "").strip().lower() or None,
        display_name=_row_name(row) or None,
    )


# Unicode's control (Cc: U+0000-001F, U+007F-009F) and surrogate (Cs) characters
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _control_character(row: Mapping[str, Any], label: _Label) -> RowError | None:
    """A message naming the first field holding a control character (NUL, tab, escape...)."""
    for field_name, value in row.items():
        for text in value if isinstance(value, list | tuple) else [value]:
            if not isinstance(text, str):
                continue
            found = _CONTROL.search(text)
            if found:
                return RowError(N_(
                    "%(column)s contains a control character (%(code)s), which cannot be stored; "
                    "remove it from the file"
                ), column=label(field_name), code=f"U+{ord(found.group()):04X}")
    return None


def _check_roles(roles: frozenset[str], allowed: frozenset[str] | None) -> frozenset[str]:
    """The row's roles, when every one is a known role; ValueError naming the field if not."""
    unknown = sorted(roles - allowed) if allowed is not None else []
    if unknown:
        raise RowError(N_("roles: %(roles)s cannot be given in this file (use %(allowed)s)"),
                       roles=", ".join(repr(r) for r in unknown),
                       allowed=", ".join(sorted(allowed or ())))
    return roles


def _row_email(row: Mapping[str, Any]) -> str:
    """The row's email address; with none, the key of a person without one (from their id,
    else their name), so that a midday supervisor or a cleaner stays on the register."""
    email = str(row.get("email") or "").strip().lower()
    if email:
        return email
    ref = str(row.get("id") or "").strip() or _row_name(row)
    return no_email_key(ref) if ref else ""


def _row_to_person(
    row: Mapping[str, Any], allowed_roles: frozenset[str] | None = None, label: _Label = str,
    checked: Callable[[str], bool] = is_email, shared: dict[Any, Any] | None = None,
) -> DirectoryPerson:
    """Validate one directory row; raise ValueError naming the field (as the file names it).
    ``checked`` says whether an address is an email address (``is_email``, or a parse's
    memory of it). ``shared``: the parse's one copy of each value many rows repeat (their
    roles, groups, titles, school, start date), so a trust's file holds each once."""
    kept: dict[Any, Any] = {} if shared is None else shared

    def one(value: _V) -> _V:
        return cast("_V", kept.setdefault(value, value))
    if row.get("_extra"):
        raise RowError(N_(
            "more cells than the header has columns (a value with a comma needs quotes)"
        ))
    problem = _control_character(row, label)
    if problem:
        raise problem
    email = _row_email(row)
    if has_mailbox(email) and not checked(email):  # as school.yaml checks them
        raise RowError(N_("%(column)s is missing or not an email address (got %(got)s)"),
                       column=label("email"), got=repr(email))
    name, given, family = _names(row)
    if not name:
        raise RowError(N_("%(column)s is missing"), column=label("name"))
    manager = one(str(row.get("manager_email") or "").strip().lower() or None)
    if manager and "@" not in manager:
        raise RowError(N_("%(column)s is not an email address (got %(got)s)"),
                       column=label("manager_email"), got=repr(manager))
    return DirectoryPerson(
        external_id=str(row.get("id") or "").strip() or email,
        email=email,
        display_name=name,
        given_name=given,
        family_name=family,
        job_title=one(_text(row, "job_title") or None),
        other_titles=one(_split(_cell(row.get("other_titles")))),
        roles=one(_check_roles(frozenset(_split(_cell(row.get("roles")))), allowed_roles)),
        groups=one(frozenset(_split(_cell(row.get("groups"))))),
        manager_email=manager,
        manager_external_id=manager,
        start_date=one(staff_date(_cell(row.get("start_date")) or "", label("start_date"))),
        active=_parse_bool(_cell(row.get("active")), label("active")),
        school=one(str(row.get("school") or "").strip() or None),
        has_account=_parse_bool(_cell(row.get("has_account")), label("has_account"))
        and has_mailbox(email),
    )


def _cell(value: Any) -> str | None:
    """Normalise a CSV or YAML cell (YAML may give lists, dates, booleans) to text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def _index_names(found: dict[str, list[str]], row: Mapping[str, Any]) -> None:
    """Add the row's email under its name (and given and family name), for a line manager
    given by name."""
    email = _row_email(row)
    name = _row_name(row)
    if email and name:
        found.setdefault(plain_key(name), []).append(email)
        given, family = _text(row, "given_name"), _text(row, "family_name")
        if given and family and plain_key(f"{given} {family}") != plain_key(name):
            found.setdefault(plain_key(f"{given} {family}"), []).append(email)


def _named(
    rows: Iterable[tuple[int, dict[str, Any]]], again: Callable[[], Iterable[tuple[int, Any]]]
) -> Iterator[tuple[int, dict[str, Any], Mapping[str, list[str]]]]:
    """Each row with everyone's email by name, read as the rows come: a trust's 100,000 rows
    are never held at once, nor their names unless a row gives its line manager by name;
    then the file is read ``again`` for the names of everyone on it (a name may be anyone's,
    above or below), and that row and every later one see them all."""
    names: dict[str, list[str]] = {}
    indexed = False
    for line, row in rows:
        given = str(row.get("manager_email") or "").strip()
        if given and "@" not in given and not indexed:
            for _line, anyone in again():
                _index_names(names, anyone)
            indexed = True
        yield line, row, names


def _manager_by_name(row: dict[str, Any], names: Mapping[str, list[str]], label: _Label) -> None:
    """A line manager written as a name becomes their email; ValueError when the name is not
    exactly one person in the file (never a guess)."""
    given = str(row.get("manager_email") or "").strip()
    if not given or "@" in given:
        return
    emails = sorted(set(names.get(plain_key(given), [])))
    if len(emails) != 1:
        if not emails:
            raise RowError(N_("%(column)s %(given)s is nobody in this file; give their email"),
                           column=label("manager_email"), given=repr(given))
        raise RowError(
            N_("%(column)s %(given)s is %(count)s people in this file; give their email"),
            column=label("manager_email"), given=repr(given), count=len(emails))
    row["manager_email"] = emails[0]


@dataclass
class FileDirectory:
    """Directory read from a CSV or YAML file; always a complete listing.

    Bad rows are reported in ``rejected`` with their line number, name and column, and who they
    seem to be in ``rejected_records`` (so the bot leaves that person as they were); good rows
    still count. An optional ``id`` column is the person's directory id: with it, a changed email
    is the same person. With ``allowed_roles``, a row naming any other role is rejected. Lines
    in ``left_out`` are rows the school chose to leave out (never read, never reported).
    """

    path: Path
    allowed_roles: frozenset[str] | None = None
    left_out: frozenset[int] = frozenset()
    _header: Header | None = field(default=None, init=False, repr=False)
    _header_line: int | None = field(default=None, init=False, repr=False)
    rejected_lines: list[int] = field(default_factory=list, init=False)  # of the last fetch
    # what the last parse read (its file's digest, the roles and lines it took) and all it
    # keeps of it: its answer without the people. A file unchanged since is
    # not parsed again (a trust's 100,000 rows every 15 minutes), only hashed, and nobody on
    # it is held between sweeps
    _last: tuple[_ReadAs, FileRead] | None = field(default=None, init=False, repr=False)
    # the last parse's people's addresses by hash (not as strings), and what it found not to
    # be one: a changed file of 100,000 staff checks only its new addresses (0.2 ms each)
    _emails: _Lines = field(default_factory=_Lines, init=False, repr=False)
    _not_emails: frozenset[str] = field(default=frozenset(), init=False, repr=False)

    @property
    def header_line(self) -> int | None:
        """The file's line (row) holding the header the last fetch found, if it has one."""
        return self._header_line

    @property
    def header_names(self) -> list[str]:
        """That header's column names as the file writes them (shown for confirmation)."""
        return [n for n in self._header.names if n] if self._header is not None else []

    @property
    def unused_columns(self) -> list[str]:
        """The columns of the file's header that the bot does not read (after a fetch)."""
        return self._header.unused if self._header is not None else []

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """Read the whole file (there is no delta for a file)."""
        if not self.path.exists():
            raise PermanentError(N_("%(file)s: directory file not found"), file=self.path)
        with self.path.open("rb") as file:
            digest = hashlib.file_digest(file, "sha256").hexdigest()[:16]
        read_as = (digest, self.allowed_roles, self.left_out)
        if self._last is not None and self._last[0] == read_as:
            again = WhenAsked(lambda: cast("PackedPeople", self._parse(digest).people))
            return replace(self._last[1], people=again)
        changes = self._parse(digest)
        self._last = (read_as, replace(changes, people=()))  # the same digests, filled in
        return changes

    def _parse(self, digest: str) -> FileRead:
        """Every row of the file as people (packed by school), and the rows that could not
        be read."""
        suffix = self.path.suffix.lower()
        read: Callable[[], Iterable[tuple[int, dict[str, Any]]]]
        if suffix in {".yaml", ".yml"}:
            read = self._yaml_rows
        elif suffix in {".xlsx", ".xlsm"}:
            read = self._workbook_rows
        elif suffix == ".xls":
            raise PermanentError(N_(
                "%(file)s: an old Excel file (.xls) cannot be read; open it in Excel and save it "
                "as an Excel workbook (.xlsx)"
            ), file=self.path)
        else:
            read = self._csv_rows
        named = _named(read(), read)
        first = list(islice(named, 1))  # the header is found before the first row comes
        label = self._header.column if self._header is not None else str
        people = Packer()
        rejected: list[str | Lazy] = []
        records: list[RejectedRecord] = []
        emails, ids = _Lines(), _Lines()  # the lines of the people kept, by address and id
        rejected_lines: list[int] = []
        known, bad = self._emails, set[str]()
        shared: dict[Any, Any] = {}

        def checked(address: str) -> bool:
            # the file's own memory, not ``is_email``'s cache (too small for a trust's file,
            # and it would keep 65,536 of its addresses alive)
            if hash(address) in known or (
                address not in self._not_emails and is_email(address, remember=False)
            ):
                return True
            bad.add(address)
            return False

        def kept_on(table: _Lines, value: str, of: Callable[[DirectoryPerson], str]) -> int:
            """The line of the person kept with ``value`` (0: nobody)."""
            lines = table.lines(hash(value))
            return next((at for at in lines if of(people.person(at)) == value), 0)

        for line, row, names in chain(first, named):
            if line in self.left_out:
                continue
            who = _CONTROL.sub("", _row_name(row))  # a message never repeats a control code
            try:
                _manager_by_name(row, names, label)
                person = _row_to_person(row, self.allowed_roles, label, checked, shared)
                by_email = kept_on(emails, person.email, _EMAIL)
                duplicate = by_email or kept_on(ids, person.external_id, _ID)
                if duplicate:
                    if not by_email:
                        raise RowError(N_("id %(id)s already on line %(line)s"),
                                       id=person.external_id, line=duplicate)
                    if has_mailbox(person.email):
                        raise RowError(N_("email %(email)s already on line %(line)s"),
                                       email=person.email, line=duplicate)
                    raise RowError(N_("no email address and the same name as the person "
                                      "already on line %(line)s"), line=duplicate)
            except ValueError as exc:
                reason = exc.msg if isinstance(exc, SaidError) else str(exc)
                rejected.append(Msg(ROW_WHO, file=self.path.name, line=line, who=who,
                                    reason=reason) if who else
                                Msg(ROW, file=self.path.name, line=line, reason=reason))
                records.append(_row_identity(row))
                rejected_lines.append(line)
                continue
            emails.add(hash(person.email), line)
            ids.add(hash(person.external_id), line)
            people.add(line, person)
        self._emails, self._not_emails = emails, frozenset(bad)
        self.rejected_lines = rejected_lines
        packed = people.people()
        return FileRead(
            people=packed,
            complete=True,
            cursor=digest,
            rejected=rejected,
            rejected_records=records,
            shares=packed.schools,
        )

    def _csv_rows(self) -> Iterable[tuple[int, dict[str, Any]]]:
        with self.path.open("rb") as start:
            if start.read(4) == b"PK\x03\x04":  # a workbook renamed .csv
                raise PermanentError(N_(
                    "%(file)s: an Excel workbook, not CSV text; give it as it is, named .xlsx"
                ), file=self.path)
        with self.path.open(encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(_lines(text))
            try:
                yield from self._table_rows((reader.line_num, cells) for cells in reader)
            except UnicodeDecodeError as exc:
                raise PermanentError(
                    f"{self.path}: not UTF-8 text ({exc.reason}); give the MIS's Excel export "
                    "(.xlsx) as it is, or save the CSV as 'CSV UTF-8'"
                ) from exc

    def _workbook_rows(self) -> Iterable[tuple[int, dict[str, Any]]]:
        return self._table_rows(self._xlsx_cells())

    def _xlsx_cells(self) -> Iterable[tuple[int, list[str]]]:
        """The first sheet's rows as text, with their row numbers: dates as ISO dates, whole
        numbers without ".0", a merged heading in its first cell only (as Excel keeps it)."""
        from openpyxl import load_workbook  # lazy: 1.5 s to import, for a workbook only

        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise PermanentError(
                f"{self.path}: not an Excel workbook that can be read ({exc})"
            ) from None
        try:
            sheet = book.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_cell_text(v) for v in values]
        finally:
            book.close()

    def _table_rows(
        self, numbered: Iterable[tuple[int, list[str]]]
    ) -> Iterable[tuple[int, dict[str, Any]]]:
        """Rows under the header found among the first rows (title rows and a merged heading
        above it are not people)."""
        numbered = iter(numbered)
        head = list(islice(numbered, HEADER_SCAN))  # the header is among these (find_header)
        try:
            index, header = find_header([cells for _line, cells in head], str(self.path))
        except ValueError as exc:
            raise PermanentError(str(exc)) from None
        self._header = header
        self._header_line = head[index][0]
        for line, cells in chain(head[index + 1 :], numbered):  # the rest as it is read
            if not any(c.strip() for c in cells):
                continue
            row: dict[str, Any] = header.row(cells)
            extra = cells[len(header.names) :]
            # more cells than columns: keep who it is. In a CSV even an empty one means a comma
            # too many (the cells beside it have moved); a workbook's rows run to its widest
            # column, so there only a cell with something in it counts
            if any(c.strip() for c in extra) or (extra and self.path.suffix.lower() != ".xlsx"):
                row["_extra"] = extra
            yield line, row

    def _yaml_rows(self) -> Iterable[tuple[int, dict[str, Any]]]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PermanentError(f"{self.path}: not valid YAML ({exc})") from exc
        people = data.get("people") if isinstance(data, dict) else data
        if not isinstance(people, list):
            raise PermanentError(f"{self.path}: expected a list under 'people'")
        for index, row in enumerate(people, start=1):
            yield index, dict(row) if isinstance(row, dict) else {}
