"""Complaints in the database and the outbox: receive (and acknowledge at once), read (audited),
record the acknowledgement, the outcome date and the outcome, warn before each deadline, count.

Every read and change is audited without contents (reference and fields only). Emails carry
a reference and dates, never what was written; the outcome email carries the outcome the
reader wrote for the complainant, and nothing of the complaint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.guards.forms import SaidError, Text, parse_iso_date
from bot.core.language.i18n import N_, Day, Msg, Said, say
from bot.core.language.words import day_and_time, said_words, school_words
from bot.core.models import Complaint
from bot.core.nations import pack_for
from bot.core.outbox import Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.engine.config_sync import ensure_school
from bot.features.privacy.rules import (
    ACK_HOW,
    Counts,
    Dates,
    Submission,
    ack_due,
    count_by_period,
    may_warn_now,
    new_reference,
    one_month_after,
    warning_stage,
)
from bot.features.reports.api import in_working_hours

__all__ = [
    "ComplaintError",
    "Summary",
    "acknowledge",
    "audit_complaint",
    "complaint_counts",
    "find",
    "law_sets_period",
    "listing",
    "readers",
    "receive",
    "record_outcome",
    "set_outcome_due",
    "summary",
    "warn",
    "words_for",
]


class ComplaintError(SaidError):
    """A change that cannot be made; ``str()`` says why in plain words (``msg``: said where
    shown)."""


def readers(school: SchoolConfig) -> list[str]:
    """The addresses of the people who read complaints (``complaints.readers``)."""
    by_role = {
        "dpo": [school.dpo] if school.dpo else [],
        "headteacher": [school.headteacher],
        "chair_of_governors": [school.chair_of_governors] if school.chair_of_governors else [],
        "admin": list(school.admins),
    }
    found: list[str] = []
    for role in school.complaints.readers:
        found += [a for a in by_role[role] if a not in found]
    return found


def audit_complaint(
    session: Session,
    school: SchoolConfig,
    actor: str,
    action: str,
    complaint: Complaint | None,
    **details: object,
) -> None:
    """One audited read or change: of a complaint (its reference, never content), or of the
    list (``complaint`` None)."""
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="complaint" if complaint is not None else "complaint_list",
        object_id=complaint.id if complaint is not None else None,
        school_id=school.id,
        details={"reference": complaint.reference, **details}
        if complaint is not None
        else dict(details),
    )


def _send(
    session: Session,
    school: SchoolConfig,
    c: Complaint,
    key: str,
    to: Sequence[str],
    subject: Text,
    paragraphs: list[Text],
    facts: list[tuple[Text, Text]],
    *,
    purpose: str,
    button: str | None = None,
    stage: str = "",
) -> bool:
    """An email about ``c``, its reference and receipt before ``facts``, queued once per ``key``
    (``complaint-<key>:<school>:<reference><stage>``); never what was written."""
    if not to:
        return False
    draft = notice(
        school=school,
        to=list(to),
        subject=subject,
        paragraphs=paragraphs,
        facts=[
            (Msg(N_("Reference")), c.reference),
            (Msg(N_("Received")), day_and_time(c.received_at)),
            *facts,
        ],
        button_url=button,
        button_text=Msg(N_("Open the complaint (sign-in required)")),
        small=Msg(N_("For privacy this email does not repeat what was written.")),
    )
    key = f"complaint-{key}:{school.id}:{c.reference}{stage}"
    return enqueue_email(
        session, school_id=school.id, key=key, purpose=purpose, urgency=Urgency.WAITING, draft=draft
    )


def law_sets_period(school: SchoolConfig) -> bool:
    """Whether the law of the school's nation sets the days to acknowledge a complaint (the
    UK's does; an island's does not: there the 30 days are the school's own target)."""
    return pack_for(school.country).complaints.acknowledge_days is not None


# what the readers are told of the acknowledgement: by (the law sets its days, done already)
_ACK_RULE = {
    (True, True): N_(
        "The law asks the school to acknowledge it within 30 days (done: the bot acknowledged "
        "it by email) and to tell the complainant the outcome without undue delay."
    ),
    (True, False): N_(
        "The law asks the school to acknowledge it within 30 days (not done yet: no email "
        "address was given) and to tell the complainant the outcome without undue delay."
    ),
    (False, True): N_(
        "No law here sets a period to acknowledge it: the school's own target is 30 days (done: "
        "the bot acknowledged it by email), and it tells the complainant the outcome as soon as "
        "it can."
    ),
    (False, False): N_(
        "No law here sets a period to acknowledge it: the school's own target is 30 days (not "
        "done yet: no email address was given), and it tells the complainant the outcome as soon "
        "as it can."
    ),
}


