"""Headline figures from the database (status, dashboard, digest), read from the snapshot.

The expensive part — counting every acknowledgement, training slot and open duty of a school
(100,000 duty rows for 10,000 staff) — is done by the sweep into summary rows and kept up to
date by every attestation (``bot.engine.snapshot``); here it is a few indexed reads, the same
in every web worker. Report and clock figures, and the few AUP signatures, are small and always
read live.

What each figure means, and how it reads, is in ``rules`` (pure).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, lazyload

from bot.core.config.per_school import settings_problems
from bot.core.days.clock import local_today
from bot.core.models import (
    AccountHolder,
    AudienceSize,
    Duty,
    DutyTally,
    OfficialAccount,
    OutboxMessage,
    Policy,
    PolicyVersion,
    Report,
    ReportClock,
    Requirement,
    utcnow,
)
from bot.core.outbox.delivery import NEEDS_A_PERSON, REPORT_PURPOSES, purpose_label, purpose_title
from bot.engine.duty_facts import READING_YEAR_STARTS
from bot.engine.periods import cycle_start
from bot.engine.settings_problems import describe as describe_settings
from bot.engine.snapshot import ensure
from bot.engine.step_failures import describe, failing_steps
from bot.features.dashboard.rules import (
    AccountFigure,
    Figures,
    MessageFigure,
    PolicyFigure,
    TrainingFigure,
    by_age,
)
from bot.features.policies.api import policies_of, review_status

__all__ = ["compute_figures", "current_cycles", "current_versions", "policy_figure"]

# --------------------------------------------------------------------------- the snapshot part


def policy_figure(
    policy: Policy, version: str | None, done: int, owed: int, overdue: int, today: date
) -> PolicyFigure:
    """A policy's acknowledgement figure: its current version's counts and its review state."""
    return PolicyFigure(
        policy_id=policy.id,
        key=policy.key,
        title=policy.title,
        version=version,
        done=done,
        owed=owed,
        overdue=overdue,
        next_review=policy.next_review_due,
        review=review_status(policy, today),
    )


def current_versions(session: Session, school_id: str) -> dict[int, tuple[int, str]]:
    """Policy id -> (id, label) of its current (newest) version, without the documents."""
    newest = (
        select(func.max(PolicyVersion.id))
        .where(PolicyVersion.school_id == school_id)
        .group_by(PolicyVersion.policy_id)
    )
    return {
        policy_id: (vid, label)
        for vid, policy_id, label in session.execute(
            select(PolicyVersion.id, PolicyVersion.policy_id, PolicyVersion.label).where(
                PolicyVersion.id.in_(newest)
            )
        )
    }


def current_cycles(
    session: Session, school_id: str, versions: dict[int, int], today: date
) -> dict[int, tuple[int, str]]:
    """Acknowledgement requirement id -> (current version id, current cycle) for a school.

    ``versions`` maps policy id to its current version id. A yearly requirement's cycle
    carries the year it began ("v12:2026"), so last year's acknowledgements do not count.
    """
    cycles: dict[int, tuple[int, str]] = {}
    for rid, policy_id, spec in session.execute(
        select(Requirement.id, Requirement.policy_id, Requirement.spec).where(
            Requirement.school_id == school_id,
            Requirement.kind == "acknowledge_policy",
            Requirement.active.is_(True),
        )
    ):
        vid = versions.get(policy_id) if policy_id is not None else None
        if vid is None:
            continue
        yearly = (spec or {}).get("yearly_on")
        cycle = f"v{vid}:{cycle_start(today, yearly).year}" if yearly else f"v{vid}"
        cycles[rid] = (vid, cycle)
    return cycles


def _training(
    session: Session, school_id: str, today: date, open_rows: list[Any]
) -> list[TrainingFigure]:
    """Audience and state of every active training requirement (from the snapshot's open
    training duties, ``open_rows``)."""
    reqs = session.execute(
        select(Requirement.id, Requirement.key, Requirement.title, Requirement.spec)
        .where(
            Requirement.school_id == school_id,
            Requirement.kind == "complete_training",
            Requirement.active.is_(True),
        )
        .order_by(Requirement.title)
    ).all()
    if not reqs:
        return []
    sizes = dict(
        session.execute(
            select(AudienceSize.requirement_id, AudienceSize.people).where(
                AudienceSize.school_id == school_id
            )
        ).all()
    )
    state: dict[int, Counter[str]] = defaultdict(Counter)
    for row in open_rows:
        bucket = state[row.requirement_id]
        past_due = row.due_on < today
        slot = "never" if row.cycle == "initial" else "expired" if past_due else "renewing"
        bucket[slot] += row.duties
        if past_due:
            bucket["overdue"] += row.duties
    figures = []
    for rid, key, title, spec in reqs:
        s = state.get(rid, Counter())
        figures.append(
            TrainingFigure(
                requirement_id=rid,
                key=key,
                course=(spec or {}).get("course") or title,
                audience=max(sizes.get(rid, 0), s["never"] + s["expired"] + s["renewing"]),
                never=s["never"],
                expired=s["expired"],
                renewing=s["renewing"],
                overdue=s["overdue"],
            )
        )
    return figures


# the snapshot's open tallies and the done acknowledgements of the current cycles' requirements
_TALLIES = select(
    DutyTally.requirement_id,
    DutyTally.kind,
    DutyTally.cycle,
    DutyTally.policy_version_id,
    DutyTally.due_on,
    DutyTally.status,
    DutyTally.active,
    DutyTally.duties,
).where(
    DutyTally.school_id == bindparam("school_id"),
    or_(
        DutyTally.status == "open",
        and_(
            DutyTally.status == "done",
            DutyTally.kind == "acknowledge_policy",
            DutyTally.requirement_id.in_(bindparam("requirements", expanding=True)),
        ),
    ),
)
# the open AUP signatures by account, counted by person
_UNSIGNED = (
    select(Duty.account_id, func.count(func.distinct(Duty.person_id)))
    .where(Duty.school_id == bindparam("school_id"), Duty.kind == "sign_aup", Duty.status == "open")
    .group_by(Duty.account_id)
)


def _count(
    session: Session, figures: Figures, cycles: dict[int, tuple[int, str]]
) -> tuple[dict[int, tuple[int, int, int]], dict[int, int]]:
    """The duty counts: a few indexed reads of the snapshot (built once if there is none).

    Fills in the people and duty figures; returns the acknowledgements by version id (done,
    owed, overdue) and the open AUP signatures by account id.
    """
    school_id, today = figures.school_id, figures.as_of
    figures.people = ensure(session, school_id, today)[0].people
    wanted = {(rid, cycle) for rid, (_, cycle) in cycles.items()}
    rows = session.execute(_TALLIES, {"school_id": school_id, "requirements": sorted(cycles)}).all()
    ack: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    overdue_by_kind: Counter[str] = Counter()
    for row in rows:
        if row.status == "open":
            figures.open_duties += row.duties
            if row.due_on < today:
                figures.overdue_duties += row.duties
                overdue_by_kind[row.kind] += row.duties
        if (
            row.kind == "acknowledge_policy"
            and row.active
            and row.policy_version_id is not None
            and (row.requirement_id, row.cycle) in wanted
        ):
            bucket = ack[row.policy_version_id]
            bucket[1] += row.duties
            if row.status == "done":
                bucket[0] += row.duties
            elif row.due_on < today:
                bucket[2] += row.duties
    # AUP signatures are few (holders only): counted live, by person, through the kind index
    unsigned: dict[int, int] = {
        account_id: n
        for account_id, n in session.execute(_UNSIGNED, {"school_id": school_id})
        if account_id is not None
    }
    figures.training = _training(
        session,
        school_id,
        today,
        [row for row in rows if row.status == "open" and row.kind == "complete_training"],
    )
    figures.overdue_by_kind = {k: n for k, n in overdue_by_kind.items() if n}
    return {vid: (b[0], b[1], b[2]) for vid, b in ack.items() if b[1]}, unsigned


def _readings(session: Session, figures: Figures) -> None:
    """The reading campaigns' current editions this school year: people who read them (done)
    of the active people asked (done or open), from the snapshot's tallies."""
    years = {
        rid: cycle_start(figures.as_of, (spec or {}).get("yearly_on") or READING_YEAR_STARTS).year
        for rid, spec in session.execute(
            select(Requirement.id, Requirement.spec).where(
                Requirement.school_id == figures.school_id,
                Requirement.kind == "reading_campaign",
                Requirement.active.is_(True),
            )
        )
    }
    if not years:
        return
    rows = session.execute(
        select(
            DutyTally.requirement_id,
            DutyTally.cycle,
            DutyTally.policy_version_id,
            DutyTally.status,
            DutyTally.duties,
        ).where(
            DutyTally.school_id == figures.school_id,
            DutyTally.kind == "reading_campaign",
            DutyTally.active.is_(True),
            DutyTally.status.in_(("open", "done")),
        )
    ).all()
    rows = [
        r
        for r in rows
        if r.requirement_id in years and r.cycle.endswith(f":{years[r.requirement_id]}")
    ]
    policy_of = dict(
        session.execute(
            select(PolicyVersion.id, PolicyVersion.policy_id).where(
                PolicyVersion.id.in_({r.policy_version_id for r in rows})
            )
        ).all()
    )
    newest: dict[int, int] = {}  # a part's newest edition asked for this year
    for r in rows:
        part = policy_of.get(r.policy_version_id)
        if part is not None:
            newest[part] = max(newest.get(part, 0), r.policy_version_id)
    for r in rows:
        if newest.get(policy_of.get(r.policy_version_id, -1)) == r.policy_version_id:
            figures.reading_owed += r.duties
            figures.reading_done += r.duties if r.status == "done" else 0


