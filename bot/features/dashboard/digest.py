"""The headteacher's weekly digest: a card to the school's channel and an email, Monday morning.

The sweep step queues it once per ISO week (keys ``digest:<school>:<week>`` for the card and
``digest:<school>:<week>:email``), on the first sweep of the week's first school day at or after
07:30 Europe/London, to go out when that day's sending window opens. A week with no school day
has no digest. The email to the headteacher is always sent, channel or not: the headteacher is
who the digest is for, and a channel post is easy to miss (and a Teams Workflows webhook stops
silently when its flow is switched off). The card goes to the channel when one is configured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.core.audit.anchor import chain_head
from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON, send_after, to_local
from bot.core.deployment.context import StepContext
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Day, Joined, Msg, each_language, nmsg, said_in, speaking
from bot.core.models import OutboxMessage, Person, TeamsChat
from bot.core.outbox import EmailDraft, Urgency, enqueue_card, enqueue_email
from bot.core.ports import GOOGLE_CHAT_SERVICE
from bot.core.rendering.cards import teams_workflow_payload as workflow_payload
from bot.core.rendering.messages import notice
from bot.features.dashboard.cards import (
    DigestFigures,
    adaptive_card,
    chat_card,
    pct,
    plain_text_digest,
    week_key,
)
from bot.features.dashboard.figures import read_figures
from bot.features.dashboard.rules import Figures
from bot.features.scr.api import open_counts as scr_counts

if TYPE_CHECKING:
    from bot.core.deployment.settings import Settings

__all__ = [
    "DIGEST_TIME",
    "PURPOSE",
    "Digest",
    "QueueResult",
    "build_digest",
    "channel_configured",
    "dashboard_url",
    "digest_due",
    "digest_figures",
    "digest_keys",
    "digest_step",
    "head_chat",
    "queue_digest",
]

log = logging.getLogger(__name__)

DIGEST_TIME = time(7, 30)  # Europe/London: queued from then, sent when the window opens
MORNING_ENDS = time(12, 0)  # the trust's Monday-morning overview is not queued after this
PURPOSE = "digest"


def digest_keys(school_id: str, day: date) -> tuple[str, str]:
    """The outbox keys of the week's card and email: one of each per school per ISO week."""
    card = f"digest:{school_id}:{week_key(day)}"
    return card, f"{card}:email"


def digest_due(school: SchoolConfig, today: date, now: datetime, *, catch_up: bool = True) -> bool:
    """Whether a sweep as of ``today`` at ``now`` should queue this week's digest.

    Only on school days; on the week's first school day only from 07:30 London time; on a
    later school day of the week always (a catch-up when Monday's sweeps did not run), unless
    ``catch_up`` is False (the trust's overview, which says "every Monday morning": only that
    morning, never the evening a school starts sending). A sweep "as of" another day than the
    real one (a catch-up or the demo) is not held to the hour.
    """
    if not school.is_school_day(today):
        return False
    monday = today - timedelta(days=today.weekday())
    if any(school.is_school_day(monday + timedelta(days=n)) for n in range(today.weekday())):
        return catch_up
    local = to_local(now, LONDON)
    return local.date() != today or (
        local.time() >= DIGEST_TIME and (catch_up or local.time() < MORNING_ENDS)
    )


def channel_configured(settings: Settings) -> bool:
    """Whether the deployment has a notifier for cards (mirrors ``bot.wiring``).

    Local deployments always have one (a webhook, or the JSON-lines file); Microsoft 365 needs
    a Teams Workflows webhook and Google a Chat space webhook. Card rows queued without a
    notifier would wait forever, so none are queued then.
    """
    if settings.connector == "m365":
        return settings.m365.teams_webhook_url is not None
    if settings.connector == "google":
        return settings.google.chat_webhook_url is not None
    return True


def dashboard_url(base_url: str, school_id: str, *, several_schools: bool) -> str:
    """The dashboard's address for one school (with ``?school=`` in a trust)."""
    url = f"{base_url.rstrip('/')}/dashboard"
    return f"{url}?{urlencode({'school': school_id})}" if several_schools else url


def digest_figures(figures: Figures, school_name: str, url: str) -> DigestFigures:
    """The digest's figures from the dashboard's (the same numbers, counts only)."""
    return DigestFigures(
        school_name=school_name,
        as_of=figures.as_of,
        ack_rate=figures.ack_rate,
        ack_target=figures.ack_target,
        training_rate=figures.training_rate,
        aup_unsigned_accounts=figures.accounts_unsigned,
        aup_accounts_total=len(figures.accounts),
        policies_due_soon=figures.policies_due_soon,
        policies_overdue=figures.policies_overdue,
        open_reports=figures.open_reports,
        reports_with_running_clocks=min(figures.reports_with_clocks, figures.open_reports),
        overdue_duties=figures.overdue_duties,
        needs_attention=tuple(figures.needs_attention()),
        dashboard_url=url,
        per_policy=tuple((p.title, p.rate) for p in figures.policies if p.required),
    )