def _acknowledgement(session: Session, school: SchoolConfig, c: Complaint) -> None:
    assert c.email is not None
    words = said_words(school_words(school))
    sent = _send(
        session,
        school,
        c,
        "ack",
        [c.email],
        Msg(N_("We received your data protection complaint %(reference)s"), reference=c.reference),
        [
            Msg(
                N_(
                    "Thank you. %(school)s has received your complaint about how it handles "
                    "personal data. The school will look into it and tell you the outcome. Please "
                    "quote your reference if you contact the school about it."
                ),
                school=school.name,
            ),
            Msg(
                N_(
                    "You can also complain to %(regulator)s (%(url)s), who will usually ask you to "
                    "let the school answer first."
                ),
                regulator=words.regulator_full,
                url=words.regulator_complaints,
            ),
        ],
        [(Msg(N_("Outcome expected by")), Day(c.outcome_due_on))],
        purpose="complaint_ack",
    )
    if sent:
        c.acknowledged_at, c.acknowledged_how = c.received_at, "email"


def receive(
    session: Session,
    school: SchoolConfig,
    sub: Submission,
    *,
    now: datetime,
    channel: str,
    actor: str,
    received: datetime | None = None,
    form_key: str | None = None,
) -> Complaint:
    """Store a complaint under a new reference, tell its readers (no contents) and, with an
    email address, acknowledge it at once (day 0 of the 30). Audited. ``form_key``: the key of
    the form it came from; one already stored raises IntegrityError (see ``sent_before``)."""
    ensure_school(session, school)
    when = received or now
    day = when.astimezone(LONDON).date()
    complaint = Complaint(
        school_id=school.id,
        received_at=when,
        channel=channel,
        name=sub.name,
        email=sub.email,
        relationship=sub.relationship,
        text=sub.text,
        wanted=sub.wanted,
        safeguarding_confirmed=sub.confirmed,
        ack_due_on=ack_due(day),
        outcome_due_on=date.fromordinal(day.toordinal() + school.complaints.outcome_days),
        recorded_by=actor,
        form_key=form_key,
    )
    for _ in range(8):  # a random reference; another on the rare clash
        complaint.reference = new_reference(day.year)
        try:
            with session.begin_nested():
                session.add(complaint)
                session.flush()
            break
        except IntegrityError:
            if form_key is not None and sent_before(session, school.id, form_key):
                raise  # the same form, stored already: no new reference cures that
            continue
    else:  # pragma: no cover - 31**5 codes a year
        raise ComplaintError(N_("no free reference: please try again"))
    if complaint.email:
        _acknowledgement(session, school, complaint)
    _send(
        session,
        school,
        complaint,
        "new",
        readers(school),
        Msg(N_("New data protection complaint %(reference)s"), reference=complaint.reference),
        [
            Msg(
                N_(
                    "A complaint about how the school handles personal data has arrived. This "
                    "email does not say what it is about: sign in to read it."
                )
            ),
            Msg(_ACK_RULE[(law_sets_period(school), complaint.acknowledged_at is not None)]),
        ],
        [
            (Msg(N_("Acknowledge by")), Day(complaint.ack_due_on)),
            (Msg(N_("Outcome due")), Day(complaint.outcome_due_on)),
        ],
        purpose="complaint_alert",
        button=None,
    )
    audit_complaint(
        session,
        school,
        actor,
        "complaint.received",
        complaint,
        channel=channel,
        acknowledged=complaint.acknowledged_at is not None,
        safeguarding_confirmed=sub.confirmed,
    )
    return complaint


def sent_before(session: Session, school_id: str, form_key: str) -> Complaint | None:
    """The complaint already stored from this same form (a double click, or Refresh and send
    again), or None."""
    return session.scalar(
        select(Complaint).where(Complaint.school_id == school_id, Complaint.form_key == form_key)
    )


def find(
    session: Session,
    school: SchoolConfig,
    reference: str,
    actor: str,
    kinds: Sequence[str] = ("complaint",),
    read: str | None = "complaint.read",
) -> Complaint | None:
    """One request of ``kinds`` by its reference, or None; found, its ``read`` audited (None:
    the caller audits what it does with it)."""
    complaint = session.scalar(
        select(Complaint).where(
            Complaint.school_id == school.id,
            Complaint.reference == reference,
            Complaint.kind.in_(kinds),
        )
    )
    if complaint is not None and read is not None:
        audit_complaint(session, school, actor, read, complaint)
    return complaint


def listing(
    session: Session, school: SchoolConfig, actor: str, kinds: Sequence[str] = ("complaint",)
) -> list[Complaint]:
    """Every request of ``kinds``, newest first (the list shows references and dates);
    audited (complaints' list apart from the DPO's requests)."""
    found = list(
        session.scalars(
            select(Complaint)
            .where(Complaint.school_id == school.id, Complaint.kind.in_(kinds))
            .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        )
    )
    action = "complaint.list_read" if list(kinds) == ["complaint"] else "privacy.list_read"
    audit_complaint(session, school, actor, action, None, shown=len(found))
    return found


