"""The headteacher's compliance dashboard (also the Teams tab) and its drill-down pages.

Who sees it: the headteacher, DSLs, deputy DSLs and admins of a school. Governors get a 403
that points them to the governors' termly report, which is the figures-only view made for
their role. Report *contents* never appear here: everyone sees counts; the DSL, deputies and
the headteacher also see references (linking to the audited report page), urgency, age and
the running clock. A person with a dashboard role in several schools of a trust (a record in
each, or their email in a school's leadership lists in ``school.yaml``) gets a school switcher
(``?school=``) and a trust-wide roll-up.

Every page works without JavaScript. Inside Teams (``?inTeams=1``) the page loads the vendored
TeamsJS library and a first-party script that follows Teams' theme changes.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.clock import LONDON, local_today
from bot.core.config import SchoolConfig
from bot.core.models import (
    AccountHolder,
    Attestation,
    Duty,
    OfficialAccount,
    Person,
    Policy,
    PolicyVersion,
    Report,
    Requirement,
    TrainingRecord,
    utcnow,
)
from bot.core.permissions import DASHBOARD_READERS, GOVERNORS, REPORT_READERS
from bot.core.store import Store
from bot.features.accounts.service import holder_states
from bot.features.dashboard import extras_tile
from bot.features.dashboard.figures import (
    ACK_TARGET,
    AGE_BANDS,
    URGENCIES,
    Figures,
    PolicyFigure,
    age_band,
    compute_figures,
    current_cycles,
    current_versions,
    review_status,
)
from bot.web.deps import ctx, current_user, render

__all__ = ["PAGE_SIZE", "READERS", "REPORT_READERS", "Viewer", "router", "school_roles"]

log = logging.getLogger(__name__)
router = APIRouter()

READERS = DASHBOARD_READERS
GOVERNOR_ROLES = GOVERNORS
PAGE_SIZE = 50
THEMES = ("light", "dark", "contrast", "default")
KIND_LABELS = {
    "acknowledge_policy": "Policy acknowledgements",
    "complete_training": "Training",
    "sign_aup": "AUP signatures",
    "recurring_task": "Recurring tasks",
    "review_policy": "Policy reviews",
}
CLOCK_NAMES = {"lado": "LADO", "ico": "ICO", "triage": "DSL triage"}
URGENCY_LABELS = {"immediate": "Immediate", "high": "High", "normal": "Normal"}


# --------------------------------------------------------------------------- who is looking


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as seen from one school whose dashboard they may open."""

    email: str
    roles: frozenset[str]  # their roles in the chosen school
    school: SchoolConfig
    schools: tuple[SchoolConfig, ...]  # every school whose dashboard they may open

    @property
    def reads_reports(self) -> bool:
        """Whether they may see report references and clocks (never contents)."""
        return bool(self.roles & REPORT_READERS)


class _SignIn(Exception):
    """Nobody is signed in."""


class _Denied(Exception):
    """Signed in, but without a dashboard role anywhere."""

    def __init__(self, governor: bool) -> None:
        super().__init__("not allowed")
        self.governor = governor


def _config_roles(school: SchoolConfig, email: str) -> set[str]:
    """The leadership roles ``school.yaml`` gives ``email`` in ``school``."""
    roles = set()
    if school.headteacher == email:
        roles.add("headteacher")
    for role, emails in (
        ("dsl", school.dsl),
        ("deputy_dsl", school.deputy_dsl),
        ("admin", school.admins),
    ):
        if email in emails:
            roles.add(role)
    return roles


def school_roles(
    session: Session, schools: Iterable[SchoolConfig], email: str
) -> dict[str, set[str]]:
    """Roles of ``email`` in each school: from their record there, else from the configuration.

    A trust can list its central team (by email) as ``admins`` of every school; their
    directory record lives in one school, yet they may open every school's dashboard. A
    record that has left a school gives no roles there, whatever the configuration says.
    """
    records = {p.school_id: p for p in session.scalars(select(Person).where(Person.email == email))}
    roles: dict[str, set[str]] = {}
    for school in schools:
        record = records.get(school.id)
        if record is None:
            roles[school.id] = _config_roles(school, email)
        else:
            roles[school.id] = set(record.role_names) if record.active else set()
    return roles


