"""A report the database would not store (a constraint, a full disk, the database gone): the
reporter is shown the form again with everything they typed (``web_intake``), and the people a
new report would alert hear at once that one failed, never what it said.

The alert goes through the outbox when the database still takes that row (the report's own row
was refused): it is then sent at once, after the reporter's answer, and never twice (one key per
school per ``QUIET``). When the database takes nothing, it goes straight to the school's mailer,
the one channel every install has that needs no database (a chat message needs the database's
record of who has the app; a channel card reaches people who may not read reports): at most
once per school per ``QUIET`` in each process, as nothing can record it. Either way the failure
is logged with the exception's types, never its message (drivers quote the values they were
given: the report's words).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from time import monotonic

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.deployment.context import AppContext, own_mailboxes
from bot.core.language.i18n import N_, Msg, speaking
from bot.core.language.words import day_and_time, said_words, school_words
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.ports import OutgoingEmail
from bot.core.rendering.messages import notice

__all__ = ["QUIET", "alert_unsaved", "failed_draft", "send_directly"]

log = logging.getLogger(__name__)
QUIET = timedelta(minutes=10)  # one alert per school in this long, however many reports fail
_sent: dict[str, float] = {}  # school id -> when this process last mailed it directly
_sent_lock = threading.Lock()


def failed_draft(school: SchoolConfig, to: Sequence[str], now: datetime) -> EmailDraft:
    """The alert: that a report could not be saved, when, and what to do; nothing of it."""
    words = said_words(school_words(school))
    local = now.astimezone(LONDON)
    with speaking(school.language):
        return notice(
            school=school,
            to=to,
            subject=Msg(N_("A report to %(school)s could not be saved"), school=school.name),
            paragraphs=[
                Msg(
                    N_(
                        "Someone tried to make a report to %(school)s, but it could not be saved, "
                        "so "
                        "it is not in the list of reports. They were shown everything they typed "
                        "and "
                        "asked to send it again or to speak to the %(dsl)s now. Nothing of what "
                        "they "
                        "wrote was kept, so this email cannot say what it was about or who it came "
                        "from."
                    ),
                    school=school.name,
                    dsl=words.dsl_full,
                ),
                Msg(
                    N_(
                        "Please be easy to find in person today, and ask whoever looks after this "
                        "system at your school to check it: reports may fail until it is put right."
                    )
                ),
            ],
            facts=[(Msg(N_("When")), day_and_time(local))],
            small=Msg(N_("You receive this because new reports to the school are sent to you.")),
        )


def _key(school: SchoolConfig, now: datetime) -> str:
    """The alert's idempotency key: one per school per ``QUIET``."""
    bucket = int(now.timestamp() // QUIET.total_seconds())
    return f"report-failed:{school.id}:{bucket}"


def alert_unsaved(
    context: AppContext,
    school: SchoolConfig,
    recipients: Sequence[str],
    now: datetime,
    actor: str,
    exc: Exception,
) -> bool:
    """Log that a report to ``school`` was not stored (``exc``: why), then queue the alert
    and audit the failure (True), or say the database took neither (False)."""
    log.error("concern form: a report to %s could not be stored (%s)", school.id, _types(exc))
    try:
        with context.store.transaction() as session:
            if recipients:
                enqueue_email(
                    session,
                    school_id=school.id,
                    key=_key(school, now),
                    purpose="report_failed",
                    urgency=Urgency.SAFEGUARDING,
                    draft=failed_draft(school, recipients, now),
                )
            audit.record(
                session,
                actor=actor,
                action="report.not_stored",
                object_type="school",
                object_id=school.id,
                school_id=school.id,
            )
    except Exception as again:  # the database takes nothing now
        log.error(
            "concern form: the alert for %s could not be queued either (%s)",
            school.id,
            _types(again),
        )
        return False
    return True


def send_directly(
    context: AppContext, school: SchoolConfig, recipients: Sequence[str], now: datetime
) -> None:
    """Mail the alert through the school's mailer, without the database (once per ``QUIET``
    per school in this process); a failure is logged, as there is nothing else to tell."""
    with _sent_lock:
        last = _sent.get(school.id)
        if not recipients or (last is not None and monotonic() - last < QUIET.total_seconds()):
            return
        _sent[school.id] = monotonic()
    draft = failed_draft(school, recipients, now)
    text, html = draft.parts()
    boxes = own_mailboxes([school], context.connectors)
    mailer = boxes[0].mailer if boxes else context.connectors.mailer
    try:
        mailer.send(
            OutgoingEmail(
                idempotency_key=_key(school, now),
                to=draft.to,
                subject=draft.subject,
                text=text,
                html=html,
                from_name=draft.from_name,
                reply_to=draft.reply_to,
            )
        )
    except Exception as exc:
        log.critical(
            "concern form: nobody could be told that a report to %s failed (%s)",
            school.id,
            _types(exc),
        )
        return
    log.error("concern form: the alert that a report to %s failed was mailed directly", school.id)


def _types(exc: BaseException) -> str:
    """The exception's type and the driver's beneath it: what may be logged of it."""
    names = [f"{type(exc).__module__}.{type(exc).__qualname__}"]
    orig = getattr(exc, "orig", None) or exc.__cause__
    if orig is not None:
        names.append(f"{type(orig).__module__}.{type(orig).__qualname__}")
    return " caused by ".join(names)
