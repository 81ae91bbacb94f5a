"""Taking a report in: the public link's token, references, storing a report with its clock
and attachments, and queuing the at-once alert and the receipt (the form's rate limit is
``bot.core.guards.ratelimit``, recorded in the same transaction).

Nothing queued here carries what was reported, who is involved or who reported it: alerts
and receipts give the reference, category, urgency and deadline only.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.audit.seals import record_at_commit
from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.files.stored_files import remove_files
from bot.core.files.uploads import CleanFile, store_file
from bot.core.guards.forms import REFERENCE_ALPHABET, Text
from bot.core.language.i18n import N_, Joined, Msg, Said, say, speaking
from bot.core.language.said_forms import capital, lowered
from bot.core.language.words import day_and_time, said_words, school_words
from bot.core.models import Person, Report, ReportAttachment, ReportClock
from bot.core.outbox import Urgency, enqueue_card, enqueue_email
from bot.core.rendering.cards import teams_workflow_payload
from bot.core.rendering.messages import notice
from bot.engine.config_sync import ensure_school
from bot.features.reports.chat_alerts import alert_cards, queue_concern_alerts
from bot.features.reports.chronology import IMMEDIATE_RISK, NOBODY_ALERTED
from bot.features.reports.chronology import withheld as withheld_line
from bot.features.reports.routing import alert_recipients, nobody_alerted
from bot.features.reports.rules import (
    CATEGORIES,
    REFERENCE_CODE_LENGTH,
    URGENCIES,
    assess_urgency,
    clock_due,
    clock_kind,
    clock_labels,
    describe_clock,
    format_reference,
    illegal_content_advice,
    is_suspected_illegal,
)
from bot.features.reports.subject import system_note, tell_line_manager
from bot.features.reports.submission import Submission

__all__ = [
    "Intake",
    "link_token",
    "next_reference",
    "read_link_token",
    "store_files",
    "submit_report",
]

log = logging.getLogger(__name__)

REFERENCE_ATTEMPTS = 20
LINK_SALT = "compliance-bot/report-link"

# --------------------------------------------------------------------------- public link


def link_token(secret: str, school_id: str) -> str:
    """The signed token in a school's public report link (``/report/<school>/<token>``)."""
    return str(URLSafeSerializer(secret, salt=LINK_SALT).dumps({"s": school_id}))


def read_link_token(secret: str, school_id: str, token: str) -> bool:
    """Whether ``token`` is this school's genuine public report link."""
    try:
        payload = URLSafeSerializer(secret, salt=LINK_SALT).loads(token)
    except BadSignature:
        return False
    return isinstance(payload, dict) and payload.get("s") == school_id


# --------------------------------------------------------------------------- attachments


def store_files(
    session: Session, folder: Path, files: Sequence[CleanFile], model: type[Any], **owner: Any
) -> list[Path]:
    """Write checked files in ``folder`` under random names (owner-only), each recorded as a
    ``model`` row of ``owner`` (a report's attachments, a decision's files); what was written
    is removed if that fails. The caller removes the paths if its commit fails."""
    stored: list[Path] = []
    try:
        for clean in files:
            path = store_file(folder, clean)
            stored.append(path)
            session.add(
                model(
                    **owner,
                    filename=clean.filename,
                    content_type=clean.content_type,
                    size=len(clean.data),
                    sha256=clean.sha256,
                    stored_as=path.name,
                )
            )
        session.flush()
    except BaseException:
        remove_files(stored)
        raise
    return stored


# --------------------------------------------------------------------------- intake


@dataclass(frozen=True)
class Intake:
    """What storing a report did (no contents)."""

    report_id: int
    reference: str
    urgency: str
    suspected_illegal: bool
    immediate_risk: bool
    receipt: bool
    files_stored: int
    files_withheld: int
    stored_paths: tuple[Path, ...] = ()