# --------------------------------------------------------------------------- always fresh


def _reports(session: Session, figures: Figures, now: datetime) -> None:
    """Open reports by urgency and age, and their clocks (reports about the head left out)."""
    today = local_today(now)
    ages = [
        (urgency, (today - local_today(created)).days)
        for urgency, created in session.execute(
            select(Report.urgency, Report.created_at).where(
                Report.school_id == figures.school_id,
                Report.status != "closed",
                Report.about_headteacher.is_(False),
            )
        )
    ]
    figures.reports_by_age = by_age(ages)
    figures.open_reports = len(ages)
    clocks = session.execute(
        select(ReportClock.report_id, ReportClock.due_at)
        .join(Report, Report.id == ReportClock.report_id)
        .where(
            ReportClock.school_id == figures.school_id,
            ReportClock.stopped_at.is_(None),
            Report.status != "closed",
            Report.about_headteacher.is_(False),
        )
    ).all()
    figures.running_clocks = len(clocks)
    figures.clocks_overdue = sum(1 for _, due in clocks if due < now)
    figures.reports_with_clocks = len({report_id for report_id, _ in clocks})


MESSAGES_SHOWN = 50


def _about_the_head(session: Session, school_id: str, keys: list[str]) -> set[str]:
    """The keys of report messages about the headteacher (or whose report cannot be told).

    Report message keys carry the reference (``report-alert:<school>:<ref>``, ``-card``,
    ``-receipt``) or the clock (``report-escalation:<school>:<clock id>:<stage>``).
    """
    refs: dict[str, str] = {}
    clocks: dict[int, str] = {}
    for key in keys:
        parts = key.split(":")
        if parts[0] == "report-escalation" and len(parts) == 4 and parts[2].isdigit():
            clocks[int(parts[2])] = key
        elif len(parts) == 3:
            refs[parts[2]] = key
    safe: set[str] = set()
    if refs:
        safe |= {
            refs[ref]
            for ref in session.scalars(
                select(Report.reference).where(
                    Report.school_id == school_id,
                    Report.reference.in_(list(refs)),
                    Report.about_headteacher.is_(False),
                )
            )
        }
    if clocks:
        safe |= {
            clocks[clock_id]
            for clock_id in session.scalars(
                select(ReportClock.id)
                .join(Report, Report.id == ReportClock.report_id)
                .where(ReportClock.id.in_(list(clocks)), Report.about_headteacher.is_(False))
            )
        }
    return set(keys) - safe


