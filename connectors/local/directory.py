"""The local directory: a staff list exported as CSV or an Excel workbook (.xlsx) as the MIS
writes it (the bot's own columns, or a school's MIS, HR, Entra or Google export with its title
rows and merged headings, see ``staff_export``) or written as YAML; every bad row named by its
line, its person and its column."""

from __future__ import annotations

import hashlib
import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml

from bot.core.days.dates import REVIEW, london_today
from bot.core.files.spreadsheets import (
    Spreadsheet,
    SpreadsheetError,
    first_header,
    read_spreadsheet,
)
from bot.core.guards.emails import has_mailbox, is_email, no_email_key
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Lazy, Msg
from bot.core.language.words import plain_key
from bot.core.ports import DirectoryChanges, DirectoryPerson, PermanentError, RejectedRecord
from connectors.local.shares import (
    FileRead,
    PackedPeople,
    Packer,
    ReadAs,
    WhenAsked,
    keep_read,
    recall_read,
)
from connectors.local.staff_export import Header, find_header, split_name, staff_date

__all__ = ["FileDirectory"]

_TRUE = {"1", "true", "yes", "y", "active", ""}
_FALSE = {"0", "false", "no", "n", "inactive", "left", "suspended", "disabled"}
_V = TypeVar("_V")
_Label = Callable[[str], str]  # the bot's column -> the file's own name for it (str: the same)
_EMAIL, _ID = attrgetter("email"), attrgetter("external_id")


def _split(value: str | None) -> tuple[str, ...]:
    """Split a ``;``- or ``|``-separated cell into its trimmed values, in order, each once."""
    parts = (value or "").replace("|", ";").split(";")
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


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


def _address_key(address: str) -> int:
    """An address as a number, the same in every process (``hash`` is not): the memory of
    the addresses a parse found good, kept for the next process (``FileDirectory.kept``)."""
    digest = hashlib.blake2b(address.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _among(keys: array[int], key: int) -> bool:
    """Whether ``key`` is in ``keys`` (sorted)."""
    at = bisect_left(keys, key)
    return at < len(keys) and keys[at] == key


def _parse_bool(value: str | None, field_name: str) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(
        N_("%(column)s must be yes/no (got %(got)s)"), column=field_name, got=repr(value)
    )


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
                return RowError(
                    N_(
                        "%(column)s contains a control character (%(code)s), which cannot be "
                        "stored; remove it from the file"
                    ),
                    column=label(field_name),
                    code=f"U+{ord(found.group()):04X}",
                )
    return None


def _check_roles(roles: frozenset[str], allowed: frozenset[str] | None) -> frozenset[str]:
    """The row's roles, when every one is a known role; ValueError naming the field if not."""
    unknown = sorted(roles - allowed) if allowed is not None else []
    if unknown:
        raise RowError(
            N_("roles: %(roles)s cannot be given in this file (use %(allowed)s)"),
            roles=", ".join(repr(r) for r in unknown),
            allowed=", ".join(sorted(allowed or ())),
        )
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
    row: Mapping[str, Any],
    allowed_roles: frozenset[str] | None = None,
    label: _Label = str,
    checked: Callable[[str], bool] = is_email,
    shared: dict[Any, Any] | None = None,
) -> DirectoryPerson:
    """Validate one directory row; raise ValueError naming the field (as the file names it).
    ``checked`` says whether an address is an email address (``is_email``, or a parse's
    memory of it). ``shared``: the parse's one copy of each value many rows repeat (their
    roles, groups, titles, school, start date), so a trust's file holds each once."""
    kept: dict[Any, Any] = {} if shared is None else shared

    def one(value: _V) -> _V:
        return cast("_V", kept.setdefault(value, value))

    if row.get("_extra"):
        raise RowError(
            N_("more cells than the header has columns (a value with a comma needs quotes)")
        )
    problem = _control_character(row, label)
    if problem:
        raise problem
    email = _row_email(row)
    if has_mailbox(email) and not checked(email):  # as school.yaml checks them
        raise RowError(
            N_("%(column)s is missing or not an email address (got %(got)s)"),
            column=label("email"),
            got=repr(email),
        )
    name, given, family = _names(row)
    if not name:
        raise RowError(N_("%(column)s is missing"), column=label("name"))
    manager = one(str(row.get("manager_email") or "").strip().lower() or None)
    if manager and "@" not in manager:
        raise RowError(
            N_("%(column)s is not an email address (got %(got)s)"),
            column=label("manager_email"),
            got=repr(manager),
        )
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
        active=_parse_bool(_cell(row.get("active")), label("active"))
        and not _ended(_cell(row.get("end_date")), label("end_date")),
        school=one(str(row.get("school") or "").strip() or None),
        has_account=_parse_bool(_cell(row.get("has_account")), label("has_account"))
        and has_mailbox(email),
    )