def acknowledge(
    session: Session, school: SchoolConfig, c: Complaint, *, how: str, on: datetime, actor: str
) -> None:
    """Record an acknowledgement made by the school itself (letter, phone, in person)."""
    if c.acknowledged_at is not None:
        raise ComplaintError(
            N_("%(reference)s was acknowledged on %(when)s"),
            reference=c.reference,
            when=day_and_time(c.acknowledged_at),
        )
    if how not in ACK_HOW or how == "email":
        raise ComplaintError(N_("Choose how it was acknowledged."))
    if on < c.received_at.replace(hour=0, minute=0, second=0, microsecond=0):
        raise ComplaintError(N_("The acknowledgement cannot be before the complaint arrived."))
    c.acknowledged_at, c.acknowledged_how = on, how
    audit_complaint(session, school, actor, "complaint.acknowledged", c, how=how)


def set_outcome_due(
    session: Session, school: SchoolConfig, c: Complaint, typed: str | None, actor: str
) -> None:
    """Move the date the school means to give the outcome by, as typed (YYYY-MM-DD; a person's
    request at most two further months after its one, Art. 12(3)); audited, old and new dates."""
    day = parse_iso_date(typed)
    if day is None:
        raise ComplaintError(N_("Give the date as YYYY-MM-DD."))
    received = c.received_at.astimezone(LONDON).date()
    latest = one_month_after(one_month_after(one_month_after(received)))
    if c.kind != "complaint" and day > latest:
        raise ComplaintError(
            N_("The law allows at most two further months: answer by %(latest)s."),
            latest=Day(latest),
        )
    if day < received or (day - received).days > 365:
        raise ComplaintError(
            N_("The outcome date must be after the complaint arrived, and within a year of it.")
        )
    old, c.outcome_due_on = c.outcome_due_on, day
    audit_complaint(
        session,
        school,
        actor,
        "complaint.outcome_due_set",
        c,
        old=old.isoformat(),
        new=day.isoformat(),
    )


def record_outcome(
    session: Session, school: SchoolConfig, c: Complaint, outcome: str, *, now: datetime, actor: str
) -> bool:
    """Record the outcome and tell the complainant by email when they gave an address (True
    then); otherwise the reader tells them another way. Recorded once, never overwritten."""
    if c.outcome_at is not None:
        raise ComplaintError(
            N_("The outcome of %(reference)s was recorded on %(when)s."),
            reference=c.reference,
            when=day_and_time(c.outcome_at),
        )
    text = outcome.strip()
    words = said_words(school_words(school))
    if not text:
        raise ComplaintError(N_("Write the outcome, as the complainant will read it."))
    c.outcome, c.outcome_at = text[:5000], now
    if c.acknowledged_at is None:  # telling the outcome acknowledges it too
        c.acknowledged_at, c.acknowledged_how = now, "email" if c.email else "letter"
    emailed = False
    if c.email:
        emailed = _send(
            session,
            school,
            c,
            "outcome",
            [c.email],
            Msg(
                N_("The outcome of your data protection complaint %(reference)s"),
                reference=c.reference,
            ),
            [
                Msg(
                    N_("%(school)s has looked into your complaint. The outcome:"),
                    school=school.name,
                ),
                text,
                Msg(
                    N_("If you are not satisfied, you can complain to %(regulator)s (%(url)s)."),
                    regulator=words.regulator_full,
                    url=words.regulator_complaints,
                ),
            ],
            [(Msg(N_("Outcome")), Day(now.astimezone(LONDON).date()))],
            purpose="complaint_outcome",
        )
    c.outcome_how = "email" if emailed else "other"
    audit_complaint(session, school, actor, "complaint.outcome_recorded", c, emailed=emailed)
    return emailed