def _viewer(request: Request, session: Session, school_id: str | None) -> Viewer:
    """Who is looking, at which school; raises for the sign-in and refusal pages."""
    user = current_user(request)
    if user is None:
        raise _SignIn()
    config = ctx(request).config
    roles = school_roles(session, config.schools, user.email)
    allowed = tuple(s for s in config.schools if roles[s.id] & READERS)
    if not allowed:
        held = set().union(*roles.values()) | set(user.role_names)
        raise _Denied(governor=bool(held & GOVERNOR_ROLES))
    if school_id:
        if not any(s.id == school_id for s in config.schools):
            raise HTTPException(404, "There is no such school.")
        chosen = next((s for s in allowed if s.id == school_id), None)
        if chosen is None:
            raise HTTPException(403, "You cannot open this school's dashboard.")
    else:
        chosen = next((s for s in allowed if s.id == user.school_id), allowed[0])
    return Viewer(user.email, frozenset(roles[chosen.id]), chosen, allowed)


def _guarded(request: Request, build: Callable[[], Response]) -> Response:
    """Run a page builder, turning "not signed in" and "not allowed" into friendly pages."""
    try:
        response = build()
    except _SignIn:
        return render(
            request,
            "dashboard_signin.html",
            {"next": request.url.path, **_chrome(request)},
            status_code=401,
        )
    except _Denied as denied:
        return render(
            request,
            "dashboard_denied.html",
            {"governor": denied.governor, **_chrome(request)},
            status_code=403,
        )
    theme = request.query_params.get("theme")
    if theme in THEMES:  # remember a chosen theme for the rest of the site (render() reads it)
        response.set_cookie(
            "cb_theme", theme, max_age=365 * 86400, httponly=True, samesite="lax", path="/"
        )
    return response


# --------------------------------------------------------------------------- links and chrome


def _chrome(request: Request) -> dict[str, Any]:
    """What every dashboard template needs: Teams mode and a link builder keeping the theme."""
    params = request.query_params
    keep = {k: params[k] for k in ("theme", "inTeams") if params.get(k)}
    if keep.get("theme") not in THEMES:
        keep.pop("theme", None)
    if keep.get("inTeams") != "1":
        keep.pop("inTeams", None)

    def link(path: str, **extra: Any) -> str:
        """``path`` with the theme and Teams flags kept, plus ``extra`` (None drops a key)."""
        query = {**keep, **{k: v for k, v in extra.items() if v is not None and v != ""}}
        return f"{path}?{urlencode(query)}" if query else path

    def theme_link(theme: str) -> str:
        """This page again, in another theme."""
        query = {k: v for k, v in params.items() if k != "theme"}
        return f"{request.url.path}?{urlencode({**query, 'theme': theme})}"

    return {
        "in_teams": keep.get("inTeams") == "1",
        "link": link,
        "keep": keep,
        "theme_link": theme_link,
    }


def _school_param(viewer: Viewer) -> str | None:
    """The ``school`` query value to keep in links (only in a trust)."""
    return viewer.school.id if len(viewer.schools) > 1 else None


def _page(value: str | None) -> int:
    """A 1-based page number from the query string (bad values mean page 1)."""
    return int(value) if value and value.isdigit() and int(value) > 0 else 1


