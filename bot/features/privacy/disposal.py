"""Disposal on time, the proof kept: what has passed its period under the schedule goes.

A person who left longer ago than the school keeps people who left (``retention``): their
acknowledgements, signatures and training records are deleted, and their address and name are
replaced by a pseudonym in every table, in the audit log (``audit.redact``: the chain still
verifies) and in the outbox folder (the .eml files naming them are deleted). A concern report
past its period is deleted with its chronology, deadlines and files. An allegation, a report
still open and a person named by an open allegation are never disposed of by the schedule.
Each run audits what it disposed of, in counts (never names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Date, String, Text, or_, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.audit.redact import DISPOSED, found_in, redact
from bot.core.config.fields import RetentionKind
from bot.core.models import (
    Attestation,
    AuditEvent,
    Base,
    Complaint,
    Decision,
    LegalHold,
    OutboxMessage,
    Person,
    Report,
    ScrGap,
    SealNote,
    TrainingRecord,
)
from bot.features.privacy.retention import cutoff, kind_of_report

__all__ = ["Disposed", "allegations", "dispose_due", "dispose_people", "held", "pseudonym"]

_ACTOR = "system:retention"
_SKIPPED_TABLES = {AuditEvent.__table__, SealNote.__table__}
_DISPOSED_DOMAIN = "disposed.invalid"  # a reserved domain (RFC 2606): never a real address


@dataclass
class Disposed:
    """What one disposal did (counts only)."""

    people: int = 0
    reports: int = 0
    records: dict[str, int] = field(default_factory=dict)  # rows deleted, by table
    rewritten: int = 0  # rows whose personal data became a pseudonym
    audit_events: int = 0
    files: int = 0

    def counts(self) -> dict[str, Any]:
        """Everything, as numbers for the audit event."""
        return {
            "people": self.people,
            "reports": self.reports,
            "deleted": dict(sorted(self.records.items())),
            "rewritten": self.rewritten,
            "audit_events": self.audit_events,
            "outbox_files": self.files,
        }


def pseudonym(person_id: int) -> tuple[str, str]:
    """The name and address a disposed person is kept under (their row's id, nothing more)."""
    return f"former-{person_id}", f"former-{person_id}@{_DISPOSED_DOMAIN}"


def allegations(session: Session, school_id: str) -> dict[str, list[str]]:
    """The references of the allegations naming each address (lower case): an allegation is
    never disposed of by the schedule (IRMS: until retirement age or ten years, which the bot
    cannot tell), nor is the person it names."""
    found: dict[str, list[str]] = {}
    named = select(Report.about_person, Report.reference).where(
        Report.school_id == school_id,
        Report.category == "staff_concern",
        Report.about_person.is_not(None),
    )
    for about, reference in session.execute(named):
        found.setdefault(str(about).lower(), []).append(reference)
    return found


def held(session: Session, school_id: str, subject_type: str) -> dict[int, LegalHold]:
    """The holds in force on ``subject_type`` ("person" or "report"), by the subject's id."""
    rows = session.scalars(
        select(LegalHold).where(
            LegalHold.school_id == school_id,
            LegalHold.subject_type == subject_type,
            LegalHold.lifted_at.is_(None),
        )
    )
    return {hold.subject_id: hold for hold in rows}


def _dependants(table_name: str) -> list[tuple[type[Any], Any]]:
    """Mapped classes with a foreign key to ``table_name``, and that key's column."""
    found = []
    for mapper in Base.registry.mappers:
        for column in mapper.local_table.columns:
            if any(fk.column.table.name == table_name for fk in column.foreign_keys):
                found.append((mapper.class_, getattr(mapper.class_, column.key)))
    return found


def _delete(session: Session, model: type[Any], where: Any, done: Disposed) -> list[Any]:
    """Delete the rows of ``model`` matching ``where`` and, first, the rows that refer to them
    (through the session, so the audit's seals record each deletion)."""
    rows = list(session.scalars(select(model).where(where)))
    if not rows:
        return rows
    ids = [row.id for row in rows]
    for dependant, column in _dependants(model.__table__.name):
        if dependant is not Person:
            _delete(session, dependant, column.in_(ids), done)
    for row in rows:
        session.delete(row)
    session.flush()
    done.records[model.__table__.name] = done.records.get(model.__table__.name, 0) + len(rows)
    return rows


def _replacer(swaps: dict[str, str]) -> tuple[list[str], Any]:
    """The strings to find (longest first) and a function putting their pseudonyms in any
    string, list or mapping (any case). Only an address or a name of two words or more is
    looked for: a one-word name ("Reception", "Sam") would rewrite other people's words."""
    needles = sorted((s for s in swaps if "@" in s or len(s.split()) > 1), key=len, reverse=True)
    lower = {k.lower(): v for k, v in swaps.items()}
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda m: lower[m.group(0).lower()], value)
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {fix(k): fix(v) for k, v in value.items()}
        return value

    return needles, fix


