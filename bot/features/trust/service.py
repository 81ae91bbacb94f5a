"""The trust's counts read from each school's figures, and the weekly email to its
safeguarding leads, queued through the outbox once per ISO week."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import OrgConfig
from bot.core.config.per_school import settings_problems
from bot.core.deployment.setup_state import is_sending
from bot.core.language.i18n import N_, Msg, nmsg, shared_language, speaking
from bot.core.models import OutboxMessage
from bot.core.outbox import Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.features.dashboard.api import read_figures, week_key
from bot.features.trust.rules import SchoolCounts, digest_key, school_line, totals

__all__ = ["PURPOSE", "queue_trust_digest", "trust_counts"]

PURPOSE = "trust_digest"


def trust_counts(
    session: Session, config: OrgConfig, today: date, now: datetime
) -> list[SchoolCounts]:
    """Every school's headline counts, in the configuration's order (counts only: the
    dashboard's figures, which leave out reports about a headteacher), then each school held
    with settings that have never passed the check (not in the configuration: no counts)."""
    rows = []
    problems = settings_problems(session)  # as the last sweep recorded them (#54 item 2)
    held = {p.school_id for p in problems}
    for school in config.schools:
        f = read_figures(session, school.id, today, now=now)
        running = f.running_clocks - f.clocks_overdue
        rows.append(
            SchoolCounts(
                name=school.name,
                sending=is_sending(session, school.id),
                bad_settings=school.id in held,
                overdue_duties=f.overdue_duties,
                open_reports=f.open_reports,
                deadlines_passed=f.clocks_overdue,
                deadlines_running=running,
                reports_without_deadline=max(f.open_reports - f.reports_with_clocks, 0),
                policies_overdue=f.policies_overdue,
            )
        )
    in_force = {school.id for school in config.schools}
    rows += [
        SchoolCounts.held(p.name, p.lines)
        for p in problems
        if p.held and p.school_id not in in_force
    ]
    return rows


def queue_trust_digest(
    session: Session,
    config: OrgConfig,
    school_id: str,
    today: date,
    now: datetime,
    *,
    base_url: str,
) -> bool:
    """Queue this week's email to the trust's safeguarding leads (filed under ``school_id``,
    the school whose sweep queued it); False when there are none or it is already queued."""
    leads = tuple(config.organisation.trust_safeguarding_leads)
    key = digest_key(week_key(today))
    if not leads or session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
    ):
        return False
    rows = trust_counts(session, config, today, now)
    total = totals(rows)
    name = config.organisation.name
    across = (
        nmsg(
            "Across the trust's %(num)d school", "Across the trust's %(num)d schools", total.schools
        ),
        nmsg("%(num)d overdue duty", "%(num)d overdue duties", total.overdue_duties),
        nmsg("%(num)d open report", "%(num)d open reports", total.open_reports),
        nmsg("%(num)d deadline", "%(num)d deadlines", total.deadlines_passed),
        nmsg("%(num)d policy", "%(num)d policies", total.policies_overdue),
    )
    held = total.bad_settings - total.never_passed
    counts = Msg(
        N_(
            "%(across)s: %(duties)s, %(reports)s (%(deadlines)s passed), %(policies)s overdue "
            "for review, %(preview)s in preview, %(held)s held on their last good settings."
        ),
        **dict(zip(("across", "duties", "reports", "deadlines", "policies"), across, strict=True)),
        preview=total.in_preview,
        held=held,
    )
    if total.never_passed:
        counts = Msg(
            N_(
                "%(across)s: %(duties)s, %(reports)s (%(deadlines)s passed), %(policies)s "
                "overdue for review, %(preview)s in preview, %(held)s held on their last good "
                "settings, %(never)s held with settings that have never passed the check (their "
                "counts are not stated)."
            ),
            **counts.values,
            never=total.never_passed,
        )
    with speaking(shared_language(s.language for s in config.schools)):  # the trust's language
        draft = notice(
            school=name,
            to=leads,
            subject=Msg(
                N_("Weekly safeguarding overview — %(name)s, week %(week)s"),
                name=name,
                week=week_key(today),
            ),
            paragraphs=[
                Msg(
                    N_(
                        "Here is how the schools of %(name)s stand this week (as of %(day)s). "
                        "These are counts only: no report's content or subject is ever included."
                    ),
                    name=name,
                    day=today,
                ),
                counts,
            ],
            facts=[(row.name, school_line(row)) for row in rows],
            button_url=f"{base_url.rstrip('/')}/trust",
            button_text=Msg(N_("Open the trust overview")),
            small=Msg(
                N_("Sent every Monday morning in term time to the trust's safeguarding leads.")
            ),
        )
    return enqueue_email(
        session, school_id=school_id, key=key, purpose=PURPOSE, urgency=Urgency.ROUTINE, draft=draft
    )