@dataclass(frozen=True)
class Pager:
    """Which slice of a long list a page shows."""

    page: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max(1, math.ceil(self.total / self.size))

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (min(self.page, self.pages) - 1) * self.size

    @property
    def first(self) -> int:
        """1-based number of the first row shown."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        """1-based number of the last row shown."""
        return min(self.offset + self.size, self.total)


# --------------------------------------------------------------------------- charts


def percent(rate: float) -> int:
    """Whole percent rounded down (94.9% never reads as a target-meeting 95%)."""
    return math.floor(rate * 100 + 1e-9)


def gauge(rate: float, target: float) -> dict[str, Any]:
    """Geometry of a ring gauge (circumference 100 at r=15.9155) with a target tick."""
    angle = math.radians(target * 360 - 90)
    inner, outer = 12.0, 20.0
    return {
        "dash": f"{max(min(rate, 1.0), 0.0) * 100:.2f} 100",
        "x1": f"{18 + inner * math.cos(angle):.2f}",
        "y1": f"{18 + inner * math.sin(angle):.2f}",
        "x2": f"{18 + outer * math.cos(angle):.2f}",
        "y2": f"{18 + outer * math.sin(angle):.2f}",
        "state": "ok" if rate >= target else ("warn" if rate >= target - 0.15 else "bad"),
    }


def segments(parts: Iterable[tuple[str, int]], total: int) -> list[dict[str, Any]]:
    """Stacked-bar segments (x and width in percent of ``total``) for non-zero parts."""
    out, x = [], 0.0
    for css, n in parts:
        if n <= 0 or total <= 0:
            continue
        width = 100.0 * n / total
        out.append({"css": css, "x": f"{x:.3f}", "width": f"{width:.3f}", "n": n})
        x += width
    return out


# --------------------------------------------------------------------------- the main page


@dataclass
class ReportPanel:
    """Open reports for the viewer: counts always; references and clocks for leadership."""

    total: int = 0
    by_age: dict[str, dict[str, int]] = field(default_factory=dict)
    running: int = 0
    overdue: int = 0
    rows: list[dict[str, Any]] | None = None  # None: counts only for this viewer


def _clock_text(due: datetime, now: datetime) -> str:
    """e.g. "5 h left", "2 days left", "overdue by 3 h"."""
    seconds = (due - now).total_seconds()
    span = abs(seconds)
    amount = (
        f"{int(span // 60)} min"
        if span < 3600
        else (f"{int(span // 3600)} h" if span < 2 * 86400 else f"{int(span // 86400)} days")
    )
    return f"overdue by {amount}" if seconds < 0 else f"{amount} left"


def _report_panel(
    session: Session, viewer: Viewer, figures: Figures, today: date, now: datetime
) -> ReportPanel:
    """The reports panel: the viewer's own visible reports if they may read reports."""
    if not viewer.reads_reports:
        return ReportPanel(
            total=figures.open_reports,
            by_age=figures.reports_by_age,
            running=figures.running_clocks,
            overdue=figures.clocks_overdue,
        )
    from bot.features.reports.service import visible_reports

    query = visible_reports(viewer.school, viewer.email, viewer.roles).where(
        Report.status != "closed"
    )
    reports = session.scalars(query).all()
    by_age: dict[str, Counter[str]] = {u: Counter() for u in URGENCIES}
    rows = []
    running = overdue = 0
    for report in reports:
        days = (today - local_today(report.created_at)).days
        by_age.setdefault(report.urgency, Counter())[age_band(days)] += 1
        clock = next((c for c in report.clocks if c.stopped_at is None), None)
        row: dict[str, Any] = {
            "reference": report.reference,
            "urgency": report.urgency,
            "status": report.status,
            "days": days,
            "clock": None,
        }
        if clock is not None:
            running += sum(1 for c in report.clocks if c.stopped_at is None)
            late = clock.due_at < now
            overdue += sum(1 for c in report.clocks if c.stopped_at is None and c.due_at < now)
            row["clock"] = {
                "name": CLOCK_NAMES.get(clock.kind, clock.kind),
                "due": clock.due_at.astimezone(LONDON),
                "late": late,
                "text": _clock_text(clock.due_at, now),
            }
        rows.append(row)
    order = {u: i for i, u in enumerate(URGENCIES)}
    rows.sort(
        key=lambda r: (
            not (r["clock"] and r["clock"]["late"]),
            r["clock"] is None,
            order.get(r["urgency"], 9),
            -r["days"],
        )
    )
    return ReportPanel(
        total=len(reports),
        by_age={u: {b: c[b] for b in AGE_BANDS} for u, c in by_age.items()},
        running=running,
        overdue=overdue,
        rows=rows,
    )


