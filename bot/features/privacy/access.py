"""Subject access (UK GDPR Art. 15): find the person asked about (never a guess), open the
request as a tracked item with its one-month clock, and gather everything the bot holds about
them, kind by kind; records that are about other people too (a concern naming them as its
subject, another person's report mentioning them) are listed for the DSL's review, never
gathered. Other people's email addresses in what is gathered are replaced by "someone else"."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.core.audit.redact import found_in
from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.guards.emails import is_email
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, say
from bot.core.models import (
    AccountHolder,
    Attestation,
    AuditEvent,
    Complaint,
    Duty,
    ExtraPerson,
    OutboxMessage,
    Person,
    Report,
    TrainingRecord,
)
from bot.core.outbox import bodies
from bot.engine.config_sync import ensure_school
from bot.features.privacy.rules import new_reference, one_month_after
from bot.features.privacy.service import audit_complaint

__all__ = ["AccessError", "Held", "Section", "find_person", "gather", "open_request"]

_WORD = re.compile(r"[^\s\"',;:()<>\[\]{}]+")  # a word of a text (an address is one)


class AccessError(SaidError):
    """The person cannot be found, or the name fits more than one (``str()`` says which)."""


@dataclass(frozen=True)
class Section:
    """One kind of record held: its title, its CSV's name, its header and rows (said cells)."""

    title: str
    filename: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass
class Held:
    """Everything held about one person, and what is listed for the DSL's review instead."""

    person: Person
    sections: list[Section] = field(default_factory=list)
    review: list[tuple[str, str, str]] = field(default_factory=list)  # reference, date, why

    def add(self, title: str, filename: str, header: tuple[str, ...], rows: Iterable[Any]) -> None:
        """A section said in the active language, other people's addresses replaced."""
        email = self.person.email.lower()
        cells = [tuple(_theirs(c, email) for c in row) for row in rows]
        self.sections.append(Section(say(title), filename, tuple(map(say, header)), cells))


def find_person(session: Session, school: SchoolConfig, who: str) -> Person:
    """The person ``who`` names: an email, or a name that fits exactly one person."""
    wanted = who.strip().lower()
    column = Person.email if "@" in wanted else Person.display_name
    found = list(
        session.scalars(
            select(Person)
            .where(Person.school_id == school.id, func.lower(column) == wanted)
            .order_by(Person.email)
        )
    )
    if not found:
        raise AccessError(N_("No one called %(who)s is held for this school."), who=who)
    if len(found) > 1:
        raise AccessError(
            N_(
                "More than one person is called %(who)s: give the email of the one you mean "
                "(%(emails)s)."
            ),
            who=who,
            emails=", ".join(p.email for p in found),
        )
    return found[0]


def open_request(
    session: Session, school: SchoolConfig, person: Person, kind: str, *, now: datetime, actor: str
) -> Complaint:
    """The person's open request of ``kind`` (``access``, ``erasure``), or a new one received
    now: a tracked item, acknowledged as it is logged, its answer due in one month."""
    ensure_school(session, school)
    open_ = session.scalar(
        select(Complaint).where(
            Complaint.school_id == school.id,
            Complaint.kind == kind,
            Complaint.email == person.email.lower(),
            Complaint.outcome_at.is_(None),
        )
    )
    if open_ is not None:
        return open_
    day = now.astimezone(LONDON).date()
    request = Complaint(
        school_id=school.id,
        kind=kind,
        reference=new_reference(day.year),
        received_at=now,
        channel="staff",
        name=person.display_name,
        email=person.email.lower(),
        relationship="staff",
        text="",
        ack_due_on=day,
        acknowledged_at=now,
        acknowledged_how="in_person",
        outcome_due_on=one_month_after(day),
        recorded_by=actor,
    )
    session.add(request)
    session.flush()
    audit_complaint(session, school, actor, f"privacy.{kind}_opened", request)
    return request


