"""Headline figures from the database (status, dashboard, digest), read from kept rows.

Nothing here recomputes a school. The duty counts are the snapshot's (``bot.engine.snapshot``:
per requirement, cycle and due date); the policies, requirements, official accounts and open
reports with their clocks are the kept figures (``bot.core.database.figures``), brought up to
date in the transaction that changed their rows. Both keep dates and instants, not verdicts:
they are judged here against the reader's ``today`` and ``now`` (overdue means due before
today; a clock is past due when its deadline is before now), so a figure is true on the day it
is read whether or not the sweep has run. Messages needing a person, failing steps and
settings problems are their own few rows, read through their indexes.

What each figure means, and how it reads, is in ``rules`` (pure).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from bot.core.config.per_school import settings_problems
from bot.core.database.figures import kept
from bot.core.days.clock import local_today
from bot.core.models import (
    AudienceSize,
    DutyTally,
    OutboxMessage,
    Policy,
    Report,
    ReportClock,
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
from bot.features.policies.api import review_status

__all__ = ["current_cycles", "current_versions", "policy_figure", "read_figures"]

# --------------------------------------------------------------------------- the kept parts


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


def _current(policies: dict[str, Any]) -> dict[int, tuple[int, str]]:
    """Policy id -> (id, label) of its current (newest) version, from the kept policies."""
    return {pid: (vid, label) for vid, pid, label in policies["versions"]}  # oldest first


def current_versions(session: Session, school_id: str) -> dict[int, tuple[int, str]]:
    """Policy id -> (id, label) of its current (newest) version."""
    return _current(kept(session, school_id, ["policies"])["policies"])


def _cycles(
    requirements: list[list[Any]], versions: dict[int, int], today: date
) -> dict[int, tuple[int, str]]:
    """Acknowledgement requirement id -> (version id, cycle), from the kept requirements."""
    cycles: dict[int, tuple[int, str]] = {}
    for rid, kind, _, _, policy_id, yearly, _ in requirements:
        vid = versions.get(policy_id) if policy_id is not None else None
        if kind == "acknowledge_policy" and vid is not None:
            cycle = f"v{vid}:{cycle_start(today, yearly).year}" if yearly else f"v{vid}"
            cycles[rid] = (vid, cycle)
    return cycles


def current_cycles(
    session: Session, school_id: str, versions: dict[int, int], today: date
) -> dict[int, tuple[int, str]]:
    """Acknowledgement requirement id -> (current version id, current cycle) for a school.

    ``versions`` maps policy id to its current version id. A yearly requirement's cycle
    carries the year it began ("v12:2026"), so last year's acknowledgements do not count.
    """
    return _cycles(
        kept(session, school_id, ["policies"])["policies"]["requirements"], versions, today
    )


def _training(
    session: Session, figures: Figures, requirements: list[list[Any]], open_rows: list[Any]
) -> list[TrainingFigure]:
    """Audience and state of every active training requirement (from the snapshot's open
    training duties, ``open_rows``)."""
    courses = [r for r in requirements if r[1] == "complete_training"]
    if not courses:
        return []
    sizes = dict(session.connection().execute(_AUDIENCES, {"school_id": figures.school_id}).all())
    state: dict[int, Counter[str]] = defaultdict(Counter)
    for row in open_rows:
        bucket = state[row.requirement_id]
        past_due = row.due_on < figures.as_of
        slot = "never" if row.cycle == "initial" else "expired" if past_due else "renewing"
        bucket[slot] += row.duties
        if past_due:
            bucket["overdue"] += row.duties
    figures_ = []
    for rid, _, key, title, _, _, course in courses:
        s = state.get(rid, Counter())
        figures_.append(
            TrainingFigure(
                requirement_id=rid,
                key=key,
                course=course or title,
                audience=max(sizes.get(rid, 0), s["never"] + s["expired"] + s["renewing"]),
                never=s["never"],
                expired=s["expired"],
                renewing=s["renewing"],
                overdue=s["overdue"],
            )
        )
    return figures_


# the snapshot's open tallies and the done acknowledgements of the current cycles' requirements
# (columns only: read on the session's connection, without the ORM's work per statement, about
# half of what each cost a view)
_AUDIENCES = select(AudienceSize.requirement_id, AudienceSize.people).where(
    AudienceSize.school_id == bindparam("school_id")
)
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
            DutyTally.kind.in_(("acknowledge_policy", "reading_campaign")),
        ),
    ),
)


def _acks(
    rows: Sequence[Any], cycles: dict[int, tuple[int, str]], today: date
) -> dict[int, tuple[int, int, int]]:
    """The current cycles' acknowledgements by version id (done, owed, overdue), of active
    people, from the snapshot's tally rows."""
    wanted = {(rid, cycle) for rid, (_, cycle) in cycles.items()}
    ack: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        if row.kind != "acknowledge_policy" or not row.active or row.policy_version_id is None:
            continue
        if (row.requirement_id, row.cycle) in wanted:
            bucket = ack[row.policy_version_id]
            bucket[1] += row.duties
            if row.status == "done":
                bucket[0] += row.duties
            elif row.due_on < today:
                bucket[2] += row.duties
    return {vid: (b[0], b[1], b[2]) for vid, b in ack.items() if b[1]}


