"""The facts of a pack, read from the database: one ``Table`` each, shared by the CSV files and
the PDF summary so the two always say the same.

Concerns are counted, never described: category, status and whether an outcome is recorded —
no text of a report and no name of a child or a reporter. Staff names appear where the
evidence is theirs (who acknowledged, who is trained, who holds an account, who recorded a
review), as an inspector needs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from bot.core.language.i18n import N_
from bot.core.models import (
    Attestation,
    AuditEvent,
    Duty,
    OfficialAccount,
    Person,
    Policy,
    PolicyReview,
    PolicyVersion,
    ReadingCheck,
    Report,
    Requirement,
    TaskCompletion,
)
from bot.engine.duty_facts import EVENT_CYCLE
from bot.features.accounts.api import holder_states
from bot.features.dashboard.api import current_versions, read_figures
from bot.features.evidence.people import attestations as _attestations
from bot.features.evidence.people import training as _training
from bot.features.evidence.people import when
from bot.features.evidence.rules import HOLDER_STATES, Table, cells
from bot.features.evidence.staffing import scr_counts_table as _scr
from bot.features.governors.api import FREE_TEXT_OUTCOME, NO_OUTCOME
from bot.features.policies.api import register
from bot.features.privacy.api import COUNT_HEADER, complaint_counts
from bot.features.reports.api import CATEGORIES, STATUSES, clock_counts
from bot.features.scr.api import open_counts as scr_counts
from bot.features.tasks.api import event_reviews

__all__ = ["Facts", "gather", "names_of", "school_reports"]

# the report deadlines, by id, where the school's words are not given
CLOCK_KINDS = {"lado": "lado", "ico": "ico", "triage": "triage"}
FILTERING = re.compile(r"filtering", re.IGNORECASE)
CLI_ACTOR = "the command line"


@dataclass(frozen=True)
class Facts:
    """Everything a pack states, as of one moment in the school's time zone."""

    school_name: str
    made_at: datetime  # in the school's time zone
    made_by: str
    reports_scope: str
    filtering_note: str | None  # why the filtering review is not recorded, when it is not
    policies: Table
    ack_counts: Table
    attestations: Table
    training: Table
    aup: Table
    governors: Table
    concerns: Table
    clocks: Table
    filtering: Table
    complaints: Table
    event_reviews: Table
    reading_proof: Table
    scr: Table
    # with the school's settings (``staffing``): each SCR gap with its date, training by role
    scr_gaps: Table | None = None
    training_roles: Table | None = None
    rules: Table | None = None  # the rules the records were kept under (``rules_table``)
    retention: Table | None = None  # how long each kind of record is kept (``retention_table``)
    scr_held: bool = True  # a single central record has been imported and checked
    standards: str | None = None  # an independent school's standards, one sentence

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every table, in the order the summary shows them (the order of the fields above)."""
        return tuple(value for value in vars(self).values() if isinstance(value, Table))

    @property
    def reports_total(self) -> int:
        """Reports counted."""
        return sum(int(row[-1]) for row in self.concerns.rows)


def _policies(session: Session, school_id: str, today: date) -> Table:
    rows = []
    for row in register(session, school_id, today):
        p = row.policy
        current = row.versions[-1].label if row.versions else None
        stated = N_("worked out, not yet confirmed") if p.next_review_derived else N_("stated")
        rows.append(
            cells(
                (
                    p.title,
                    current,
                    p.approving_body,
                    p.ratified_on,
                    p.last_reviewed,
                    p.next_review_due,
                    stated if p.next_review_due else None,
                    row.status,
                    row.owner_name,
                )
            )
        )
    return Table(
        "policy-register.csv",
        N_("Policy register"),
        (
            N_("Policy"),
            N_("Current version"),
            N_("Approved by"),
            N_("Ratified on"),
            N_("Last reviewed"),
            N_("Next review date"),
            N_("Next review date is"),
            N_("Review status"),
            N_("Policy owner"),
        ),
        tuple(rows),
        pdf_columns=(0, 1, 2, 3, 5, 7),
    )


def _ack_counts(session: Session, school_id: str, today: date) -> Table:
    figures = {f.policy_id: f for f in read_figures(session, school_id, today).policies}
    done = dict(
        session.execute(
            select(Attestation.policy_version_id, func.count(func.distinct(Attestation.person_id)))
            .where(Attestation.school_id == school_id, Attestation.kind == "acknowledgement")
            .group_by(Attestation.policy_version_id)
        ).all()
    )
    owing: dict[tuple[int | None, str], int] = {  # by edition: asks open, and readings left
        (vid, status): n  # unread when their school year ended
        for vid, status, n in session.execute(
            select(Duty.policy_version_id, Duty.status, func.count())
            .where(
                Duty.school_id == school_id,
                Duty.kind == "reading_campaign",
                Duty.status.in_(("open", "not_read")),
            )
            .group_by(Duty.policy_version_id, Duty.status)
        )
    }
    rows = []
    for title, policy_id, vid, label, published, digest in session.execute(
        select(
            Policy.title,
            Policy.id,
            PolicyVersion.id,
            PolicyVersion.label,
            PolicyVersion.published_on,
            PolicyVersion.sha256,
        )
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .where(PolicyVersion.school_id == school_id)
        .order_by(Policy.title, PolicyVersion.id)
    ):
        fig = figures.get(policy_id)
        current = fig is not None and fig.version == label
        unread = owing.get((vid, "not_read"))
        words = f"{unread} not read in an earlier school year" if unread else ""
        if fig is not None and current:
            still = str(max(fig.owed - fig.done, 0)) + (f" ({words})" if words else "")
        elif (vid, "open") in owing:  # a reading's edition in force
            still = str(owing[(vid, "open")]) + (f" ({words})" if words else "")
        else:
            still = words or "superseded"
        rows.append(cells((title, label, published, done.get(vid, 0), still, digest)))
    return Table(
        "acknowledgement-counts.csv",
        N_("Acknowledgements by policy and version"),
        (
            N_("Policy"),
            N_("Version"),
            N_("Published on"),
            N_("People who acknowledged it"),
            N_("Still to acknowledge (current version)"),
            N_("Document SHA-256"),
        ),
        tuple(rows),
        pdf_columns=(0, 1, 2, 3, 4),
    )


def _aup(session: Session, school_id: str, today: date) -> Table:
    current = current_versions(session, school_id)  # policy id -> (version id, label)
    rows = []
    for account in session.scalars(
        select(OfficialAccount)
        .where(OfficialAccount.school_id == school_id)
        .order_by(OfficialAccount.name)
    ):
        version = current[account.aup_policy_id][1] if account.aup_policy_id in current else None
        held: list[tuple[str, date | None, str | None, date | None]] = [
            (s.name, s.since, HOLDER_STATES.get(s.state, s.state), s.signed_on)
            for s in holder_states(session, account, today)
        ]
        for name, since, state, signed_on in held or [
            (N_("No one holds it now"), None, None, None)
        ]:
            rows.append(
                cells((account.name, account.platform, name, since, version, state, signed_on))
            )
    return Table(
        "aup-signatures.csv",
        N_("AUP signatures by official account"),
        (
            N_("Official account"),
            N_("Platform"),
            N_("Holder"),
            N_("Holding since"),
            N_("Current AUP version"),
            N_("Signature"),
            N_("Signed on"),
        ),
        tuple(rows),
        pdf_columns=(0, 2, 4, 5, 6),
    )


def _recorder(names: dict[str, str], actor: str) -> str:
    if actor == "cli" or actor.startswith("cli:"):
        return CLI_ACTOR
    return names.get(actor.lower(), actor)


def _governors(session: Session, school_id: str, tz: ZoneInfo) -> Table:
    names = {
        e.lower(): n
        for e, n in session.execute(
            select(Person.email, Person.display_name).where(Person.school_id == school_id)
        )
    }
    titles = dict(
        session.execute(select(Policy.id, Policy.title).where(Policy.school_id == school_id)).all()
    )
    # (policy, date, what happened, reviewed by, minute, new version, recorded by, at)
    happened: list[tuple[str, date, str, str | None, str | None, str | None, str, datetime]] = [
        (
            titles.get(review.policy_id, ""),
            review.reviewed_on,
            "Reviewed and ratified",
            review.body,
            review.minute_ref,
            label,
            review.recorded_by,
            review.created_at,
        )
        for review, label in session.execute(
            select(PolicyReview, PolicyVersion.label)
            .outerjoin(PolicyVersion, PolicyVersion.id == PolicyReview.new_version_id)
            .where(PolicyReview.school_id == school_id)
        )
    ]
    happened += [
        (
            titles.get(int(event.object_id or 0), ""),
            event.at.astimezone(tz).date(),
            _confirmation(event.details),
            None,
            None,
            None,
            event.actor,
            event.at,
        )
        for event in session.scalars(
            select(AuditEvent).where(
                AuditEvent.school_id == school_id,
                AuditEvent.action == "policy.review_date.confirmed",
                AuditEvent.object_type == "policy",
            )
        )
    ]
    happened.sort(key=lambda h: (h[0], h[1]))
    return Table(
        "policy-reviews.csv",
        N_("Policy reviews and confirmations, with their history"),
        (
            N_("Policy"),
            N_("Date"),
            N_("What happened"),
            N_("Reviewed by"),
            N_("Minute reference"),
            N_("New version"),
            N_("Recorded by"),
            N_("Recorded at"),
        ),
        tuple(cells((*h[:6], _recorder(names, h[6]), when(h[7], tz))) for h in happened),
        pdf_columns=(0, 1, 2, 3, 4, 6),
    )


def _day(text: object) -> str:
    try:
        return f"{date.fromisoformat(str(text)):%d %b %Y}"
    except ValueError:
        return "no date"


def _confirmation(details: dict[str, object]) -> str:
    was, now = details.get("was"), details.get("next_review_due")
    if was and was != now:
        return f"Next review date changed from {_day(was)} to {_day(now)}"
    return f"Next review date confirmed as {_day(now)}"


def _concerns(session: Session, reports: Select[Report]) -> Table:
    counts: Counter[tuple[str, str, str]] = Counter()
    visible = reports.subquery()
    for category, status, outcome in session.execute(
        select(visible.c.category, visible.c.status, visible.c.outcome)
    ):
        recorded = FREE_TEXT_OUTCOME if (outcome or "").strip() else NO_OUTCOME
        counts[(CATEGORIES.get(category, category), STATUSES.get(status, status), recorded)] += 1
    return Table(
        "concerns-by-category-and-outcome.csv",
        N_("Concerns and breaches: counts by category and outcome (no content, no names)"),
        (N_("Category"), N_("Status"), N_("Outcome"), N_("Reports")),
        tuple(cells((*key, n)) for key, n in sorted(counts.items())),
    )


def _clocks(
    session: Session, reports: Select[Report], labels: Mapping[str, object], now: datetime
) -> Table:
    """Each kind of report deadline (the staff route's, the data-protection regulator's,
    triage): how many were kept, missed, are running and are running late; counts only."""
    return Table(
        "report-deadlines.csv",
        N_("Report deadlines: kept, missed and still running (counts only)"),
        (N_("Deadline"), N_("Kept"), N_("Missed"), N_("Running"), N_("Running late")),
        tuple(
            cells((labels.get(kind, kind), *n))
            for kind, n in clock_counts(session, reports, now, labels).items()
        ),
    )


def _filtering(session: Session, school_id: str, tz: ZoneInfo) -> tuple[Table, str | None]:
    checks = [
        r
        for r in session.scalars(
            select(Requirement)
            .where(Requirement.school_id == school_id, Requirement.kind == "recurring_task")
            .order_by(Requirement.title)
        )
        if FILTERING.search(f"{r.key} {r.title}")
    ]
    rows = []
    if checks:
        for title, cycle, at, name in session.execute(
            select(Requirement.title, TaskCompletion.cycle, TaskCompletion.at, Person.display_name)
            .join(Requirement, Requirement.id == TaskCompletion.requirement_id)
            .join(Person, Person.id == TaskCompletion.person_id)
            .where(TaskCompletion.requirement_id.in_([r.id for r in checks]))
            .order_by(Requirement.title, TaskCompletion.at)
        ):
            period = N_("after a recorded change") if cycle.startswith(EVENT_CYCLE) else cycle
            rows.append(cells((title, period, when(at, tz), name)))
    note = None
    if not checks:
        note = N_(
            "Not recorded: no filtering and monitoring check is set up in compliance-bot "
            "for this school."
        )
    elif not rows:
        note = N_("Not recorded: the check is set up, but no one has recorded doing it yet.")
    table = Table(
        "filtering-and-monitoring-review.csv",
        N_("Filtering and monitoring review"),
        (N_("Check"), N_("Period"), N_("Done at"), N_("Done by")),
        tuple(rows),
    )
    return table, note


def _complaints(session: Session, school_id: str, tz: ZoneInfo) -> Table:
    """Data protection complaints per quarter: received, acknowledged in time, outcomes."""
    return Table(
        "data-protection-complaints-by-quarter.csv",
        N_(
            "Data protection complaints per quarter of receipt, and how promptly each was "
            "acknowledged (the law: within 30 days) and answered (by the date the school set)"
        ),
        COUNT_HEADER,
        tuple(cells(c.row()) for c in complaint_counts(session, school_id, "quarter", tz)),
    )


def _event_reviews(session: Session, school_id: str) -> Table:
    """Each review a recorded change opened: its trigger, owners, due date, date and outcome."""
    rows = tuple(
        cells(
            (
                r.trigger,
                r.what,
                r.happened_on,
                r.recorded_on,
                r.review,
                ", ".join(r.owners),
                r.due_on,
                r.done_on or N_("Not yet"),
                r.done_by,
                r.outcome,
            )
        )
        for r in event_reviews(session, school_id)
    )
    return Table(
        "reviews-after-a-change.csv",
        N_("Reviews after a change (a new technology, guidance, incident or provider)"),
        (
            N_("Trigger"),
            N_("What"),
            N_("Happened"),
            N_("Recorded"),
            N_("Review"),
            N_("Owners"),
            N_("Due"),
            N_("Done"),
            N_("Done by"),
            N_("Outcome"),
        ),
        rows,
        pdf_columns=(0, 2, 4, 6, 7, 9),
    )


def _reading_proof(session: Session, school_id: str) -> Table:
    """Per version read with proof: pages seen of the total, and the check's pass rate."""
    acks = {
        vid: (n, seen, total, full)
        for vid, n, seen, total, full in session.execute(
            select(
                Attestation.policy_version_id,
                func.count(),
                func.sum(Attestation.pages_seen),
                func.sum(Attestation.pages_total),
                func.sum(case((Attestation.pages_seen >= Attestation.pages_total, 1), else_=0)),
            )
            .where(Attestation.school_id == school_id, Attestation.pages_total.is_not(None))
            .group_by(Attestation.policy_version_id)
        )
    }
    checks: dict[int, tuple[int, set[int], set[int]]] = {}
    for vid, person, passed in session.execute(
        select(ReadingCheck.policy_version_id, ReadingCheck.person_id, ReadingCheck.passed).where(
            ReadingCheck.school_id == school_id
        )
    ):
        tries, tried, passers = checks.setdefault(vid, (0, set(), set()))
        checks[vid] = (tries + 1, tried | {person}, passers | ({person} if passed else set()))
    rows = []
    for vid in sorted(set(acks) | set(checks)):
        version = session.get(PolicyVersion, vid)
        policy = session.get(Policy, version.policy_id) if version else None
        n, seen, total, full = acks.get(vid, (0, 0, 0, 0))
        tries, tried, passers = checks.get(vid, (0, set(), set()))
        rows.append(
            cells(
                (
                    policy.title if policy else "",
                    version.label if version else "",
                    n,
                    full,
                    f"{100 * (seen or 0) // total}%" if total else "",
                    tries,
                    len(tried),
                    len(passers),
                    f"{100 * len(passers) // len(tried)}%" if tried else "",
                )
            )
        )
    return Table(
        "proof-of-reading.csv",
        N_("Proof of reading: pages seen with each acknowledgement, and the reading check"),
        (
            N_("Policy"),
            N_("Version"),
            N_("Acknowledged with proof"),
            N_("Every page seen"),
            N_("Pages seen of total"),
            N_("Check attempts"),
            N_("People who tried"),
            N_("People who passed"),
            N_("Pass rate"),
        ),
        tuple(rows),
    )


