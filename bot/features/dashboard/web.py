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

This module has the main page and the Teams set-up page; its router also carries the drill-down
pages (``drilldown``). Who is looking is worked out in ``viewer``; links, labels and the
sign-in guard are in ``chrome``; the pager and chart geometry in ``charts``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON, local_today
from bot.core.deployment import scheduler_health
from bot.core.guards.permissions import SETUP_EDITORS, TRUST_ADMINS
from bot.core.language.i18n import N_
from bot.core.models import utcnow
from bot.engine import snapshot
from bot.engine.chasing import needs_conversation
from bot.engine.sweep_jobs import not_swept
from bot.engine.web.deps import ctx, render
from bot.features.dashboard import drilldown
from bot.features.dashboard.charts import gauge, percent, segments
from bot.features.dashboard.chrome import KIND_LABELS, chrome, find_viewer, guarded, school_page
from bot.features.dashboard.figures import read_figures
from bot.features.dashboard.panel import URGENCY_LABELS, for_viewer
from bot.features.dashboard.rules import AGE_BANDS, AGE_LABELS, Figures
from bot.features.dashboard.viewer import Viewer
from bot.features.decisions.api import count_decisions_due
from bot.features.privacy.api import summary as complaints_summary
from bot.features.privacy.api import words_for as complaint_readers
from bot.features.reading.api import without_edition
from bot.features.scr.api import open_counts as scr_counts
from bot.features.setup.api import preview_of
from bot.features.tasks.api import count_tasks_overdue, event_reviews
from bot.features.visitors.api import count_visitors_today

__all__ = ["RollupRow", "dashboard", "dashboard_counts", "router", "teams_configure"]

log = logging.getLogger(__name__)
router = APIRouter()


def dashboard_counts(session: Session, school_id: str, today: date) -> dict[str, int]:
    """The optional tile's figures, one count from each feature: decisions due for review,
    overdue tasks, visitors today, the single central record's open gaps (a count: who they
    are about is on /scr, for the head and the SCR owner; left out until the school's SCR
    was first checked)."""
    counts = {
        "decisions_due": count_decisions_due(session, school_id, today),
        "tasks_overdue": count_tasks_overdue(session, school_id, today),
        "visitors_today": count_visitors_today(session, school_id, today),
    }
    scr = scr_counts(session, school_id)
    if scr is not None:
        counts["single_central_record_gaps"] = sum(scr.values())
    return counts


def _extras(session: Session, school_id: str, today: date) -> dict[str, int] | None:
    """Counts for the decisions, tasks and visitors tiles (None if they could not be counted).

    It runs in a savepoint of the page's session, so that a failure there cannot spoil the
    page's reads (rolled back to it, the session reads on).
    """
    try:
        with session.begin_nested():
            return dashboard_counts(session, school_id, today)
    except Exception:  # an optional tile must never take the dashboard down
        log.exception("dashboard_counts failed; tile hidden")
        return None


def _complaints_panel(session: Session, viewer: Viewer, today: date) -> dict[str, Any]:
    """The data protection complaints section: the last 12 months' counts and timeliness,
    never content; a link to the complaints for those who read them."""
    found = complaints_summary(session, viewer.school.id, today)
    counted = (
        "received",
        "acknowledged_in_time",
        "acknowledged_late",
        "outcomes",
        "outcomes_by_due",
        "open",
    )
    return {
        **{name: getattr(found.counts, name, 0) for name in counted},  # counts None: all 0
        "overdue": found.overdue,
        "readable": bool(viewer.roles & set(viewer.school.complaints.readers)),
        "readers": complaint_readers(viewer.school),
        "rights": bool(viewer.roles & {"dpo", "headteacher"}),  # their pages' readers
    }


# each optional count's label, translated where shown
EXTRAS_LABELS = {
    "decisions_due": N_("Decisions due"),
    "tasks_overdue": N_("Tasks overdue"),
    "visitors_today": N_("Visitors today"),
    "single_central_record_gaps": N_("Single central record gaps"),
}


def _label(key: str) -> str:
    """A count's key as a label: "decisions_due_for_review" -> "Decisions due for review"."""
    if key in EXTRAS_LABELS:
        return EXTRAS_LABELS[key]
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class RollupRow:
    """One school's line in the trust-wide roll-up."""

    school: SchoolConfig
    figures: Figures