def _count(session: Session, figures: Figures, reqs: list[list[Any]]) -> Sequence[Any]:
    """The duty counts: a few indexed reads of the snapshot (built once if there is none).

    Fills in the people, duty and training figures; returns the snapshot's tally rows.
    """
    school_id, today = figures.school_id, figures.as_of
    figures.people = ensure(session, school_id, today)[0].people
    rows = session.connection().execute(_TALLIES, {"school_id": school_id}).all()
    overdue_by_kind: Counter[str] = Counter()
    for row in rows:
        if row.status == "open":
            figures.open_duties += row.duties
            if row.due_on < today:
                figures.overdue_duties += row.duties
                overdue_by_kind[row.kind] += row.duties
    training = [r for r in rows if r.status == "open" and r.kind == "complete_training"]
    figures.training = _training(session, figures, reqs, training)
    figures.overdue_by_kind = {k: n for k, n in overdue_by_kind.items() if n}
    return rows


def _readings(figures: Figures, policies: dict[str, Any], rows: Sequence[Any]) -> None:
    """The reading campaigns' current editions this school year: people who read them (done)
    of the active people asked (done or open), from the snapshot's tallies (``rows``)."""
    years = {
        rid: cycle_start(figures.as_of, yearly or READING_YEAR_STARTS).year
        for rid, kind, _, _, _, yearly, _ in policies["requirements"]
        if kind == "reading_campaign"
    }
    rows = [
        r
        for r in rows
        if r.kind == "reading_campaign"
        and r.active
        and r.requirement_id in years
        and r.cycle.endswith(f":{years[r.requirement_id]}")
    ]
    policy_of = {vid: pid for vid, pid, _ in policies["versions"]}
    newest: dict[int, int] = {}  # a part's newest edition asked for this year
    for r in rows:
        part = policy_of.get(r.policy_version_id)
        if part is not None:
            newest[part] = max(newest.get(part, 0), r.policy_version_id)
    for r in rows:
        if newest.get(policy_of.get(r.policy_version_id, -1)) == r.policy_version_id:
            figures.reading_owed += r.duties
            figures.reading_done += r.duties if r.status == "done" else 0


def _reports(figures: Figures, reports: dict[str, Any], now: datetime) -> None:
    """Open reports by urgency and age, and their clocks, judged at ``now``."""
    today = local_today(now)
    ages = [(urgency, (today - date.fromisoformat(made)).days) for urgency, made in reports["open"]]
    figures.reports_by_age = by_age(ages)
    figures.open_reports = len(ages)
    clocks = [(rid, datetime.fromisoformat(due)) for rid, due in reports["clocks"]]
    figures.running_clocks = len(clocks)
    figures.clocks_overdue = sum(1 for _, due in clocks if due < now)
    figures.reports_with_clocks = len({rid for rid, _ in clocks})


# --------------------------------------------------------------------------- their own rows


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


_NEEDING = select(  # built once: every view reads it
    OutboxMessage.id,
    OutboxMessage.idempotency_key,
    OutboxMessage.purpose,
    OutboxMessage.status,
    OutboxMessage.created_at,
).where(OutboxMessage.school_id == bindparam("school_id"), OutboxMessage.status.in_(NEEDS_A_PERSON))


def _messages(session: Session, figures: Figures) -> None:
    """Messages that may not have arrived or were refused (report ones about the head left out:
    these figures reach the headteacher, who must not learn such a report exists)."""
    # sorted here, not in SQL: ORDER BY id would tempt SQLite to walk the school's whole outbox
    # in id order instead of the few rows the (school, status) index finds
    rows = sorted(
        session.connection().execute(_NEEDING, {"school_id": figures.school_id}).all(),
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


def read_figures(
    session: Session, school_id: str, today: date, *, now: datetime | None = None
) -> Figures:
    """Read the figures as kept, judged on ``today`` and at ``now``.

    Args:
        session: an open session.
        school_id: the school.
        today: the school's date (overdue means due before it).
        now: the instant report clocks are judged against (default: the real time).
    """
    figures = Figures(school_id=school_id, as_of=today)
    parts = kept(session, school_id)
    policies, reqs = parts["policies"], parts["policies"]["requirements"]
    current = _current(policies)
    cycles = _cycles(reqs, {p: v for p, (v, _) in current.items()}, today)
    rows = _count(session, figures, reqs)
    acks = _acks(rows, cycles, today)
    for pid, key, title, under_review, review_due in policies["policies"]:
        due = date.fromisoformat(review_due) if review_due else None
        policy = Policy(
            id=pid, key=key, title=title, under_review=under_review, next_review_due=due
        )
        vid, label = current.get(pid, (None, None))
        counts = acks.get(vid, (0, 0, 0)) if vid else (0, 0, 0)
        figures.policies.append(policy_figure(policy, label, *counts, today))
    _readings(figures, policies, rows)
    figures.accounts = [AccountFigure(*account) for account in parts["accounts"]]
    _reports(figures, parts["reports"], now or utcnow())
    _messages(session, figures)
    figures.failing_jobs = tuple(describe(f) for f in failing_steps(session, school_id))
    for problem in settings_problems(session, school_id):
        figures.settings_problem = describe_settings(problem)
        figures.settings_fix = problem.lines
    return figures