def gather(
    session: Session,
    school_id: str,
    school_name: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    reports: Select[Report],
    made_by: str,
    reports_scope: str,
    standards: str | None = None,
    scr_headings: Mapping[str, str] | None = None,
    clock_headings: Mapping[str, object] | None = None,
) -> Facts:
    """Read every fact of the pack for one school, as of ``now``.

    Args:
        session: an open session (the dashboard's snapshot may be built in it).
        school_id: the school.
        school_name: its name as the school writes it.
        now: the moment the pack is made (aware).
        tz: the school's time zone: every date and time is given in it.
        reports: the reports to count (all of the school's, or those the maker may read).
        made_by: who made it, in plain words.
        reports_scope: one sentence saying which reports are counted.
        standards: an independent school's standards, one sentence (None for others).
        scr_headings: each kind of SCR gap in the school's words (None: plain English).
        clock_headings: each report deadline's name in the school's words (None: their ids).
    """
    today = now.astimezone(tz).date()
    filtering, note = _filtering(session, school_id, tz)
    return Facts(
        school_name=school_name,
        made_at=now.astimezone(tz),
        made_by=made_by,
        reports_scope=reports_scope,
        filtering_note=note,
        policies=_policies(session, school_id, today),
        ack_counts=_ack_counts(session, school_id, today),
        attestations=_attestations(session, school_id, tz),
        training=_training(session, school_id, today),
        aup=_aup(session, school_id, today),
        governors=_governors(session, school_id, tz),
        concerns=_concerns(session, reports),
        clocks=_clocks(session, reports, clock_headings or CLOCK_KINDS, now),
        filtering=filtering,
        complaints=_complaints(session, school_id, tz),
        event_reviews=_event_reviews(session, school_id),
        reading_proof=_reading_proof(session, school_id),
        scr=_scr(session, school_id, scr_headings),
        scr_held=scr_counts(session, school_id) is not None,
        standards=standards,
    )


def names_of(session: Session, school_id: str, emails: Iterable[str]) -> dict[str, str]:
    """Each address's name in the directory, by address in lower case (the proformas' leads)."""
    wanted = [e.lower() for e in emails]
    return {
        email.lower(): name
        for email, name in session.execute(
            select(Person.email, Person.display_name).where(
                Person.school_id == school_id, func.lower(Person.email).in_(wanted)
            )
        )
    }


def school_reports(school_id: str) -> Select[Report]:
    """Every report of the school (the command line's pack counts them all)."""
    return select(Report).where(Report.school_id == school_id)
