"""Training completions: import from a provider's export (CSV or a workbook, read by
``bot.core.files.spreadsheets``), and record one by hand."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.days.dates import HAPPENED
from bot.core.files.spreadsheets import SpreadsheetError, first_header, read_spreadsheet
from bot.core.guards.forms import SaidError, Text, control_character
from bot.core.language.i18n import N_, Msg, nmsg
from bot.core.language.said_forms import and_list
from bot.core.language.words import plain_key
from bot.core.models import Person, TrainingRecord

__all__ = ["ImportReport", "NotADate", "course_problem", "import_training_csv", "parse_day"]

REQUIRED = ("course", "completed_on")
WHO = ("email", "id", "name")  # one of them says whose completion it is
# how each of them is compared (``_people``'s keys)
_WHO_KEY = {"email": str.lower, "id": str.casefold, "name": plain_key}
# the column names providers' exports use, by the column they mean here
ALIASES = {
    alias: column
    for column, aliases in {
        "id": ("staff id", "mis id", "employee id"),
        "name": ("staff name", "full name", "learner", "learner name"),
        "email": ("email address", "e-mail", "learner email"),
        "course": ("course name", "module"),
        "completed_on": ("completed", "completion date", "date completed"),
        "provider": ("training provider",),
    }.items()
    for alias in aliases
}


@dataclass
class ImportReport:
    """Rows imported, already present, and rejected (with file, line and field: each a
    sentence with its values, said where shown)."""

    imported: int = 0
    already_present: int = 0
    errors: list[Text] = field(default_factory=list)


_NOT_A_DATE = N_("not a date: %(value)s (use 2026-09-14 or 14/09/2026)")


class NotADate(SaidError, ValueError):
    """A completion date that is not one (``parse_day``)."""


def parse_day(text: str) -> date:
    """Accept 2026-09-14, 14/09/2026 or 14.09.2026 (UK day-first); raise ``NotADate``
    otherwise."""
    value = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise NotADate(_NOT_A_DATE, value=repr(value))


def _squash(name: str) -> str:
    """A course name compared as people mean it: case and spacing ignored."""
    return " ".join(name.lower().split())


def course_problem(course: str, courses: Collection[str]) -> Msg | None:
    """None when ``course`` is one of the school's courses, else what is wrong and what was
    probably meant (a completion under another name would never close anybody's duty)."""
    known = {_squash(c): c for c in courses}
    if _squash(course) in known:
        return None
    if not known:
        return Msg(
            N_(
                "'%(course)s' is not a course of this school: no training requirement in "
                "school.yaml names a course yet"
            ),
            course=course,
        )
    close = difflib.get_close_matches(_squash(course), list(known), n=1, cutoff=0.5)
    close = close or [k for k in known if k in _squash(course) or _squash(course) in k][:1]
    if close:
        return Msg(
            N_("unknown course '%(course)s' — did you mean '%(meant)s'?"),
            course=course,
            meant=known[close[0]],
        )
    listed = ", ".join(f"'{c}'" for c in sorted(courses))
    return Msg(
        N_("unknown course '%(course)s' (the school's courses are %(listed)s)"),
        course=course,
        listed=listed,
    )


def _people(session: Session, school_id: str) -> dict[tuple[str, str], int | None]:
    """Everyone by ("email", address), ("id", MIS id) and ("name", name); None where a name
    is more than one person's (never a guess). Staff without an email address are found by
    their id or name."""
    found: dict[tuple[str, str], int | None] = {}
    for pid, email, external, name in session.execute(
        select(Person.id, Person.email, Person.external_id, Person.display_name).where(
            Person.school_id == school_id
        )
    ):
        found[("email", email)] = pid
        if external:
            found[("id", external.casefold())] = pid
        key = ("name", plain_key(name))
        found[key] = pid if key not in found else None
    return found


# what is wrong with a row: the column it is in (None: the whole row) and why
_Wrong = tuple[str | None, Msg]


def _whose(row: dict[str, str | None], people: dict[tuple[str, str], int | None]) -> int | _Wrong:
    """The person a row is about (by email, else MIS id, else name), or what is wrong."""
    for column in WHO:
        given = " ".join((row.get(column) or "").split())
        if not given:
            continue
        key = (column, _WHO_KEY[column](given))
        if key not in people:
            return None, Msg(
                N_("%(column)s %(given)s is not in the directory"), column=column, given=given
            )
        pid = people[key]
        if pid is None:
            return None, Msg(N_("name %(given)s is more than one person; give an id"), given=given)
        return pid
    return None, Msg(N_("%(columns)s empty"), columns=and_list(c for c in WHO if c in row))


def _completed(problem: object) -> _Wrong:
    return None, Msg(N_("completed_on %(problem)s"), problem=problem)


def _check_row(
    row: dict[str, str | None],
    people: dict[tuple[str, str], int | None],
    courses: Collection[str],
    today: date,
    course_column: str,
) -> tuple[int, str, date] | _Wrong:
    """(person id, the school's course name, completed on), or what is wrong with the row."""
    bad = _control_characters(row)
    if bad is not None:
        return None, bad
    who = _whose(row, people)
    if isinstance(who, tuple):
        return who
    course = (row.get("course") or "").strip()
    if not course:
        return course_column, Msg(N_("empty"))
    problem = course_problem(course, courses)
    if problem:
        return course_column, problem
    try:
        completed = parse_day(row.get("completed_on") or "")
    except NotADate as exc:
        return _completed(exc.msg)
    if completed > today:
        return _completed(Msg(N_("%(day)s is in the future"), day=str(completed)))
    late = HAPPENED.problem(completed, today)
    if late is not None:
        return _completed(late)
    return who, next(c for c in courses if _squash(c) == _squash(course)), completed


def _control_characters(row: dict[str, str | None]) -> Msg | None:
    """The first column holding a control character, said plainly (None when clean)."""
    for column, value in row.items():
        if isinstance(column, str) and isinstance(value, str):
            found = control_character(value)
            if found:
                return Msg(
                    N_("%(column)s contains %(found)s, which cannot be stored"),
                    column=column,
                    found=found,
                )
    return None


def _line(file: str, line: int, wrong: _Wrong) -> Msg:
    """A rejected row: "file line N[, column 'c']: why"."""
    column, problem = wrong
    if column is None:
        return Msg(N_("%(file)s line %(line)s: %(problem)s"), file=file, line=line, problem=problem)
    return Msg(
        N_("%(file)s line %(line)s, column '%(column)s': %(problem)s"),
        file=file,
        line=line,
        column=column,
        problem=problem,
    )


class _HeaderError(SaidError, ValueError):
    """A file with no row holding the columns the import needs."""


def _columns(path: Path, names: Sequence[str]) -> tuple[list[str], str] | Msg:
    """The file's columns in our names and its course column as it names it, or what is
    missing (the error for line 1)."""
    original = [h.strip() for h in names]
    header = [ALIASES.get(h.lower(), h.lower()) for h in original]
    missing = [c for c in REQUIRED if c not in header]
    if not set(WHO) & set(header):
        missing.insert(0, "email (or staff id, or name)")
    if missing:
        return nmsg(
            "%(file)s line 1: missing column %(missing)s (found: %(found)s)",
            "%(file)s line 1: missing columns %(missing)s (found: %(found)s)",
            len(missing),
            file=path.name,
            missing=", ".join(missing),
            found=", ".join(header) or Msg(N_("nothing")),
        )
    return header, original[header.index("course")]


def import_training_csv(
    session: Session,
    school_id: str,
    path: Path,
    *,
    actor: str,
    today: date,
    courses: Collection[str],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import completions of the school's ``courses``: bad rows reported with line and column
    (an unknown course with the likely one), good rows kept; re-importing is a no-op."""
    report = ImportReport()

    def find(rows: list[list[str]]) -> tuple[int, tuple[list[str], str]]:
        found = [_columns(path, cells) for cells in rows] or [_columns(path, [])]
        index = next((i for i, c in enumerate(found) if not isinstance(c, Msg)), None)
        if index is None:
            raise _HeaderError(cast("Msg", found[0]))
        return index, cast("tuple[list[str], str]", found[index])

    try:  # a CSV or a workbook (any sheet, after title rows), read within bounds
        sheet, header_line, (header, course_column) = first_header(read_spreadsheet(path), find)
    except (SpreadsheetError, ValueError) as exc:
        report.errors.append(exc.msg if isinstance(exc, SaidError) else str(exc))
        return report
    people = _people(session, school_id)
    emails = {pid: email for (kind, email), pid in people.items() if kind == "email" and pid}
    known = set(
        session.scalars(
            select(TrainingRecord.import_key).where(TrainingRecord.school_id == school_id)
        )
    )
    for line, cells in sheet.rows():
        if line <= header_line or not any(c.strip() for c in cells):
            continue
        row: dict[str, str | None] = dict(zip(header, cells, strict=False))
        if progress:
            progress(line)
        checked = _check_row(row, people, courses, today, course_column)
        if len(checked) == 2:
            report.errors.append(_line(path.name, line, checked))
            continue
        pid, course, completed = checked
        # the person's key: their address, or for staff without one, its stand-in
        digest = hashlib.sha256(f"{emails[pid]}|{course.lower()}|{completed.isoformat()}".encode())
        key = f"csv:{digest.hexdigest()[:40]}"
        if key in known:
            report.already_present += 1
            continue
        known.add(key)
        session.add(
            TrainingRecord(
                school_id=school_id,
                person_id=pid,
                course=course,
                completed_on=completed,
                provider=(row.get("provider") or "").strip() or None,
                source="csv",
                import_key=key,
            )
        )
        report.imported += 1
    if report.imported:
        audit.record(
            session,
            actor=actor,
            action="training.imported",
            object_type="training",
            school_id=school_id,
            details={"file": path.name, "imported": report.imported, "errors": len(report.errors)},
        )
    return report