def _ended(text: str | None, column: str) -> bool:
    """Whether the row's end date (a leaver's, as the MIS writes it) has come."""
    ended = staff_date(text or "", column, REVIEW)
    return ended is not None and ended <= london_today()


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
            raise RowError(
                N_("%(column)s %(given)s is nobody in this file; give their email"),
                column=label("manager_email"),
                given=repr(given),
            )
        raise RowError(
            N_("%(column)s %(given)s is %(count)s people in this file; give their email"),
            column=label("manager_email"),
            given=repr(given),
            count=len(emails),
        )
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
    left_out: frozenset[int] = frozenset()  # second: ``Adapters.staff_file`` passes it so
    allowed_roles: frozenset[str] | None = None
    _header: Header | None = field(default=None, init=False, repr=False)
    _header_line: int | None = field(default=None, init=False, repr=False)
    _book: Spreadsheet | None = field(default=None, init=False, repr=False)  # while parsing
    rejected_lines: list[int] = field(default_factory=list, init=False)  # of the last fetch
    sheet_name: str | None = field(default=None, init=False)  # the workbook's sheet read
    hidden_rows: int = field(default=0, init=False)  # rows the school hid, read
    # what the last parse read (its file's digest, the roles and lines it took) and all it
    # keeps of it: its answer without the people. A file unchanged since is
    # not parsed again (a trust's 100,000 rows every 15 minutes), only hashed, and nobody on
    # it is held between sweeps
    _last: tuple[ReadAs, FileRead] | None = field(default=None, init=False, repr=False)
    # the addresses the last parse found good, as numbers (``_address_key``: not as strings),
    # and what it found not to be one: a changed file of 100,000 staff checks only its new
    # addresses (0.2 ms each), in this process or the next (``kept``, ``recall``)
    _good: array[int] = field(default_factory=lambda: array("q"), init=False, repr=False)
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

    def kept(self) -> str | None:
        """What this process knows of the file for the next process
        (``bot.core.database.kept_reads``;
        None: nothing read yet): the last read as ``fetch`` answered it but the people, and
        the addresses found good or not."""
        return (
            None
            if self._last is None
            else keep_read(*self._last, self.rejected_lines, self._good, self._not_emails)
        )

    def recall(self, kept: str) -> None:
        """Take back what an earlier process kept (``kept``), unless this one has read the
        file itself: an unchanged file is then not parsed again, and a changed one checks
        only its new addresses. Anything unreadable in it is ignored (the file is parsed)."""
        if self._last is not None:
            return
        found = recall_read(kept)
        if found is not None:
            self._last, self.rejected_lines, self._good, self._not_emails = found

    def _parse(self, digest: str) -> FileRead:
        """Every row of the file as people (packed by school), and the rows that could not
        be read."""
        yaml_file = self.path.suffix.lower() in {".yaml", ".yml"}
        read = self._yaml_rows if yaml_file else self._sheet_rows
        self._book, self.hidden_rows, self.sheet_name = None, 0, None
        named = _named(read(), read)
        first = list(islice(named, 1))  # the header is found before the first row comes
        label = self._header.column if self._header is not None else str
        people = Packer()
        rejected: list[str | Lazy] = []
        records: list[RejectedRecord] = []
        emails, ids = _Lines(), _Lines()  # the lines of the people kept, by address and id
        rejected_lines: list[int] = []
        known, good, bad = self._good, set[int](), set[str]()
        shared: dict[Any, Any] = {}

        def checked(address: str) -> bool:
            # the file's own memory, not ``is_email``'s cache (too small for a trust's file,
            # and it would keep 65,536 of its addresses alive); each address checked once
            key = _address_key(address)
            if (
                key in good
                or _among(known, key)
                or (
                    address not in self._not_emails
                    and address not in bad
                    and is_email(address, remember=False)
                )
            ):
                good.add(key)
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
                        raise RowError(
                            N_("id %(id)s already on line %(line)s"),
                            id=person.external_id,
                            line=duplicate,
                        )
                    if has_mailbox(person.email):
                        raise RowError(
                            N_("email %(email)s already on line %(line)s"),
                            email=person.email,
                            line=duplicate,
                        )
                    raise RowError(
                        N_(
                            "no email address and the same name as the person "
                            "already on line %(line)s"
                        ),
                        line=duplicate,
                    )
            except ValueError as exc:
                reason = exc.msg if isinstance(exc, SaidError) else str(exc)
                rejected.append(
                    Msg(ROW_WHO, file=self.path.name, line=line, who=who, reason=reason)
                    if who
                    else Msg(ROW, file=self.path.name, line=line, reason=reason)
                )
                records.append(_row_identity(row))
                rejected_lines.append(line)
                continue
            emails.add(hash(person.email), line)
            ids.add(hash(person.external_id), line)
            people.add(line, person)
        self._good, self._not_emails = array("q", sorted(good)), frozenset(bad)
        self.rejected_lines, self._book = rejected_lines, None
        packed = people.people()
        return FileRead(
            people=packed,
            complete=True,
            cursor=digest,
            rejected=rejected,
            rejected_records=records,
            shares=packed.schools,
        )

    def _sheet_rows(self) -> Iterable[tuple[int, dict[str, Any]]]:
        """Rows under the header, found on the first sheet that has one among its first rows
        (a workbook's notes sheet passed over; title rows and a merged heading above it are not
        people); hidden rows are read and counted. The file is read within bounds, once a
        parse (``bot.core.files.spreadsheets``)."""
        if self._book is None:
            try:
                self._book = read_spreadsheet(self.path, shown=str(self.path))
            except SpreadsheetError as exc:
                raise PermanentError(exc.msg) from None
        where = str(self.path)
        try:
            sheet, line, header = first_header(self._book, lambda rows: find_header(rows, where))
        except ValueError as exc:
            raise PermanentError(exc.msg if isinstance(exc, SaidError) else str(exc)) from None
        self._header, self._header_line, self.sheet_name = header, line, sheet.name
        hidden = 0
        for number, cells in sheet.rows():
            if number <= line or not any(c.strip() for c in cells):
                continue
            hidden += number in sheet.hidden_rows
            self.hidden_rows = hidden
            row: dict[str, Any] = header.row(cells)
            extra = cells[len(header.names) :]
            # more cells than columns: keep who it is. In a CSV even an empty one means a comma
            # too many (the cells beside it have moved); a workbook's rows end at their last
            # filled cell, so there only a cell with something in it counts
            if any(c.strip() for c in extra) or (extra and sheet.name is None):
                row["_extra"] = extra
            yield number, row

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