def _extras(store: Store, school_id: str, today: date) -> dict[str, int] | None:
    """Counts for the decisions, tasks and visitors tiles (None if they could not be counted).

    It runs in a session of its own so that a failure there cannot spoil the page's.
    """
    try:
        with store.session() as session:
            counts = extras_tile.dashboard_counts(session, school_id, today)
    except Exception:  # an optional tile must never take the dashboard down
        log.exception("bot.features.extras.dashboard_counts failed; tile hidden")
        return None
    return {str(k): int(v) for k, v in dict(counts).items()}


def _label(key: str) -> str:
    """A count's key as a label: "decisions_due_for_review" -> "Decisions due for review"."""
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class RollupRow:
    """One school's line in the trust-wide roll-up."""

    school: SchoolConfig
    figures: Figures


def _rollup_total(rows: list[RollupRow]) -> dict[str, Any]:
    """The trust's totals: rates from summed counts, not averaged percentages."""
    done = sum(r.figures.ack_done for r in rows)
    owed = sum(r.figures.ack_owed for r in rows)
    trained = sum(r.figures.training_done for r in rows)
    should = sum(r.figures.training_owed for r in rows)
    return {
        "people": sum(r.figures.people for r in rows),
        "ack_rate": done / owed if owed else 1.0,
        "training_rate": trained / should if should else 1.0,
        "overdue_duties": sum(r.figures.overdue_duties for r in rows),
        "policies_overdue": sum(r.figures.policies_overdue for r in rows),
        "accounts_unsigned": sum(r.figures.accounts_unsigned for r in rows),
        "handovers": sum(r.figures.handovers for r in rows),
        "open_reports": sum(r.figures.open_reports for r in rows),
        "clocks_overdue": sum(r.figures.clocks_overdue for r in rows),
    }


@router.get("/dashboard", include_in_schema=False)
def dashboard(request: Request, school: str | None = None) -> Response:
    """The compliance dashboard: headline tiles, charts and what needs attention now."""

    def build() -> Response:
        now = utcnow()
        today = local_today(now)
        with ctx(request).store.session() as session:
            viewer = _viewer(request, session, school)
            figures = compute_figures(session, viewer.school.id, today, now=now)
            panel = _report_panel(session, viewer, figures, today, now)
            rollup = (
                [
                    RollupRow(s, compute_figures(session, s.id, today, now=now))
                    for s in viewer.schools
                ]
                if len(viewer.schools) > 1
                else []
            )
        extras = _extras(ctx(request).store, viewer.school.id, today)
        reviews = sorted(
            figures.policies,
            key=lambda p: (
                {"overdue": 0, "due soon": 1, "under review": 2}.get(p.review, 3),
                p.next_review or date.max,
                p.title,
            ),
        )
        acknowledged = [p for p in figures.policies if p.required]
        chrome = _chrome(request)
        return render(
            request,
            "dashboard.html",
            {
                **chrome,
                "viewer": viewer,
                "school_param": _school_param(viewer),
                "org_name": ctx(request).config.organisation.name,
                "f": figures,
                "now": now.astimezone(LONDON),
                "today": today,
                "acknowledged": acknowledged,
                "unacknowledged": [p for p in figures.policies if not p.required],
                "reviews": reviews,
                "reports": panel,
                "extras": extras,
                "extras_labels": {k: _label(k) for k in extras or {}},
                "rollup": rollup,
                "rollup_total": _rollup_total(rollup) if rollup else None,
                "ack_gauge": gauge(figures.ack_rate, figures.ack_target),
                "training_gauge": gauge(figures.training_rate, figures.ack_target),
                "training_bars": {
                    t.requirement_id: segments(
                        [
                            ("ok", t.up_to_date - t.renewing),
                            ("soon", t.renewing),
                            ("bad", t.expired),
                            ("warn", t.never),
                        ],
                        t.audience,
                    )
                    for t in figures.training
                },
                "kind_labels": KIND_LABELS,
                "urgency_labels": URGENCY_LABELS,
                "age_bands": AGE_BANDS,
                "percent": percent,
                "target_pct": percent(figures.ack_target),
            },
        )

    return _guarded(request, build)


# --------------------------------------------------------------------------- people


