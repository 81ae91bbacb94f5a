"""What people see and do about messages that may not have arrived or were refused.

Two outbox states need a person. ``delivery_unknown``: the platform may or may not have sent
it (a 503/504, a lost answer, a crash mid-send), so the bot never resends it on its own.
``failed``: the platform refused that message (a bad address) and will refuse it again.
This module counts them (sweep summary, ``status``, dashboard, scheduler log), tells the
school's admins about refused messages (``AdminAlerts``: one content-free email per school and
pass, never about an alert), and records a person's decision (``resolve``: it did arrive, or
send it once more), audited.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.days.clock import to_local
from bot.core.guards.forms import SaidError, Text
from bot.core.language.i18n import N_, Msg, Said, nmsg
from bot.core.language.words import school_words
from bot.core.models import OutboxMessage
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.outbox.pause import ChannelState, channel_states
from bot.core.rendering.messages import notice

__all__ = [
    "ALERT_PURPOSE",
    "NEEDS_A_PERSON",
    "REPORT_PURPOSES",
    "AdminAlerts",
    "ResolveError",
    "Trouble",
    "failure_recipients",
    "may_resolve",
    "purpose_heading",
    "purpose_label",
    "purpose_title",
    "resolve",
    "trouble",
]

ALERT_PURPOSE = "delivery_alert"
NEEDS_A_PERSON = ("delivery_unknown", "failed", "bounced")  # bounced: accepted, not delivered
REPORT_PURPOSES = frozenset({"report_alert", "report_escalation", "report_receipt"})
ALERT_ROWS_SHOWN = 20

# what each kind of message is for, as the outbox, the dashboard and the delivery alert say it
# (every purpose the product queues has one: tests/core/test_outbox_purposes.py)
PURPOSE_LABELS = {
    "reminder": N_("a reminder to a member of staff"),
    "reminder_merged": N_("a reminder joined into a later one"),
    "overdue_told": N_("a notice to a manager that someone's tasks are well overdue"),
    "chasing_stopped": N_("a notice that reminders to a member of staff have stopped"),
    "governor_review": N_("a policy review digest"),
    "governor_review_moved": N_("a notice that a policy's review date has moved"),
    "handover_chase": N_("a reminder that an official account needs a handover"),
    "task_missed": N_("an alert that a recurring check was missed"),
    "review_event": N_("a request to review after an event"),
    "decision_review": N_("a reminder to review a decision"),
    "report_alert": N_("an alert to the safeguarding team about a new report"),
    "report_escalation": N_("a report deadline alert to the safeguarding team"),
    "report_receipt": N_("a receipt to someone who made a report"),
    "report_failed": N_("an alert that a report could not be saved"),
    "report_line_manager": N_("a notice to a line manager about a report"),
    "complaint_ack": N_("a receipt to someone who made a data protection complaint"),
    "complaint_alert": N_("an alert about a new data protection complaint"),
    "complaint_warning": N_("a data protection complaint deadline alert"),
    "complaint_outcome": N_("the outcome of a data protection complaint"),
    "aup_receipt": N_("a receipt for a signed acceptable use policy"),
    "digest": N_("the weekly compliance digest"),
    "trust_digest": N_("the trust's weekly safeguarding overview"),
    "trust_board": N_("the trust's board pack"),
    "teams_dashboard": N_("the compliance dashboard card in Teams"),
    "teams_needs": N_("a card in Teams of what a member of staff needs to do"),
    "teams_reply": N_("a reply from the bot in Teams"),
    "link_renewal": N_("a fresh link to a task"),
    "signin_link": N_("a sign-in link and code"),
    "document_refused": N_("a warning that a policy document could not be used"),
    "scr_gaps": N_("the weekly count of new gaps in the single central record"),
    "settings_problem": N_("an alert that the school's settings have a problem"),
    "step_failed": N_("an alert that a scheduled job failed"),
    ALERT_PURPOSE: N_("an alert that a message could not be delivered"),
}


def purpose_label(purpose: str) -> str:
    """What a message was for, as a catalogue sentence ("a reminder to a member of staff")."""
    return PURPOSE_LABELS.get(purpose, N_("a message from the compliance bot"))


def purpose_title(purpose: str) -> str:
    """The same in English as a heading or table cell ("Reminder to a member of staff")."""
    return _headed(purpose_label(purpose))


def purpose_heading(purpose: str) -> Said:
    """The same as a heading, said where shown, in the language then active."""
    return Said(lambda: _headed(str(Msg(purpose_label(purpose)))))


def _headed(label: str) -> str:
    """A label as a heading: its article dropped (English or Welsh), its first letter a capital."""
    label = re.sub(r"^(?:an?|the|y|yr) ", "", label)
    return label[:1].upper() + label[1:]


# --------------------------------------------------------------------------- counts


@dataclass(frozen=True)
class Trouble:
    """Messages waiting for a person, and the channels a platform has paused."""

    unknown: int = 0
    failed: int = 0
    paused: tuple[ChannelState, ...] = ()

    @property
    def needs_a_person(self) -> bool:
        """True while any message may not have arrived or was refused."""
        return bool(self.unknown or self.failed)


def trouble(session: Session, now: datetime, school_ids: Collection[str] | None = None) -> Trouble:
    """Count ``delivery_unknown`` and ``failed`` messages (all schools, or these) and pauses."""
    query = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(NEEDS_A_PERSON))
        .group_by(OutboxMessage.status)
    )
    if school_ids is not None:
        query = query.where(OutboxMessage.school_id.in_(list(school_ids)))
    counts: dict[str, int] = {status: n for status, n in session.execute(query)}
    paused = tuple(s for s in channel_states(session).values() if s.paused(now))
    refused = counts.get("failed", 0) + counts.get("bounced", 0)
    return Trouble(counts.get("delivery_unknown", 0), refused, paused)


# --------------------------------------------------------------------------- admin alerts


def failure_recipients(school: SchoolConfig, purpose: str) -> list[str]:
    """Who hears that a message was refused: the admins, else the headteacher.

    A refused safeguarding message goes to the DSL team (and admins) instead: whether one
    exists can itself be sensitive (a report may be about the headteacher).
    """
    team = [*school.dsl, *school.deputy_dsl] if purpose in REPORT_PURPOSES else []
    wanted = [*team, *school.admins] or [school.headteacher]
    return list(dict.fromkeys(e.lower() for e in wanted))


@dataclass(frozen=True)
class AdminAlerts:
    """Queues the content-free "could not be delivered" email for each school's refused messages.

    One email per school and recipient group per pass, listing up to 20 messages by number,
    purpose and time — never their subject, recipients or body. Its idempotency key is derived
    from the messages it covers, and it is queued in the transaction that marks them
    ``alerted_at``, so each refusal is told once. An alert that is itself refused is never
    alerted about (no loop); it still shows in ``status`` and on the dashboard.
    """

    schools: Mapping[str, SchoolConfig] = field(default_factory=dict)

    @classmethod
    def of(cls, schools: Iterable[SchoolConfig]) -> AdminAlerts:
        """Alerts for these configured schools."""
        return cls({s.id: s for s in schools})

    def queue(self, session: Session, now: datetime) -> int:
        """Queue alerts for every refused message not yet alerted about; returns how many."""
        if not self.schools:
            return 0
        rows = session.scalars(_refused(), {"schools": list(self.schools)}).all()
        groups: dict[tuple[str, bool], list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            groups[(row.school_id, row.purpose in REPORT_PURPOSES)].append(row)
        for (school_id, _), members in groups.items():
            school = self.schools[school_id]
            digest = hashlib.sha256(
                ",".join(f"{r.id}.{r.attempts}" for r in members).encode()
            ).hexdigest()[:24]
            enqueue_email(
                session,
                school_id=school_id,
                key=f"{ALERT_PURPOSE}:{school_id}:{digest}",
                purpose=ALERT_PURPOSE,
                # as urgent as the most urgent message it is about (a concern's alert: at once)
                urgency=Urgency(min(r.urgency for r in members)),
                draft=_alert_draft(school, members),
            )
            for row in members:
                row.alerted_at = now
        return len(groups)


@functools.cache
def _refused() -> Select[OutboxMessage]:
    """The refused messages of some schools (``schools``) not yet alerted about, built once
    (``AdminAlerts.queue`` looks at every pass)."""
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "failed",
            OutboxMessage.alerted_at.is_(None),
            OutboxMessage.purpose != ALERT_PURPOSE,
            OutboxMessage.school_id.in_(bindparam("schools", expanding=True)),
        )
        .order_by(OutboxMessage.id)
        .with_for_update(skip_locked=True)
    )


def _alert_draft(school: SchoolConfig, rows: Sequence[OutboxMessage]) -> EmailDraft:
    """The alert itself: which messages (number, purpose, when), what to do; no content."""
    count = len(rows)
    facts: list[tuple[Text, Text]] = [
        (
            Msg(N_("Message %(id)s"), id=r.id),
            Msg(
                N_("%(what)s, queued %(day)s, %(time)s"),
                what=purpose_heading(r.purpose),
                day=to_local(r.created_at).date(),
                time=f"{to_local(r.created_at):%H:%M}",
            ),
        )
        for r in rows[:ALERT_ROWS_SHOWN]
    ]
    if count > ALERT_ROWS_SHOWN:
        facts.append((Msg(N_("And")), Msg(N_("%(num)d more"), num=count - ALERT_ROWS_SHOWN)))
    if all(r.channel == "email" for r in rows):
        refused = nmsg(
            "The email service refused a message %(school)s asked it to send, so it was not "
            "delivered and will not be tried again on their own.",
            "The email service refused %(num)d messages %(school)s asked it to send, so they "
            "were not delivered and will not be tried again on their own.",
            count,
            school=school.name,
        )
    else:
        refused = nmsg(
            "The email or chat service refused a message %(school)s asked it to send, so it "
            "was not delivered and will not be tried again on their own.",
            "The email or chat service refused %(num)d messages %(school)s asked it to send, "
            "so they were not delivered and will not be tried again on their own.",
            count,
            school=school.name,
        )
    return notice(
        school=school,
        to=failure_recipients(school, rows[0].purpose),
        subject=nmsg(
            "A message could not be delivered", "%(num)d messages could not be delivered", count
        ),
        paragraphs=[
            refused,
            Msg(
                N_(
                    "Usually an address is wrong or no longer exists: check it (for example in the "
                    "staff list). Whoever runs the bot can see the service's reason with "
                    "“compliance-bot outbox --status failed”, and send a message again once the "
                    "problem is fixed with “compliance-bot outbox resolve NUMBER --resend --as "
                    "THEIR-EMAIL”."
                )
            ),
        ],
        facts=facts,
        small=Msg(
            N_("For privacy this email does not say who the messages were for or what they said.")
        ),
    )


# --------------------------------------------------------------------------- resolve


class ResolveError(SaidError, ValueError):
    """A message that cannot be resolved (or not by this person); ``str()`` says why (its
    nation's words said as the catalogue has them where shown)."""


# why a message needs no resolving, by its state (any other: _NOT_RESOLVABLE)
_RESOLVED = {
    "sent": N_(
        "Message %(id)s was delivered: only a message that may not have arrived or could "
        "not be delivered can be resolved."
    ),
    "pending": N_(
        "Message %(id)s is waiting to be sent: only a message that may not have "
        "arrived or could not be delivered can be resolved."
    ),
    "claimed": N_(
        "Message %(id)s is about to be sent: only a message that may not have arrived "
        "or could not be delivered can be resolved."
    ),
    "sending": N_(
        "Message %(id)s is being sent right now: only a message that may not have "
        "arrived or could not be delivered can be resolved."
    ),
}
_NOT_RESOLVABLE = N_(
    "Message %(id)s is %(status)s: only a message that may not have arrived or "
    "could not be delivered can be resolved."
)


def may_resolve(school: SchoolConfig, email: str) -> bool:
    """The headteacher, an admin, a DSL or a deputy DSL of the school may resolve messages."""
    wanted = {school.headteacher, *school.admins, *school.dsl, *school.deputy_dsl}
    return email.strip().lower() in {e.lower() for e in wanted}


def resolve(
    session: Session,
    row_id: int,
    *,
    resend: bool,
    email: str,
    schools: Mapping[str, SchoolConfig],
    now: datetime,
    os_user: str | None = None,
) -> OutboxMessage:
    """Record a person's decision about a message that may not have arrived or was refused.

    ``resend=False``: someone found it in the sending mailbox's Sent Items (or it reached its
    reader another way): it becomes ``sent``. ``resend=True``: it is queued again under the same
    key and will be sent once more, deliberately. Both are audited with who did it.

    Raises:
        ResolveError: no such message, it is not ``delivery_unknown``/``failed``, or ``email``
            may not resolve that school's messages.
    """
    row = session.get(OutboxMessage, row_id, with_for_update=True)
    if row is None:
        raise ResolveError(
            N_("There is no message %(id)s in the outbox (“compliance-bot outbox” lists them)."),
            id=str(row_id),
        )
    if row.status not in NEEDS_A_PERSON:
        raise ResolveError(
            _RESOLVED.get(row.status, _NOT_RESOLVABLE), id=str(row_id), status=row.status
        )
    school = schools.get(row.school_id)
    if school is None or not may_resolve(school, email):
        if school is None:
            raise ResolveError(
                N_("%(email)s may not resolve the messages of %(school)s."),
                email=email,
                school=row.school_id,
            )
        words = school_words(school)
        raise ResolveError(
            N_(
                "%(email)s is not the %(headteacher)s, an admin, a %(dsl)s or a %(deputy_dsl)s "
                "of %(school)s; only they can resolve its messages."
            ),
            email=email,
            headteacher=Msg(words.headteacher),
            dsl=Msg(words.dsl),
            deputy_dsl=Msg(words.deputy_dsl),
            school=school.name,
        )
    was = row.status
    if resend:
        row.status, row.next_attempt_at = "pending", now
        row.last_error, row.alerted_at, row.claimed_at = None, None, None
    else:
        row.status, row.sent_at = "sent", now
    audit.record(
        session,
        actor=f"cli:{email.strip().lower()}",
        action="outbox.resent" if resend else "outbox.confirmed_sent",
        object_type="outbox",
        object_id=row.id,
        school_id=row.school_id,
        details={"was": was, "purpose": row.purpose, "os_user": os_user},
    )
    return row