@dataclass(frozen=True)
class Digest:
    """One school's digest for one week, in every rendering."""

    school_id: str
    figures: DigestFigures
    card: dict[str, Any]  # the Adaptive Card (schema 1.5)
    teams: dict[str, Any]  # the card wrapped for a Teams Workflows webhook
    chat: dict[str, Any]  # the Google Chat webhook message
    text: str  # plain text
    # the audit log's entries and last hash when the digest was written (email only: the
    # headteacher keeps it outside the database, so a rewritten log shows; see audit verify)
    audit_head: tuple[int, str] | None = None

    @property
    def title(self) -> Msg:
        """The subject line and the card's title."""
        return Msg(
            N_("Weekly compliance digest — %(school)s, week %(week)s"),
            school=self.figures.school_name,
            week=self.figures.week_key,
        )

    def email(
        self, to: str, reply_to: str | None = None, school: SchoolConfig | None = None
    ) -> EmailDraft:
        """The email version for the headteacher (HTML and plain text), in the school's
        language when ``school`` is given (its figures' needs-attention lines too:
        ``digest_figures``)."""
        with speaking(school.language if school is not None else "en"):
            return self._email(to, reply_to, school)

    def _email(self, to: str, reply_to: str | None, school: SchoolConfig | None) -> EmailDraft:
        f = self.figures
        facts: list[tuple[Text, Text]] = [  # the card's headlines, then what needs attention
            (
                Msg("Policies acknowledged"),
                Msg("%(rate)s (target %(target)s)", rate=pct(f.ack_rate), target=pct(f.ack_target)),
            ),
            (Msg("Training up to date"), pct(f.training_rate)),
            (
                Msg("Official accounts with unsigned holders"),
                Msg(
                    "%(num)d of %(total)d", num=f.aup_unsigned_accounts, total=f.aup_accounts_total
                ),
            ),
            (
                Msg("Policy reviews"),
                Msg(
                    "%(overdue)d overdue, %(soon)d due soon",
                    overdue=f.policies_overdue,
                    soon=f.policies_due_soon,
                ),
            ),
            (
                Msg("Open reports"),
                nmsg(
                    "%(num)d (%(clocks)d with a clock running)",
                    "%(num)d (%(clocks)d with a clock running)",
                    f.open_reports,
                    clocks=f.reports_with_running_clocks,
                ),
            ),
            (Msg("Overdue duties"), str(f.overdue_duties)),
            *((Msg("Needs attention"), line) for line in f.needs_attention[:10]),
        ]
        small: Text = Msg(
            "Sent every Monday morning in term time. Report details are never included "
            "in this email."
        )
        lines: list[Text] = []
        if self.audit_head is not None:
            figure = f"{self.audit_head[0]}:{self.audit_head[1]}"
            facts.append((Msg("Audit log figure"), figure))
            kept = Msg(
                "Keep this email: the audit log figure is the record's fingerprint when it was "
                "written, so your administrator can show the record has not been rewritten "
                "since (compliance-bot audit verify --fingerprint %(figure)s).",
                figure=figure,
            )
            lines = [Msg("Audit log figure: %(figure)s", figure=figure), kept]
            small = Joined((small, kept), " ")
        text = each_language(
            lambda: "\n".join(
                [plain_text_digest(f), *map(str, lines), ""] if lines else [plain_text_digest(f)]
            ),
            lambda welsh, english: f"{welsh}\n\n{english}",
        )
        subject = str(self.title)
        html = notice(
            school=school if school is not None else f.school_name,
            reply_to=reply_to,
            to=[to],
            subject=self.title,
            paragraphs=[
                Msg(
                    "Here is how %(school)s stands this week (as of %(day)s). These are counts "
                    "only; the dashboard has the detail.",
                    school=f.school_name,
                    day=Day(f.as_of),
                )
            ],
            facts=facts,
            button_url=f.dashboard_url,
            button_text=Msg("Open dashboard"),
            small=small,
        )
        return EmailDraft(
            to=(to,),
            subject=subject,
            text=text,
            html=html.html,
            from_name=f.school_name,
            reply_to=reply_to,
        )


