"""Training completions: import from a provider's CSV export, and record one by hand."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.forms import control_character
from bot.core.models import Person, TrainingRecord

__all__ = ["ImportReport", "import_training_csv", "parse_day"]

REQUIRED = ("email", "course", "completed_on")
ALIASES = {
    "email address": "email",
    "e-mail": "email",
    "learner email": "email",
    "course name": "course",
    "module": "course",
    "completed": "completed_on",
    "completion date": "completed_on",
    "date completed": "completed_on",
    "training provider": "provider",
}


@dataclass
class ImportReport:
    """Rows imported, already present, and rejected (with file, line and field)."""

    imported: int = 0
    already_present: int = 0
    errors: list[str] = field(default_factory=list)


def parse_day(text: str) -> date:
    """Accept 2026-09-14, 14/09/2026 or 14.09.2026 (UK day-first); raise ValueError otherwise."""
    value = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r} (use 2026-09-14 or 14/09/2026)")


def _control_characters(row: dict[str, str]) -> str | None:
    """The first column holding a control character, said plainly (None when clean)."""
    for column, value in row.items():
        if isinstance(column, str) and isinstance(value, str):
            found = control_character(value)
            if found:
                return f"{column} contains {found}, which cannot be stored"
    return None


def import_training_csv(
    session: Session,
    school_id: str,
    path: Path,
    *,
    actor: str,
    today: date,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import completions: bad rows reported, good rows kept; re-importing is a no-op."""
    report = ImportReport()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        report.errors.append(f"{path.name}: cannot read the file ({exc})")
        return report
    reader = csv.DictReader(text.splitlines())
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append(
            f"{path.name} line 1: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(header) or 'nothing'})"
        )
        return report
    reader.fieldnames = header
    people = {
        email: pid
        for pid, email in session.execute(
            select(Person.id, Person.email).where(Person.school_id == school_id)
        )
    }
    known = set(
        session.scalars(
            select(TrainingRecord.import_key).where(TrainingRecord.school_id == school_id)
        )
    )
    for row in reader:
        line = reader.line_num
        if progress:
            progress(line)
        bad = _control_characters(row)
        if bad is not None:
            report.errors.append(f"{path.name} line {line}: {bad}")
            continue
        email = (row.get("email") or "").strip().lower()
        course = (row.get("course") or "").strip()
        if not email:
            report.errors.append(f"{path.name} line {line}: email is empty")
            continue
        if email not in people:
            report.errors.append(f"{path.name} line {line}: email {email} is not in the directory")
            continue
        if not course:
            report.errors.append(f"{path.name} line {line}: course is empty")
            continue
        try:
            completed = parse_day(row.get("completed_on") or "")
        except ValueError as exc:
            report.errors.append(f"{path.name} line {line}: completed_on {exc}")
            continue
        if completed > today:
            report.errors.append(
                f"{path.name} line {line}: completed_on {completed} is in the future"
            )
            continue
        key = (
            "csv:"
            + hashlib.sha256(
                f"{email}|{course.lower()}|{completed.isoformat()}".encode()
            ).hexdigest()[:40]
        )
        if key in known:
            report.already_present += 1
            continue
        known.add(key)
        session.add(
            TrainingRecord(
                school_id=school_id,
                person_id=people[email],
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