def _person_in_reach(session: Session, request: Request, person_id: int) -> tuple[Viewer, Person]:
    """The person, if they belong to a school whose dashboard the viewer may open."""
    viewer = _viewer(request, session, None)  # sign-in and role checks come first
    person = session.get(Person, person_id)
    if person is None or not any(s.id == person.school_id for s in viewer.schools):
        raise HTTPException(404, "There is no such person.")
    return _viewer(request, session, person.school_id), person


@router.get("/dashboard/people", include_in_schema=False)
def people(
    request: Request,
    school: str | None = None,
    q: str | None = None,
    show: str | None = None,
    page: str | None = None,
) -> Response:
    """Everyone in the school with their open and overdue duties (50 a page)."""

    def build() -> Response:
        today = local_today(utcnow())
        search = (q or "").strip()[:100]
        only_overdue = show == "overdue"
        with ctx(request).store.session() as session:
            viewer = _viewer(request, session, school)
            sid = viewer.school.id
            open_counts = (
                select(
                    Duty.person_id.label("pid"),
                    func.count().label("open"),
                    func.sum(case((Duty.due_on < today, 1), else_=0)).label("overdue"),
                )
                .where(Duty.school_id == sid, Duty.status == "open")
                .group_by(Duty.person_id)
                .subquery()
            )
            conditions = [Person.school_id == sid, Person.active.is_(True)]
            if search:
                like = f"%{search.lower()}%"
                conditions.append(
                    or_(func.lower(Person.display_name).like(like), Person.email.like(like))
                )
            if only_overdue:
                conditions.append(open_counts.c.overdue > 0)
            base = (
                select(
                    Person.id,
                    Person.display_name,
                    Person.job_title,
                    Person.email,
                    func.coalesce(open_counts.c.open, 0),
                    func.coalesce(open_counts.c.overdue, 0),
                )
                .outerjoin(open_counts, open_counts.c.pid == Person.id)
                .where(*conditions)
            )
            total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
            pager = Pager(_page(page), total, PAGE_SIZE)
            order = (
                (func.coalesce(open_counts.c.overdue, 0).desc(), Person.display_name)
                if only_overdue
                else (Person.display_name, Person.id)
            )
            rows = session.execute(
                base.order_by(*order).offset(pager.offset).limit(pager.size)
            ).all()
        return render(
            request,
            "dashboard_people.html",
            {
                **_chrome(request),
                "viewer": viewer,
                "school_param": _school_param(viewer),
                "rows": rows,
                "pager": pager,
                "q": search,
                "show": "overdue" if only_overdue else "all",
            },
        )

    return _guarded(request, build)