def build_digest(
    session: Session,
    school: SchoolConfig,
    today: date,
    *,
    base_url: str,
    several_schools: bool = False,
    now: datetime | None = None,
) -> Digest:
    """Compute the school's figures and render the digest (nothing is written)."""
    figures = read_figures(session, school.id, today, now=now)
    figures.calendar_question = school.term_dates_question(today)
    f = digest_figures(
        figures, school.name, dashboard_url(base_url, school.id, several_schools=several_schools)
    )
    scr = scr_counts(session, school.id)
    gaps = sum(scr.values()) if scr else 0

    if gaps:  # a count only: who is on /scr is for the head and the SCR owner
        line = nmsg(
            "%(num)s gap in the single central record",
            "%(num)s gaps in the single central record",
            gaps,
        )
        f = replace(f, needs_attention=(*f.needs_attention, line))
    with speaking(school.language):  # the cards in the school's language (cy+en: joined once)
        card = adaptive_card(f)
        chat = chat_card(f)
        text = each_language(lambda: plain_text_digest(f), lambda cy, en: f"{cy}\n\n{en}")
    return Digest(
        school_id=school.id,
        figures=f,
        card=card,
        teams=workflow_payload(card),
        chat=chat,
        text=text,
        audit_head=chain_head(session),
    )


@dataclass(frozen=True)
class QueueResult:
    """What ``queue_digest`` added to the outbox (False: already there this week)."""

    card_key: str
    card: bool
    email: bool

    @property
    def queued(self) -> bool:
        """Whether anything new was queued."""
        return self.card or self.email


# which of some idempotency keys the outbox holds (built once: every sweep of the week asks)
_QUEUED_KEYS = select(OutboxMessage.idempotency_key).where(
    OutboxMessage.idempotency_key.in_(bindparam("keys", expanding=True))
)


def _missing(session: Session, school_id: str, day: date, channel: bool) -> set[str]:
    """The week's digest keys (the card's only with a channel) not yet in the outbox."""
    card, email = digest_keys(school_id, day)
    wanted = {card, email} if channel else {email}
    return wanted - set(session.scalars(_QUEUED_KEYS, {"keys": sorted(wanted)}))


def queue_digest(
    session: Session,
    school: SchoolConfig,
    today: date,
    now: datetime,
    *,
    base_url: str,
    channel: bool,
    several_schools: bool = False,
    not_before: datetime | None = None,
) -> QueueResult:
    """Queue this week's card (when there is a channel) and email; idempotent per ISO week."""
    card_key, email_key = digest_keys(school.id, today)
    missing = _missing(session, school.id, today, channel)
    if not missing:
        return QueueResult(card_key, False, False)
    digest = build_digest(
        session, school, today, base_url=base_url, several_schools=several_schools, now=now
    )
    card = False
    if card_key in missing:
        card = enqueue_card(
            session,
            school_id=school.id,
            key=card_key,
            purpose=PURPOSE,
            urgency=Urgency.ROUTINE,
            title=said_in(school.language, digest.title),
            text=digest.text,
            teams=digest.teams,
            chat=digest.chat,
            not_before=not_before,
        )
    email = False
    if email_key in missing:
        email = enqueue_email(
            session,
            school_id=school.id,
            key=email_key,
            purpose=PURPOSE,
            urgency=Urgency.ROUTINE,
            draft=digest.email(school.headteacher, school.reply_address(), school),
            not_before=not_before,
        )
    return QueueResult(card_key, card, email)


# --------------------------------------------------------------------------- the sweep step


def head_chat(session: Session, school: SchoolConfig) -> TeamsChat | None:
    """The headteacher's chat with the Teams bot, when the bot reaches them (the dashboard
    card is Teams's: a Google Chat app's direct message does not count)."""
    return session.scalar(
        select(TeamsChat)
        .join(Person, Person.id == TeamsChat.person_id)
        .where(
            Person.school_id == school.id,
            Person.active.is_(True),
            Person.email == school.headteacher,
            TeamsChat.service_url != GOOGLE_CHAT_SERVICE,
        )
    )


def digest_step(run: StepContext) -> dict[str, int]:
    """The sweep step: queue this week's digest on the first sweep from Monday 07:30."""
    session, school, today, now = run.session, run.school, run.today, run.now
    if not digest_due(school, today, now):
        return {}
    settings = run.settings
    # a bot that reaches the head puts a card that refreshes in their chat instead
    # (``teamsbot.dashboard``): the channel's weekly snapshot is for schools without one
    channel = channel_configured(settings) and not (
        run.connectors.chat is not None and head_chat(session, school) is not None
    )
    if not run.write:
        return {"digest_queued": 1} if _missing(session, school.id, today, channel) else {}
    # queue_digest's first read is which of the week's keys are missing: with none, it stops
    result = queue_digest(
        session,
        school,
        today,
        now,
        base_url=settings.base_url,
        channel=channel,
        several_schools=len(run.config.schools) > 1,
        not_before=send_after(school, today, now),
    )
    if result.queued:
        log.info("weekly digest queued for %s (%s)", school.id, week_key(today))
    return {"digest_queued": 1} if result.queued else {}