def _messages(session: Session, figures: Figures) -> None:
    """Messages that may not have arrived or were refused (report ones about the head left out:
    these figures reach the headteacher, who must not learn such a report exists)."""
    # sorted here, not in SQL: ORDER BY id would tempt SQLite to walk the school's whole outbox
    # in id order instead of the few rows the (school, status) index finds
    rows = sorted(
        session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.idempotency_key,
                OutboxMessage.purpose,
                OutboxMessage.status,
                OutboxMessage.created_at,
            ).where(
                OutboxMessage.school_id == figures.school_id,
                OutboxMessage.status.in_(NEEDS_A_PERSON),
            )
        ).all(),
        key=lambda row: -row[0],
    )
    if not rows:
        return
    report_keys = [key for _, key, purpose, _, _ in rows if purpose in REPORT_PURPOSES]
    hidden = _about_the_head(session, figures.school_id, report_keys)
    shown = [row for row in rows if row[1] not in hidden]
    figures.messages_unknown = sum(1 for row in shown if row[3] == "delivery_unknown")
    figures.messages_failed = sum(1 for row in shown if row[3] in ("failed", "bounced"))
    figures.messages = [
        MessageFigure(
            number=i,
            title=purpose_title(purpose),
            status=status,
            queued=created,
            label=purpose_label(purpose),
        )
        for i, _, purpose, status, created in shown[:MESSAGES_SHOWN]
    ]


