"""The open-reports figures as one viewer may see them: the web dashboard's panel and the
Teams dashboard card count with the same function, so a deputy DSL sees the reports they may
read (those about the headteacher too) and the head sees theirs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import Session

from bot.core.days.clock import LONDON, local_today
from bot.core.language.i18n import N_, Dated, Joined, Msg, N_plural, nmsg
from bot.core.language.words import said_words, school_words
from bot.core.models import Report, ReportClock
from bot.features.dashboard.rules import URGENCIES, Figures, by_age
from bot.features.dashboard.viewer import Viewer
from bot.features.reports.api import STATUSES, visible_reports

__all__ = ["URGENCY_LABELS", "for_viewer"]

# what the rows show and their running clocks (the first a row shows): never text or entries
_SHOWN = (
    Report.id,
    Report.reference,
    Report.urgency,
    Report.status,
    Report.created_at,
    ReportClock.kind,
    ReportClock.due_at,
)
_RUNNING = and_(ReportClock.report_id == Report.id, ReportClock.stopped_at.is_(None))
URGENCY_LABELS = {"immediate": N_("Immediate"), "high": N_("High"), "normal": N_("Normal")}


def _unit(span: float) -> tuple[int, str]:
    """The unit a clock is told in: minutes under an hour, hours under two days, else days."""
    return (60, "min") if span < 3600 else ((3600, "h") if span < 2 * 86400 else (86400, "days"))


# a clock's time left, or how late it is, in its unit (each a whole sentence)
CLOCK_TEXT = {
    ("min", False): N_plural("%(num)d min left", "%(num)d min left"),
    ("h", False): N_plural("%(num)d h left", "%(num)d h left"),
    ("days", False): N_plural("%(num)d days left", "%(num)d days left"),
    ("min", True): N_plural("overdue by %(num)d min", "overdue by %(num)d min"),
    ("h", True): N_plural("overdue by %(num)d h", "overdue by %(num)d h"),
    ("days", True): N_plural("overdue by %(num)d days", "overdue by %(num)d days"),
}


_DUE = ("%a %d %b %H:%M", "dd MMM y HH:mm")  # 'Mon 30 Nov 14:00', '30 Tach 2026 14:00'
AGE = N_plural("%(count)s day", "%(count)s days")


def _clock_text(due: datetime, now: datetime) -> Msg:
    """e.g. "5 h left", "2 days left", "overdue by 3 h" (each a whole sentence)."""
    seconds = (due - now).total_seconds()
    unit, name = _unit(abs(seconds))
    return nmsg(*CLOCK_TEXT[name, seconds < 0], int(abs(seconds) // unit))


def for_viewer(
    session: Session, viewer: Viewer, figures: Figures, today: date, now: datetime
) -> list[dict[str, Any]] | None:
    """The open reports the viewer may read, each with its running clock's name and time
    left said where shown (None: counts only, for a viewer who may not read reports), with
    ``figures``' report counts made the viewer's own (what a card or digest built from
    ``figures`` then shows)."""
    if not viewer.reads_reports:  # counts only: ``figures``' own, left as they are
        return None

    query = (  # one read: each open report with its running clocks, in the order they began
        visible_reports(viewer.school, viewer.email, viewer.roles)
        .where(Report.status != "closed")
        .with_only_columns(*_SHOWN)
        .outerjoin(ReportClock, _RUNNING)
        .order_by(Report.id, ReportClock.id)
    )
    words = said_words(school_words(viewer.school))  # a running clock's short name
    clock_names = {
        "lado": words.staff_route,
        "ico": words.regulator,
        "triage": Msg(N_("%(dsl)s triage"), dsl=words.dsl),
    }
    rows: dict[int, dict[str, Any]] = {}
    running = overdue = 0
    found = session.connection().execute(query)  # columns only: no ORM work to pay for
    for report_id, reference, urgency, status, created_at, kind, due in found:
        row = rows.get(report_id)
        if row is None:  # each cell's words made here, once, not by the template per row
            days = (today - local_today(created_at)).days
            row = rows[report_id] = {
                "reference": reference,
                "urgency": urgency,
                "urgency_said": Msg(URGENCY_LABELS.get(urgency, urgency)),
                "status_said": Msg(STATUSES.get(status, status.capitalize())),
                "days": days,
                "age": nmsg(*AGE, days),
                "clock": None,
            }
        if kind is None:  # no clock running
            continue
        running += 1
        overdue += due < now
        if row["clock"] is None:  # the one the row shows
            row["clock"] = {  # its name and time left, said together (cy+en: each half whole)
                "line": Joined((clock_names.get(kind, kind), ": ", _clock_text(due, now))),
                "due": Msg(N_("(due %(when)s)"), when=Dated(due.astimezone(LONDON), *_DUE)),
                "late": due < now,
            }
    shown = list(rows.values())
    order = {u: i for i, u in enumerate(URGENCIES)}
    shown.sort(
        key=lambda r: (
            not (r["clock"] and r["clock"]["late"]),
            r["clock"] is None,
            order.get(r["urgency"], 9),
            -r["days"],
        )
    )
    figures.open_reports = len(shown)
    figures.reports_by_age = by_age((row["urgency"], row["days"]) for row in shown)
    figures.running_clocks = running
    figures.clocks_overdue = overdue
    figures.reports_with_clocks = sum(1 for row in shown if row["clock"])
    return shown