def _rewrite(session: Session, needles: list[str], fix: Any) -> int:
    """Put the pseudonyms in every text and JSON column of every table (through the session:
    the seals follow); the audit log is redacted apart (``audit.redact``)."""
    rewritten = 0
    for mapper in Base.registry.mappers:
        if mapper.persist_selectable in _SKIPPED_TABLES or mapper.inherits is not None:
            continue
        columns = [
            (mapper.get_property_by_column(c).key, c)
            for c in mapper.local_table.columns
            if isinstance(c.type, (String, Text, JSON))
        ]
        if not columns:
            continue
        found = or_(*(found_in(c, needles) for _, c in columns))
        for row in session.scalars(select(mapper.class_).where(found)):
            if isinstance(row, OutboxMessage) and row.status != "sent":
                session.delete(row)  # never sent to someone disposed of, nor rewritten unsent
                continue
            for key, _ in columns:
                value = getattr(row, key)
                if (new := fix(value)) != value:
                    setattr(row, key, new)
            rewritten += 1
    session.flush()
    return rewritten


def _remove_files(outbox_dir: Path | None, needles: list[str]) -> int:
    """Delete the .eml files in the outbox folder that name any of ``needles``."""
    if outbox_dir is None or not outbox_dir.is_dir() or not needles:
        return 0
    removed = 0
    lowered = [n.lower() for n in needles]
    for path in outbox_dir.rglob("*.eml"):
        with path.open("rb") as file:  # headers and text parts decoded (=?utf-8?...?=, base64)
            message = BytesParser(policy=policy.default).parse(file)
        parts = [str(v) for v in message.values()]
        parts += [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
        text = " ".join(parts).lower()
        if any(n in text for n in lowered):
            path.unlink()
            removed += 1
    return removed


def dispose_people(
    session: Session, people: Iterable[Person], outbox_dir: Path | None, done: Disposed
) -> None:
    """Dispose of these people's records now: acknowledgements, signatures and training
    deleted; their address and name a pseudonym everywhere else."""
    swaps: dict[str, str] = {}
    for person in people:
        name, email = pseudonym(person.id)
        swaps |= {person.email: email, person.display_name: name}
        for model in (Attestation, TrainingRecord):
            _delete(session, model, model.person_id == person.id, done)
        person.display_name, person.email = name, email  # whatever else finds them
        person.given_name = person.family_name = person.job_title = None
        person.external_id = person.signin_subject = person.signin_issuer = None
        done.people += 1
    _scrub(session, swaps, outbox_dir, done)


def _scrub(
    session: Session, swaps: dict[str, str], outbox_dir: Path | None, done: Disposed
) -> None:
    needles, fix = _replacer(swaps)
    if not needles:
        return
    done.rewritten += _rewrite(session, needles, fix)
    done.audit_events += redact(session, needles, fix)
    done.files += _remove_files(outbox_dir, needles)


def _due_leavers(session: Session, school: Any, today: date) -> list[Person]:
    before = cutoff("leavers", school, today)
    if before is None:
        return []
    held_addresses, kept = allegations(session, school.id), held(session, school.id, "person")
    left = select(Person).where(
        Person.school_id == school.id,
        Person.left_on.is_not(None),
        Person.left_on < before,
        Person.email.not_like(f"%@{_DISPOSED_DOMAIN}"),
    )
    return [
        p
        for p in session.scalars(left)
        if p.email.lower() not in held_addresses and p.id not in kept
    ]


def _due_reports(session: Session, school: Any, today: date) -> list[Report]:
    """Reports past their period: counted from the report's day, or its closing."""
    due, kept = [], held(session, school.id, "report")
    for report in session.scalars(select(Report).where(Report.school_id == school.id)):
        if report.id in kept:
            continue
        kind = kind_of_report(report.category)
        before = cutoff(kind, school, today)
        if before is None or kind == "allegations":
            continue
        since = report.created_at if kind == "concerns" else report.closed_at
        if report.closed_at is not None and since is not None and since < _start(before):
            due.append(report)
    return due


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# kinds of record disposed of a period after they closed (or were sent): the model, the
# column the period runs from (a date, or a time), and the columns naming people outside
# the school, whose words are taken out of the audit log and the outbox folder too
_CLOSED: tuple[tuple[RetentionKind, type[Any], Any, tuple[str, ...]], ...] = (
    ("complaints", Complaint, Complaint.outcome_at, ("name", "email")),
    ("decisions", Decision, Decision.closed_on, ("subject_name",)),
    ("scr_gaps", ScrGap, ScrGap.closed_on, ()),
    ("messages", OutboxMessage, OutboxMessage.sent_at, ()),
)


def _due_closed(
    session: Session, school: Any, today: date
) -> Iterator[tuple[type[Any], list[Any], tuple[str, ...]]]:
    """The rows of each ``_CLOSED`` kind past its period."""
    for kind, model, since, personal in _CLOSED:
        before = cutoff(kind, school, today)
        if before is not None:
            limit = before if isinstance(since.type, Date) else _start(before)
            where = (model.school_id == school.id) & (since < limit)
            if model is OutboxMessage:
                where &= OutboxMessage.status == "sent"
            yield model, list(session.scalars(select(model).where(where))), personal


def dispose_due(session: Session, school: Any, today: date, outbox_dir: Path | None) -> int:
    """Dispose of everything of ``school`` past its period; audit the counts; how many people
    and reports went."""
    done = Disposed()
    dispose_people(session, _due_leavers(session, school, today), outbox_dir, done)
    staff = select(Person).where(Person.school_id == school.id, Person.left_on.is_(None))
    keep = {w.lower() for p in session.scalars(staff) for w in (p.email, p.display_name)}
    reports = _due_reports(session, school, today)
    swaps: dict[str, str] = {}
    for report in reports:
        for said in (report.reporter_email, report.reporter_name, report.about_person):
            swaps[said or ""] = f"report-{report.id}"
    _delete(session, Report, Report.id.in_([r.id for r in reports]), done)
    done.reports = len(reports)
    for model, rows, personal in _due_closed(session, school, today):
        for row in rows:
            swaps |= {getattr(row, c) or "": f"{model.__tablename__}-{row.id}" for c in personal}
        _delete(session, model, model.id.in_([row.id for row in rows]), done)
    _scrub(session, {k: v for k, v in swaps.items() if k.lower() not in keep}, outbox_dir, done)
    if done.people or done.reports or done.records:
        audit.record(
            session,
            actor=_ACTOR,
            action=DISPOSED,
            object_type="retention",
            school_id=school.id,
            details={"on": today.isoformat(), **done.counts()},
        )
    return done.people + done.reports