def next_reference(year: int) -> str:
    """A new random reference for the year (never sequential); the database's uniqueness
    rule tells whether it is already taken (``_store_with_reference``)."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_CODE_LENGTH))
    return format_reference(year, code)


def _store_with_reference(session: Session, report: Report, year: int) -> str:
    """Insert the report under a random reference of its own; another one on a clash."""
    for _ in range(REFERENCE_ATTEMPTS):
        reference = report.reference = next_reference(year)
        try:
            with session.begin_nested():
                session.add(report)
                session.flush()
        except IntegrityError:
            taken = select(Report.id).where(
                Report.school_id == report.school_id, Report.reference == reference
            )
            if session.scalar(taken) is None:
                raise  # not a clash of references: a real fault, for the caller to report
            continue
        return reference
    raise RuntimeError("could not allocate a report reference")  # pragma: no cover


def _queue_alerts(
    session: Session,
    school: SchoolConfig,
    report: Report,
    clock: ReportClock,
    *,
    base_url: str,
    channel_card: bool,
) -> None:
    """The at-once alert: category, urgency, reference, deadline and a sign-in link only."""
    away = session.execute(
        select(func.lower(Person.email), Person.active, Person.display_name).where(
            Person.school_id == school.id,
            Person.active.is_(False) | Person.missing_since.is_not(None),
        )
    ).all()
    recipients = alert_recipients(
        school,
        report.category,
        report.about_headteacher,
        report.about_person,
        left=frozenset(email for email, active, _ in away if not active),
        missing=frozenset(email for email, active, _ in away if active),
    )
    url = f"{base_url}/reports/{report.reference}"
    words = said_words(school_words(school))
    labels = clock_labels(school_words(school))
    label = Msg(CATEGORIES[report.category])
    urgency = Msg(URGENCIES[report.urgency])
    paragraphs: list[Text] = [
        Msg(
            N_(
                "A new report (%(category)s) has been made to %(school)s. To protect the people "
                "involved, this email does not say what was reported, who is involved or who "
                "reported it: sign in to read it."
            ),
            category=lowered(label),
            school=school.name,
        )
    ]
    if report.urgency == "immediate":
        paragraphs.append(Msg(N_("It is marked immediate: please look at it now.")))
    if report.suspected_illegal:
        paragraphs.append(illegal_content_advice(school_words(school)))
    rule = describe_clock(school.clock_rule(clock.kind, report.urgency))
    due = day_and_time(clock.due_at)
    paragraphs.append(
        Msg(
            N_(
                "Deadline: %(clock)s (%(rule)s) by %(due)s. The bot reminds you before it runs "
                "out, and keeps reminding you (the %(chair)s too) for a while after it if nothing "
                "is recorded."
            ),
            clock=labels[clock.kind],
            rule=rule,
            due=due,
            chair=words.chair,
        )
    )
    if recipients:
        draft = notice(
            school=school,
            to=recipients,
            subject=Msg(
                N_("New report %(reference)s: %(category)s (%(urgency)s urgency)"),
                reference=report.reference,
                category=label,
                urgency=lowered(urgency),
            ),
            paragraphs=paragraphs,
            facts=[
                (Msg(N_("Reference")), report.reference),
                (Msg(N_("Category")), label),
                (Msg(N_("Urgency")), urgency),
                (Msg(N_("Received")), day_and_time(report.created_at)),
                (Msg(N_("Deadline")), Joined((labels[clock.kind], due), ": ")),
            ],
            button_url=url,
            button_text=Msg(N_("Open the report (sign-in required)")),
            small=Msg(
                N_(
                    "You receive this as the school's %(dsl)s or %(deputy)s, or because the "
                    "report needs the %(head)s, the %(chair)s or the data protection officer."
                ),
                dsl=words.dsl,
                deputy=words.deputy_dsl,
                head=words.headteacher,
                chair=words.chair,
            ),
        )
        enqueue_email(
            session,
            school_id=school.id,
            key=f"report-alert:{school.id}:{report.reference}",
            purpose="report_alert",
            urgency=Urgency.SAFEGUARDING,
            draft=draft,
        )
    else:
        named = alert_recipients(  # as if everyone were here, the head standing in for all
            school,
            report.category,
            report.about_headteacher,
            report.about_person,
            missing=frozenset(email for email, _, _ in away),
        )
        left = {email: name for email, active, name in away if not active}
        gone = {email: left[email] for email in named if email in left}
        system_note(
            session,
            report,
            report.created_at,
            nobody_alerted(school, gone)
            if gone
            else Msg(NOBODY_ALERTED, dsl=words.dsl, head=words.headteacher),
        )
    with speaking(school.language):
        # the same people, in Teams within seconds: those the school's bot reaches
        queue_concern_alerts(
            session,
            school.id,
            school.name,
            recipients,
            reference=report.reference,
            urgency=URGENCIES[report.urgency],
            url=url,
            now=report.created_at,
        )
        if channel_card and not report.about_headteacher and not report.about_person:
            _queue_channel_card(session, school, report, url)


def _queue_channel_card(session: Session, school: SchoolConfig, report: Report, url: str) -> None:
    """The card in the school's channel, which may be read by many: staff allegations show as
    "confidential" (said in the active language)."""
    label = Msg(CATEGORIES[report.category])
    shown = Msg(N_("confidential")) if report.category == "staff_concern" else lowered(label)
    title = say(N_("New report %(reference)s"), reference=report.reference)
    team = Said(
        lambda: (
            str(said_words(school_words(school)).dsl_team).removeprefix("the ").removeprefix("y ")
        )
    )
    text = say(
        N_("Urgency: %(urgency)s · %(what)s. %(team)s: sign in to read it."),
        urgency=lowered(Msg(URGENCIES[report.urgency])),
        what=shown,
        team=capital(team),
    )
    key = f"report-card:{school.id}:{report.reference}"
    card_id = hashlib.sha256(key.encode()).hexdigest()[:16]
    teams, chat = alert_cards(
        title, [text], url, card_id, open_text=say(N_("Open (sign-in required)"))
    )
    enqueue_card(
        session,
        school_id=school.id,
        key=key,
        purpose="report_alert",
        urgency=Urgency.SAFEGUARDING,
        title=title,
        text=text,
        teams=teams_workflow_payload(teams),
        chat=chat,
    )


def _queue_receipt(session: Session, school: SchoolConfig, report: Report, email: str) -> None:
    """A receipt for the reporter: reference and time only, never what they wrote (in the
    school's language)."""
    draft = notice(
        school=school,
        to=[email],
        subject=Msg(N_("We received your report %(reference)s"), reference=report.reference),
        paragraphs=[
            Msg(
                N_(
                    "Thank you. Your report reached %(school)s's safeguarding team. They will "
                    "decide what to do next; you may not hear about the outcome, to protect the "
                    "people involved."
                ),
                school=school.name,
            ),
            Msg(
                N_(
                    "If a child is in immediate danger, call 999. If you remember something "
                    "else, tell the %(dsl)s and quote your reference."
                ),
                dsl=said_words(school_words(school)).dsl_full,
            ),
        ],
        facts=[
            (Msg(N_("Reference")), report.reference),
            (Msg(N_("Received")), day_and_time(report.created_at)),
        ],
        small=Msg(N_("For privacy this email does not repeat what you reported.")),
    )
    enqueue_email(
        session,
        school_id=school.id,
        key=f"report-receipt:{school.id}:{report.reference}",
        purpose="report_receipt",
        urgency=Urgency.WAITING,
        draft=draft,
    )


def received_before(
    session: Session, school_id: str, source_ref: str, sub: Submission, files: int
) -> Intake | None:
    """What the page said when this same form was stored before (a double click, or Refresh
    and send again: one form, one report), or None when it was not."""
    report = session.scalar(
        select(Report).where(Report.school_id == school_id, Report.source_ref == source_ref)
    )
    if report is None:
        return None
    stored = session.scalar(select(func.count()).where(ReportAttachment.report_id == report.id))
    return Intake(
        report_id=report.id,
        reference=report.reference,
        urgency=report.urgency,
        suspected_illegal=report.suspected_illegal,
        immediate_risk=sub.immediate_risk,
        receipt=bool(report.reporter_email),
        files_stored=stored or 0,
        files_withheld=files if report.suspected_illegal else 0,
    )


def submit_report(
    session: Session,
    school: SchoolConfig,
    sub: Submission,
    *,
    now: datetime,
    base_url: str,
    actor: str,
    files: Sequence[CleanFile] = (),
    uploads_dir: Path | None = None,
    source: str = "web",
    source_ref: str | None = None,
    reporter_id: int | None = None,
    channel_card: bool = False,
) -> Intake:
    """Store a report with its clock, attachments, alerts and receipt in the caller's
    transaction; the caller commits before telling the reporter it was received.

    Args:
        session: an open transaction.
        school: the school the report is for.
        sub: the validated submission.
        now: when the school became aware (the clock starts here).
        base_url: the web app's address, for the sign-in link in alerts.
        actor: who to name in the audit log ("public-link", an email, "system:forms").
        files: accepted attachments (withheld when the report may involve illegal content).
        uploads_dir: where attachments are stored (required when ``files`` is not empty).
        source: "web" or "form".
        source_ref: the external form's response id, or the web form's own key (``web:…``).
        reporter_id: the signed-in reporter (None when anonymous or unknown).
        channel_card: also post a card to the school's channel.

    Returns:
        The reference and what was done. ``stored_paths`` lets the caller delete the files if
        its commit fails.
    """
    ensure_school(session, school)
    sub = replace(sub, suspected_illegal=is_suspected_illegal(sub.category, sub.suspected_illegal))
    urgency = assess_urgency(sub.category, sub.suspected_illegal, sub.immediate_risk)
    report = Report(
        school_id=school.id,
        category=sub.category,
        urgency=urgency,
        status="new",
        involved=[{"role": role, "names": names} for role, names in sub.involved],
        what_happened=sub.what_happened,
        occurred_at=sub.occurred,
        location=sub.location,
        actions_taken=sub.actions_taken,
        anonymous=sub.anonymous,
        reporter_id=None if sub.anonymous else reporter_id,
        reporter_name=None if sub.anonymous else sub.reporter_name,
        reporter_email=None if sub.anonymous else sub.reporter_email,
        reporter_relationship=sub.reporter_relationship,
        about_headteacher=sub.about_headteacher,
        about_person=sub.about_person,
        suspected_illegal=sub.suspected_illegal,
        source=source,
        source_ref=source_ref,
        created_at=now,
    )
    reference = _store_with_reference(session, report, now.astimezone(LONDON).year)
    words = school_words(school)
    if sub.suspected_illegal:
        system_note(session, report, now, illegal_content_advice(words))
    if sub.immediate_risk:
        system_note(session, report, now, Msg(IMMEDIATE_RISK, dsl=said_words(words).dsl))
    kind = clock_kind(sub.category)
    clock = ReportClock(
        school_id=school.id,
        report_id=report.id,
        kind=kind,
        started_at=now,
        due_at=clock_due(kind, now, school, urgency=urgency),
        escalations_sent=0,
    )
    session.add(clock)
    withheld = len(files) if sub.suspected_illegal else 0
    if withheld:
        system_note(session, report, now, withheld_line(withheld))
    if files and not withheld and uploads_dir is None:
        raise ValueError("uploads_dir is required to store attachments")
    session.flush()
    if sub.about_person:
        subject = session.scalar(
            select(Person).where(Person.school_id == school.id, Person.email == sub.about_person)
        )
        if subject is not None:
            tell_line_manager(session, school, report, subject, now)
    _queue_alerts(session, school, report, clock, base_url=base_url, channel_card=channel_card)
    if report.reporter_email:
        _queue_receipt(session, school, report, report.reporter_email)
    # files last: if anything above fails, nothing is left on disk
    stored: list[Path] = []
    if files and not withheld and uploads_dir is not None:
        stored = store_files(
            session,
            uploads_dir / "reports" / school.id,
            files,
            ReportAttachment,
            school_id=school.id,
            report_id=report.id,
        )
    # recorded as the caller commits, with the seals of what was stored: the audit chain's head
    # is one row every writer takes in turn, so it is held for the commit alone
    record_at_commit(
        session,
        audit.Entry(
            actor=actor,
            action="report.created",
            object_type="report",
            object_id=report.id,
            school_id=school.id,
            details={
                "category": sub.category,
                "urgency": urgency,
                "source": source,
                "attachments": 0 if sub.suspected_illegal else len(files),
            },
        ),
    )
    log.info("report %s stored for %s (%s, %s)", reference, school.id, sub.category, urgency)
    return Intake(
        report_id=report.id,
        reference=reference,
        urgency=urgency,
        suspected_illegal=sub.suspected_illegal,
        immediate_risk=sub.immediate_risk,
        receipt=bool(report.reporter_email),
        files_stored=len(stored),
        files_withheld=withheld,
        stored_paths=tuple(stored),
    )