def compute_figures(
    session: Session, school_id: str, today: date, *, now: datetime | None = None
) -> Figures:
    """Read the figures: the duty counts from the snapshot, reports and messages live.

    Args:
        session: an open session.
        school_id: the school.
        today: the school's date (overdue means due before it).
        now: the instant report clocks are judged against (default: the real time).
    """
    moment = now or utcnow()
    figures = Figures(school_id=school_id, as_of=today)
    policies = session.scalars(policies_of(school_id).options(lazyload(Policy.versions))).all()
    current = current_versions(session, school_id)
    cycles = current_cycles(session, school_id, {p: v for p, (v, _) in current.items()}, today)
    acks, unsigned = _count(session, figures, cycles)
    for policy in policies:
        vid, label = current.get(policy.id, (None, None))
        counts = acks.get(vid, (0, 0, 0)) if vid else (0, 0, 0)
        figures.policies.append(policy_figure(policy, label, *counts, today))
    _readings(session, figures)
    holders = (  # each account's current holders
        select(func.count())
        .where(AccountHolder.account_id == OfficialAccount.id, AccountHolder.until.is_(None))
        .scalar_subquery()
    )
    for account_id, name, platform, handover, held in session.execute(
        select(
            OfficialAccount.id,
            OfficialAccount.name,
            OfficialAccount.platform,
            OfficialAccount.handover_needed,
            holders,
        )
        .where(OfficialAccount.school_id == school_id)
        .order_by(OfficialAccount.name)
    ):
        figures.accounts.append(
            AccountFigure(
                account_id=account_id,
                name=name,
                platform=platform,
                holders=held,
                unsigned=unsigned.get(account_id, 0),
                handover_needed=handover,
            )
        )
    _reports(session, figures, moment)
    _messages(session, figures)
    figures.failing_jobs = tuple(describe(f) for f in failing_steps(session, school_id))
    for problem in settings_problems(session, school_id):
        figures.settings_problem = describe_settings(problem)
        figures.settings_fix = problem.lines
    return figures