def warn(
    session: Session, school: SchoolConfig, now: datetime, *, base_url: str, write: bool
) -> int:
    """Warn the readers before each open clock runs out (acknowledgement, then outcome), in
    working hours on school days; each stage once (its outbox key). Returns warnings queued."""
    today = now.astimezone(LONDON).date()
    hours = in_working_hours(school, now)
    to = readers(school)
    sent = 0
    open_ = session.scalars(
        select(Complaint).where(Complaint.school_id == school.id, Complaint.outcome_at.is_(None))
    )
    for c in open_:
        ack = c.acknowledged_at
        clock, due, started = (
            ("ack", c.ack_due_on, c.received_at)
            if ack is None
            else ("outcome" if c.kind == "complaint" else "answer", c.outcome_due_on, ack)
        )
        stage = warning_stage(
            started.astimezone(LONDON).date(),
            due,
            today,
            school,
            school.complaints.warn_days_before,
        )
        if stage is None or not may_warn_now(school, today, due, hours) or not write:
            continue
        late = stage[0] == "overdue"
        ref = {"reference": c.reference, "due": Day(due)}
        subject, sentence = {
            ("ack", True): (
                N_("Overdue: acknowledge data protection complaint %(reference)s"),
                N_(
                    "The school has not yet acknowledged complaint %(reference)s and "
                    "the date has passed."
                ),
            ),
            ("ack", False): (
                N_("Due: acknowledge data protection complaint %(reference)s"),
                N_("The school still needs to acknowledge complaint %(reference)s by %(due)s."),
            ),
            ("outcome", True): (
                N_("Overdue: give the outcome of data protection complaint %(reference)s"),
                N_(
                    "The school has not yet given the outcome of complaint %(reference)s and "
                    "the date has passed."
                ),
            ),
            ("outcome", False): (
                N_("Due: give the outcome of data protection complaint %(reference)s"),
                N_(
                    "The school still needs to give the outcome of complaint %(reference)s by "
                    "%(due)s."
                ),
            ),
            ("answer", True): (
                N_("Overdue: answer data protection request %(reference)s"),
                N_(
                    "The school has not yet answered request %(reference)s and the date has passed."
                ),
            ),
            ("answer", False): (
                N_("Due: answer data protection request %(reference)s"),
                N_("The school still needs to answer request %(reference)s by %(due)s."),
            ),
        }[(clock, late)]
        sent += _send(
            session,
            school,
            c,
            "warn",
            to,
            Msg(subject, **ref),
            [Msg(sentence, **ref)],
            [(Msg(N_("Due")), Day(due))],
            purpose="complaint_warning",
            button=f"{base_url}/complaints/{c.reference}",
            stage=f":{clock}:{stage[0]}",
        )
    return sent


def _dates(session: Session, school_id: str, tz: ZoneInfo) -> list[Dates]:
    """Each complaint's dates in the school's zone (what the counts read: never content)."""

    def day(moment: datetime | None) -> date | None:
        return None if moment is None else moment.astimezone(tz).date()

    rows = session.execute(
        select(
            Complaint.received_at,
            Complaint.ack_due_on,
            Complaint.acknowledged_at,
            Complaint.outcome_due_on,
            Complaint.outcome_at,
        ).where(Complaint.school_id == school_id, Complaint.kind == "complaint")
    )
    return [
        Dates(
            r.received_at.astimezone(tz).date(),
            r.ack_due_on,
            day(r.acknowledged_at),
            r.outcome_due_on,
            day(r.outcome_at),
        )
        for r in rows
    ]


def complaint_counts(
    session: Session, school_id: str, period: str, tz: ZoneInfo = LONDON
) -> list[Counts]:
    """Counts and timeliness per period of receipt (for the regulations' reporting)."""
    return count_by_period(_dates(session, school_id, tz), period)


@dataclass(frozen=True)
class Summary:
    """The last 12 months at a glance (the dashboard, the evidence pack): counts only."""

    counts: Counts | None
    overdue: int  # open complaints past their acknowledgement or outcome date


def summary(session: Session, school_id: str, today: date, tz: ZoneInfo = LONDON) -> Summary:
    """Complaints received in the 365 days to ``today``: counts, timeliness, overdue now."""
    recent = [d for d in _dates(session, school_id, tz) if (today - d.received).days < 365]
    overdue = sum(
        1
        for d in recent
        if d.outcome is None
        and ((d.acknowledged is None and d.ack_due < today) or d.outcome_due < today)
    )
    found = count_by_period(recent, "all")
    return Summary(found[0] if found else None, overdue)


def words_for(school: SchoolConfig) -> Said:
    """Who reads complaints, in the school's words, said where shown ('the data protection
    officer and the headteacher'; 'y swyddog diogelu data a'r pennaeth')."""
    words = said_words(school_words(school))

    def build() -> str:
        names = {
            "dpo": say("the data protection officer"),
            "headteacher": say("the %(headteacher)s", headteacher=words.headteacher),
            "chair_of_governors": say("the %(chair)s", chair=words.chair),
            "admin": say("the school's administrators"),
        }
        parts = [names[r] for r in school.complaints.readers]
        joined = parts[-1]
        for part in reversed(parts[:-1]):
            sentence = (
                N_("%(first)s and %(last)s") if joined is parts[-1] else N_("%(first)s, %(last)s")
            )
            joined = say(sentence, first=part, last=joined)
        # Welsh "a" + "y"/"yr" is written "a'r" (the conjunction before the article)
        return joined.replace(" a y ", " a'r ").replace(" a yr ", " a'r ")

    return Said(build)
