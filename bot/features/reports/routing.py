"""Who hears about a report and who may see it: the at-once alert, the clock escalations,
the tracked list and one report (object-level), and the same rule as the list's query.

The rules are pure; ``visible_reports`` only builds the query (the caller runs it), kept
next to ``can_view`` so the two forms of one rule cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select

from bot.core.config import SchoolConfig
from bot.core.models import Report
from bot.core.permissions import DSL_TEAM, LEADERSHIP, REPORT_LIST_READERS

__all__ = [
    "LIST_ROLES",
    "alert_recipients",
    "can_open_list",
    "can_view",
    "escalation_recipients",
    "visible_reports",
]

LIST_ROLES = REPORT_LIST_READERS
_TEAM = DSL_TEAM


def _is_head(email: str, roles: Iterable[str], school: SchoolConfig) -> bool:
    return email.lower() == school.headteacher.lower() or "headteacher" in set(roles)


def can_open_list(roles: Iterable[str]) -> bool:
    """DSL, deputies, headteacher and the chair of governors may open the tracked list."""
    return bool(set(roles) & LIST_ROLES)


def can_view(
    email: str, roles: Iterable[str], about_headteacher: bool, school: SchoolConfig
) -> bool:
    """Object-level rule: who may read one report.

    A report about the headteacher is hidden from the headteacher (even one who is also a DSL)
    and visible to the DSL, deputies and the chair of governors; any other report is visible to
    the DSL, deputies and headteacher.
    """
    held = set(roles)
    if about_headteacher:
        if _is_head(email, held, school):
            return False
        return bool(held & (_TEAM | {"chair_of_governors"}))
    return bool(held & LEADERSHIP)


def _unique(emails: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for email in emails:
        if email and email.lower() not in out:
            out.append(email.lower())
    return out


def alert_recipients(school: SchoolConfig, category: str, about_headteacher: bool) -> list[str]:
    """Who is alerted at once: DSL and deputies; the head for staff concerns (the chair instead
    when about the head); the DPO for personal data breaches. Never the head of a report about
    them."""
    wanted: list[str | None] = [*school.dsl, *school.deputy_dsl]
    if about_headteacher:
        wanted.append(school.chair_of_governors)
    elif category == "staff_concern" or not (school.dsl or school.deputy_dsl):
        wanted.append(school.headteacher)
    if category == "data_breach":
        wanted.append(school.dpo)
    found = _unique(wanted)
    if about_headteacher:
        found = [e for e in found if e != school.headteacher.lower()]
    return found


def escalation_recipients(school: SchoolConfig, kind: str, about_headteacher: bool) -> list[str]:
    """Who hears about a clock running out: DSL, deputies and the head (chair if about the head;
    the DPO too for the ICO clock)."""
    wanted: list[str | None] = [*school.dsl, *school.deputy_dsl]
    wanted.append(school.chair_of_governors if about_headteacher else school.headteacher)
    if kind == "ico":
        wanted.append(school.dpo)
    found = _unique(wanted)
    if about_headteacher:
        found = [e for e in found if e != school.headteacher.lower()]
    return found


def visible_reports(school: SchoolConfig, email: str, roles: Iterable[str]) -> Select[Report]:
    """The query for the reports this person may read (nothing for anyone else)."""
    held = set(roles)
    query = select(Report).where(Report.school_id == school.id)
    may_normal = bool(held & LEADERSHIP)
    may_about_head = not _is_head(email, held, school) and bool(
        held & (_TEAM | {"chair_of_governors"})
    )
    if may_normal and may_about_head:
        return query
    if may_normal:
        return query.where(Report.about_headteacher.is_(False))
    if may_about_head:
        return query.where(Report.about_headteacher.is_(True))
    return query.where(Report.id < 0)