@router.get("/dashboard/people/{person_id}", include_in_schema=False)
def person_detail(request: Request, person_id: int) -> Response:
    """One person's duties and evidence (the view is recorded in the audit log)."""

    def build() -> Response:
        today = local_today(utcnow())
        with ctx(request).store.transaction() as session:
            viewer, person = _person_in_reach(session, request, person_id)
            duties = session.execute(
                select(
                    Duty,
                    func.coalesce(Policy.title, Requirement.title),
                    OfficialAccount.name,
                )
                .join(Requirement, Requirement.id == Duty.requirement_id)
                .outerjoin(Policy, Policy.id == Requirement.policy_id)
                .outerjoin(OfficialAccount, OfficialAccount.id == Duty.account_id)
                .where(Duty.person_id == person.id)
                .order_by(
                    case((Duty.status == "open", 0), else_=1), Duty.due_on.desc(), Duty.id.desc()
                )
            ).all()
            evidence = session.execute(
                select(Attestation, PolicyVersion.label, Policy.title)
                .join(PolicyVersion, PolicyVersion.id == Attestation.policy_version_id)
                .join(Policy, Policy.id == PolicyVersion.policy_id)
                .where(Attestation.person_id == person.id)
                .order_by(Attestation.at.desc())
            ).all()
            training = session.scalars(
                select(TrainingRecord)
                .where(TrainingRecord.person_id == person.id)
                .order_by(TrainingRecord.completed_on.desc())
            ).all()
            accounts = session.execute(
                select(OfficialAccount.id, OfficialAccount.name, AccountHolder.since)
                .join(AccountHolder, AccountHolder.account_id == OfficialAccount.id)
                .where(AccountHolder.person_id == person.id, AccountHolder.until.is_(None))
                .order_by(OfficialAccount.name)
            ).all()
            manager = person.manager.display_name if person.manager else None
            groups = sorted(g.name for g in person.groups)
            roles = sorted(person.role_names)
            audit.record(
                session,
                actor=viewer.email,
                action="dashboard.person_viewed",
                object_type="person",
                object_id=person.id,
                school_id=person.school_id,
            )
            view = {
                "person": {
                    "id": person.id,
                    "name": person.display_name,
                    "email": person.email,
                    "job_title": person.job_title,
                    "start_date": person.start_date,
                    "active": person.active,
                    "left_on": person.left_on,
                },
                "duties": [
                    {
                        "title": f"{title} — {account}" if account else title,
                        "kind": KIND_LABELS.get(d.kind, d.kind),
                        "cycle": d.cycle,
                        "opened_on": d.opened_on,
                        "due_on": d.due_on,
                        "status": d.status,
                        "late": d.status == "open" and d.due_on < today,
                        "closed_on": d.closed_on,
                        "closed_reason": d.closed_reason,
                        "reminders": d.reminders_sent,
                    }
                    for d, title, account in duties
                ],
                "evidence": [
                    {
                        "kind": "AUP signature" if a.kind == "aup_signature" else "Acknowledgement",
                        "policy": title,
                        "version": label,
                        "sha256": a.document_sha256,
                        "at": a.at.astimezone(LONDON),
                        "method": a.method,
                        "typed_name": a.typed_name,
                    }
                    for a, label, title in evidence
                ],
                "training": [
                    {
                        "course": t.course,
                        "completed_on": t.completed_on,
                        "provider": t.provider,
                        "source": t.source,
                    }
                    for t in training
                ],
                "accounts": [{"id": i, "name": n, "since": s} for i, n, s in accounts],
                "manager": manager,
                "groups": groups,
                "roles": roles,
            }
        return render(
            request,
            "dashboard_person.html",
            {**_chrome(request), "viewer": viewer, "school_param": _school_param(viewer), **view},
        )

    return _guarded(request, build)


# --------------------------------------------------------------------------- policies