def _rollup_total(rows: list[RollupRow]) -> dict[str, Any]:
    """The trust's totals: rates from summed counts, not averaged percentages."""

    def total(name: str) -> int:
        return sum(getattr(r.figures, name) for r in rows)

    def rate(done: str, owed: str) -> float:
        return total(done) / total(owed) if total(owed) else 1.0

    shown = ("overdue_duties", "policies_overdue", "accounts_unsigned", "open_reports")
    return {
        "ack_rate": rate("ack_done", "ack_owed"),
        "training_rate": rate("training_done", "training_owed"),
        **{name: total(name) for name in shown},
    }


@router.get("/dashboard", include_in_schema=False)
def dashboard(request: Request, school: str | None = None) -> Response:
    """The compliance dashboard: headline tiles, charts and what needs attention now."""

    def build() -> Response:
        now = utcnow()
        today = local_today(now)
        with ctx(request).store.session() as session:
            viewer = find_viewer(request, session, school)
            shown = viewer.schools if len(viewer.schools) > 1 else [viewer.school]
            # held, so that the figures below find them in the session, not ask again
            snaps = [snapshot.ensure(session, s.id, today) for s in shown]
            if any(built for _, built in snaps):
                session.commit()  # a fresh install's first view counts once, for everyone
            figures = read_figures(session, viewer.school.id, today, now=now)
            figures.calendar_question = viewer.school.term_dates_question(today)
            report_rows = for_viewer(session, viewer, figures, today, now)
            talks = needs_conversation(session, viewer.school, today)
            complaints = _complaints_panel(session, viewer, today)
            changes = [r for r in event_reviews(session, viewer.school.id) if not r.done_on]
            preview = preview_of(session, viewer.school.id)
            unread = without_edition(session, viewer.school, today)
            extras = _extras(session, viewer.school.id, today)
            rollup = [  # a trust-wide roll-up only in a trust
                RollupRow(s, read_figures(session, s.id, today, now=now))
                for s in (viewer.schools if len(viewer.schools) > 1 else [])
            ]
            # the head and the administrators: the bot's own jobs have stopped (this process's
            # scheduler, or on PostgreSQL any scheduler's beat kept in the database)
            told = bool(set(viewer.roles) & SETUP_EDITORS)
            beats = session.connection() if told else None
            stopped = scheduler_health.stopped(now, beats) if told else None
            stale = not_swept(session, shown, now) if told else []
        reviews = sorted(
            figures.policies,
            key=lambda p: (
                {"overdue": 0, "due soon": 1, "under review": 2}.get(p.review, 3),
                p.next_review or date.max,
                p.title,
            ),
        )
        return school_page(
            request,
            "dashboard.html",
            viewer,
            {
                "user": viewer.person,
                "org_name": ctx(request).config.organisation.name,
                "f": figures,
                "event_reviews": changes,
                "without_edition": unread,
                "now": now.astimezone(LONDON),
                "today": today,
                "acknowledged": [p for p in figures.policies if p.required],
                "unacknowledged": [p for p in figures.policies if not p.required],
                "reviews": reviews,
                "report_rows": report_rows,
                "talks": talks,
                "complaints": complaints,
                "preview": preview,
                # the school's own head or admin, or a trust-wide administrator (#54)
                "can_start_sending": bool(set(viewer.roles) & SETUP_EDITORS)
                and viewer.person is not None
                and (
                    viewer.school.id == viewer.person.school_id
                    or bool(viewer.person.role_names & TRUST_ADMINS)
                ),
                "scheduler_stopped": stopped,
                "not_swept": stale,
                "sending_started": request.query_params.get("sending") == "started",
                # in a trust each school starts on its own: say this one's state (#54)
                "in_trust": len(ctx(request).config.schools) > 1,
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
                "age_labels": AGE_LABELS,
                "percent": percent,
                "target_pct": percent(figures.ack_target),
            },
        )

    return guarded(request, build)


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
            **chrome(request),
            "schools": config.schools,
            "several": len(config.schools) > 1,
            "base": ctx(request).settings.base_url,
        },
    )


# --------------------------------------------------------------------------- drill-down pages

# /dashboard/people, /dashboard/people/{id}, /dashboard/policies/{key}, /dashboard/accounts/{id}
router.include_router(drilldown.router)