def _day(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
    return "" if value is None else value.isoformat()


def _theirs(text: Any, email: str) -> str:
    """``text`` with every email address but theirs replaced (nothing about anyone else)."""
    other = say("someone else")

    def swap(word: re.Match[str]) -> str:
        found = word[0].rstrip(".")
        if "@" not in found or found.lower() == email or not is_email(found, remember=False):
            return word[0]
        return other + word[0][len(found) :]

    return _WORD.sub(swap, str(text or ""))


def _message_text(session: Session, row: OutboxMessage) -> str:
    """The text of a message as sent, where still held (bodies are dropped after 30 days)."""
    if row.body_dropped_at is not None:
        return say("no longer held")
    if row.body_id is not None:
        body = bodies.read(session, [row.body_id]).get(row.body_id)
        if body is None:
            return say("no longer held")
        return str(bodies.resolve_payload(row.payload, body).get("text", ""))
    return str(row.payload.get("text", ""))


def gather(session: Session, school: SchoolConfig, person: Person) -> Held:
    """Every kind of record held about ``person`` (said in the active language)."""
    email, sid, pid = person.email.lower(), school.id, person.id
    held = Held(person)

    def mine(model: Any, order: Any) -> Iterable[Any]:
        return session.scalars(
            select(model).where(model.school_id == sid, model.person_id == pid).order_by(order)
        )

    extra = session.scalar(
        select(ExtraPerson).where(
            ExtraPerson.school_id == sid, func.lower(ExtraPerson.email) == email
        )
    )
    directory = {
        N_("Email"): person.email,
        N_("Name"): person.display_name,
        N_("Job title"): person.job_title or "",
        N_("Started"): _day(person.start_date),
        N_("Left"): _day(person.left_on or (extra.left_on if extra else None)),
        N_("Roles"): ", ".join(sorted(r.role for r in person.roles)),
        N_("Groups"): ", ".join(sorted(g.name for g in person.groups)),
        N_("Language chosen"): person.language or "",
        N_("Where the record came from"): person.source,
    }
    held.add(
        N_("Directory record"),
        "directory.csv",
        (N_("Field"), N_("Value")),
        [(say(k), v) for k, v in directory.items()],
    )
    held.add(
        N_("Duties"),
        "duties.csv",
        (N_("Kind"), N_("Cycle"), N_("Due"), N_("Status"), N_("Closed"), N_("Reminders sent")),
        [
            (d.kind, d.cycle, _day(d.due_on), d.status, _day(d.closed_on), d.reminders_sent)
            for d in mine(Duty, Duty.id)
        ],
    )
    held.add(
        N_("Acknowledgements and signatures"),
        "acknowledgements-and-signatures.csv",
        (
            N_("Kind"),
            N_("When"),
            N_("Statement"),
            N_("Typed name"),
            N_("How"),
            N_("Document SHA-256"),
        ),
        [
            (a.kind, _day(a.at), a.statement, a.typed_name or "", a.method, a.document_sha256)
            for a in mine(Attestation, Attestation.at)
        ],
    )
    held.add(
        N_("Training"),
        "training.csv",
        (N_("Course"), N_("Completed"), N_("Provider"), N_("Recorded")),
        [
            (t.course, _day(t.completed_on), t.provider or "", _day(t.recorded_at))
            for t in mine(TrainingRecord, TrainingRecord.completed_on)
        ],
    )
    held.add(
        N_("Official accounts held"),
        "official-accounts.csv",
        (N_("Account"), N_("Platform"), N_("Since"), N_("Until")),
        [
            (h.account.name, h.account.platform, _day(h.since), _day(h.until))
            for h in mine(AccountHolder, AccountHolder.since)
        ],
    )
    _messages(session, held, sid, email)
    _audit(session, held, sid, email, pid)
    _reports(session, held, sid, email, pid, person.display_name)
    return held


def _messages(session: Session, held: Held, sid: str, email: str) -> None:
    """The messages sent to them (To or Cc), with their text where still held."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.school_id == sid,
            or_(found_in(OutboxMessage.recipients, [email]), found_in(OutboxMessage.cc, [email])),
        )
        .order_by(OutboxMessage.id)
    )
    found = [
        (_day(m.created_at), _day(m.sent_at), m.subject, _message_text(session, m))
        for m in rows
        if email in (a.lower() for a in [*m.recipients, *m.cc])
    ]
    held.add(
        N_("Messages sent to them"),
        "messages.csv",
        (N_("Queued"), N_("Sent"), N_("Subject"), N_("Text")),
        found,
    )


def _audit(session: Session, held: Held, sid: str, email: str, pid: int) -> None:
    """The audit events naming them: as the actor, as the record acted on, or in the details."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.school_id == sid,
            or_(
                func.lower(AuditEvent.actor) == email,
                (AuditEvent.object_type == "person") & (AuditEvent.object_id == str(pid)),
                found_in(AuditEvent.details, [email]),
            ),
        )
        .order_by(AuditEvent.seq)
    )
    held.add(
        N_("Audit events naming them"),
        "audit-events.csv",
        (N_("When"), N_("Who"), N_("What"), N_("Details")),
        [(_day(e.at), e.actor, e.action, e.details) for e in events],
    )


def _reports(session: Session, held: Held, sid: str, email: str, pid: int, name: str) -> None:
    """The reports and complaints they made (their own words), and, listed for review only,
    other people's reports about them or mentioning their name."""
    mine = or_(Report.reporter_id == pid, func.lower(Report.reporter_email) == email)
    others = and_(  # NULL-safe: an anonymous report is another person's
        func.coalesce(Report.reporter_id, 0) != pid,
        func.coalesce(func.lower(Report.reporter_email), "") != email,
    )
    made = session.scalars(select(Report).where(Report.school_id == sid, mine).order_by(Report.id))
    complaints = session.scalars(
        select(Complaint).where(
            Complaint.school_id == sid, Complaint.email == email, Complaint.kind == "complaint"
        )
    )
    held.add(
        N_("Reports and complaints they made"),
        "reports-made.csv",
        (N_("Reference"), N_("Made"), N_("What they wrote"), N_("Where")),
        [(r.reference, _day(r.created_at), r.what_happened, r.location or "") for r in made]
        + [(c.reference, _day(c.received_at), c.text, "") for c in complaints],
    )
    about = or_(
        func.lower(Report.about_person) == email,
        found_in(Report.what_happened, [name]),
        found_in(Report.involved, [name]),
    )
    for r in session.scalars(
        select(Report).where(Report.school_id == sid, about, others).order_by(Report.id)
    ):
        why = (
            N_("a concern naming them as its subject")
            if (r.about_person or "").lower() == email
            else N_("another person's report that mentions their name")
        )
        held.review.append((r.reference, _day(r.created_at), say(why)))