@router.get("/dashboard/policies/{key}", include_in_schema=False)
def policy_detail(
    request: Request,
    key: str,
    school: str | None = None,
    show: str | None = None,
    page: str | None = None,
) -> Response:
    """Who has and has not acknowledged a policy's current version (50 a page)."""

    def build() -> Response:
        now = utcnow()
        today = local_today(now)
        listing = show if show in ("outstanding", "acknowledged") else "outstanding"
        with ctx(request).store.session() as session:
            viewer = _viewer(request, session, school)
            sid = viewer.school.id
            policy = session.scalar(
                select(Policy).where(Policy.school_id == sid, Policy.key == key)
            )
            if policy is None:
                raise HTTPException(404, "There is no such policy.")
            versions = current_versions(session, sid)
            vid = versions.get(policy.id, (None, None))[0]
            version = session.get(PolicyVersion, vid) if vid else None
            cycles = current_cycles(session, sid, {policy.id: vid} if vid else {}, today)
            wanted = [
                and_(Duty.requirement_id == rid, Duty.cycle == cycle)
                for rid, (_, cycle) in cycles.items()
            ]
            filters = [
                Duty.school_id == sid,
                Duty.kind == "acknowledge_policy",
                Person.active.is_(True),
                or_(*wanted) if wanted else Duty.id < 0,
            ]
            counts = dict(
                session.execute(
                    select(Duty.status, func.count())
                    .join(Person, Person.id == Duty.person_id)
                    .where(*filters, Duty.status.in_(["open", "done"]))
                    .group_by(Duty.status)
                ).all()
            )
            overdue = (
                session.scalar(
                    select(func.count())
                    .select_from(Duty)
                    .join(Person, Person.id == Duty.person_id)
                    .where(*filters, Duty.status == "open", Duty.due_on < today)
                )
                or 0
            )
            status = "open" if listing == "outstanding" else "done"
            total = int(counts.get(status, 0))
            pager = Pager(_page(page), total, PAGE_SIZE)
            query = (
                select(
                    Person.id,
                    Person.display_name,
                    Person.job_title,
                    Duty.due_on,
                    Duty.reminders_sent,
                    Duty.closed_on,
                )
                .join(Person, Person.id == Duty.person_id)
                .where(*filters, Duty.status == status)
            )
            query = (
                query.order_by(Duty.due_on, Person.display_name)
                if status == "open"
                else query.order_by(Person.display_name)
            )
            rows = session.execute(query.offset(pager.offset).limit(pager.size)).all()
            when: dict[int, datetime] = {}
            if status == "done" and rows and vid:
                for pid, at in session.execute(
                    select(Attestation.person_id, func.max(Attestation.at))
                    .where(
                        Attestation.policy_version_id == vid,
                        Attestation.kind == "acknowledgement",
                        Attestation.person_id.in_([r[0] for r in rows]),
                    )
                    .group_by(Attestation.person_id)
                ):
                    when[pid] = at
            figure = PolicyFigure(
                policy_id=policy.id,
                key=policy.key,
                title=policy.title,
                version=version.label if version else None,
                done=int(counts.get("done", 0)),
                owed=int(counts.get("done", 0)) + int(counts.get("open", 0)),
                overdue=overdue,
                next_review=policy.next_review_due,
                review=review_status(policy, today),
            )
            version_view = (
                {
                    "label": version.label,
                    "published_on": version.published_on,
                    "sha256": version.sha256,
                    "document_name": version.document_name,
                }
                if version
                else None
            )
            people_rows = [
                {
                    "id": pid,
                    "name": name,
                    "job_title": title,
                    "due_on": due,
                    "late": status == "open" and due < today,
                    "reminders": reminders,
                    "when": when[pid].astimezone(LONDON) if pid in when else None,
                    "closed_on": closed,
                }
                for pid, name, title, due, reminders, closed in rows
            ]
        return render(
            request,
            "dashboard_policy.html",
            {
                **_chrome(request),
                "viewer": viewer,
                "school_param": _school_param(viewer),
                "p": figure,
                "approving_body": policy.approving_body,
                "version": version_view,
                "rows": people_rows,
                "pager": pager,
                "show": listing,
                "percent": percent,
                "target_pct": percent(ACK_TARGET),
            },
        )

    return _guarded(request, build)


# --------------------------------------------------------------------------- accounts


@router.get("/dashboard/accounts/{account_id}", include_in_schema=False)
def account_detail(request: Request, account_id: int) -> Response:
    """An official account's holders and whether each has signed the AUP."""

    def build() -> Response:
        today = local_today(utcnow())
        with ctx(request).store.session() as session:
            viewer = _viewer(request, session, None)
            account = session.get(OfficialAccount, account_id)
            if account is None or not any(s.id == account.school_id for s in viewer.schools):
                raise HTTPException(404, "There is no such account.")
            viewer = _viewer(request, session, account.school_id)
            states = holder_states(session, account, today)
            view = {
                "id": account.id,
                "name": account.name,
                "platform": account.platform,
                "url": account.url,
                "purpose": account.purpose,
                "custodian": account.custodian.display_name if account.custodian else None,
                "handover_needed": account.handover_needed,
                "handover_reason": account.handover_reason,
            }
        return render(
            request,
            "dashboard_account.html",
            {
                **_chrome(request),
                "viewer": viewer,
                "school_param": _school_param(viewer),
                "account": view,
                "holders": states,
                "unsigned": sum(1 for s in states if s.state != "signed"),
            },
        )

    return _guarded(request, build)


# --------------------------------------------------------------------------- Teams set-up


@router.get("/teams/configure", include_in_schema=False)
def teams_configure(request: Request) -> HTMLResponse:
    """The set-up page Teams shows when the tab is added to a channel or group chat.

    It needs no sign-in (Teams frames it before any session exists) and shows only school
    names. In Teams, /static/teams-config.js saves the choice with pages.config.setConfig.
    """
    config = ctx(request).config
    return render(
        request,
        "teams_configure.html",
        {
            **_chrome(request),
            "schools": config.schools,
            "several": len(config.schools) > 1,
            "base": ctx(request).settings.base_url,
        },
    )
