"""Who hears about a report and who may see it: the at-once alert, the clock escalations,
the tracked list and one report (object-level), and the same rule as the list's query.

The rules are pure; ``visible_reports`` only builds the query (the caller runs it), kept
next to ``can_view`` so the two forms of one rule cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Select, or_, select

from bot.core.config import SchoolConfig
from bot.core.guards.permissions import DSL_TEAM, LEADERSHIP, REPORT_LIST_READERS
from bot.core.language.i18n import N_, Joined, Msg
from bot.core.language.words import role_list, school_words
from bot.core.models import Person, Report

__all__ = [
    "alert_recipients",
    "can_open_list",
    "can_view",
    "escalation_recipients",
    "may_read",
    "nobody_alerted",
    "visible_reports",
]


def _is_head(email: str, roles: Iterable[str], school: SchoolConfig) -> bool:
    return email.lower() == school.headteacher.lower() or "headteacher" in set(roles)


def can_open_list(roles: Iterable[str]) -> bool:
    """DSL, deputies, headteacher and the chair of governors may open the tracked list."""
    return bool(set(roles) & REPORT_LIST_READERS)


def can_view(
    email: str,
    roles: Iterable[str],
    about_headteacher: bool,
    school: SchoolConfig,
    about_person: str | None = None,
) -> bool:
    """Object-level rule: who may read one report.

    Nobody reads a report about themselves. A report about the headteacher is hidden from the
    headteacher (even one who is also a DSL) and visible to the DSL, deputies and the chair of
    governors; any other report is visible to the DSL, deputies and headteacher — except the
    person it is about (a DSL or deputy DSL named on the form, or recorded later).
    """
    held = set(roles)
    if about_person and email.lower() == about_person.lower():
        return False
    if about_headteacher:
        if _is_head(email, held, school):
            return False
        return bool(held & (DSL_TEAM | {"chair_of_governors"}))
    return bool(held & LEADERSHIP)


def may_read(person: Person, report: Report, school: SchoolConfig) -> bool:
    """``can_view`` for a person of the directory and a stored report."""
    return can_view(
        person.email, person.role_names, report.about_headteacher, school, report.about_person
    )


def _told(
    school: SchoolConfig,
    wanted: Iterable[str | None],
    about_headteacher: bool,
    about_person: str | None,
) -> list[str]:
    """``wanted`` once each, in lower case, never the person the report is about."""
    never = {about_person.lower()} if about_person else set()
    if about_headteacher:
        never.add(school.headteacher.lower())
    return [e for e in dict.fromkeys(e.lower() for e in wanted if e) if e not in never]


def _next_in_line(
    school: SchoolConfig, about_headteacher: bool, about_person: str | None
) -> list[str | None]:
    """Who stands in when the report is about someone who would normally hear: the head for
    a DSL or deputy; the chair of governors for the head (or a head who is the one named)."""
    if about_headteacher or (about_person and about_person.lower() == school.headteacher.lower()):
        return [school.chair_of_governors]
    return [school.headteacher] if about_person else []


def alert_recipients(
    school: SchoolConfig,
    category: str,
    about_headteacher: bool,
    about_person: str | None = None,
    left: frozenset[str] = frozenset(),
    missing: frozenset[str] = frozenset(),
) -> list[str]:
    """Who is alerted at once: DSL and deputies; the head for staff concerns; the DPO for
    personal data breaches. A report about someone who would normally hear (the head, a DSL,
    a deputy) goes to the next in line and never to them. Nobody in ``left`` (lower-case
    emails of people the directory says have left) is alerted; with no DSL or deputy who is
    neither left nor ``missing`` from the directory, the head hears as well."""
    team = [e for e in (*school.dsl, *school.deputy_dsl) if e.lower() not in left]
    wanted: list[str | None] = [*team, *_next_in_line(school, about_headteacher, about_person)]
    here = [e for e in team if e.lower() not in missing]
    if not about_headteacher and (category == "staff_concern" or not here):
        wanted.append(school.headteacher)
    if category == "data_breach":
        wanted.append(school.dpo)
    return [
        e for e in _told(school, wanted, about_headteacher, about_person) if e.lower() not in left
    ]


def escalation_recipients(
    school: SchoolConfig,
    kind: str,
    about_headteacher: bool,
    about_person: str | None = None,
    *,
    overdue: bool = False,
) -> list[str]:
    """Who hears about a clock: before the deadline the DSL, deputies and the head (the DPO
    too for the ICO clock); after it, the chair of governors as well. Never the person the
    report is about: the next in line stands in."""
    wanted: list[str | None] = [*school.dsl, *school.deputy_dsl]
    wanted += _next_in_line(school, about_headteacher, about_person)
    if not about_headteacher:
        wanted.append(school.headteacher)
    if kind == "ico":
        wanted.append(school.dpo)
    if overdue:
        wanted.append(school.chair_of_governors)
    return _told(school, wanted, about_headteacher, about_person)


def visible_reports(school: SchoolConfig, email: str, roles: Iterable[str]) -> Select[Report]:
    """The query for the reports this person may read (nothing for anyone else)."""
    held = set(roles)
    query = select(Report).where(
        Report.school_id == school.id,
        or_(Report.about_person.is_(None), Report.about_person != email.lower()),
    )
    may_normal = bool(held & LEADERSHIP)
    may_about_head = not _is_head(email, held, school) and bool(
        held & (DSL_TEAM | {"chair_of_governors"})
    )
    if may_normal and may_about_head:
        return query
    if may_normal:
        return query.where(Report.about_headteacher.is_(False))
    if may_about_head:
        return query.where(Report.about_headteacher.is_(True))
    return query.where(Report.id < 0)


NOBODY_HERE = N_(
    "Nobody could be alerted: everyone the configuration names to hear about this kind of "
    "report has left (%(people)s). Name someone who is here in the configuration."
)


def nobody_alerted(school: SchoolConfig, gone: dict[str, str]) -> Msg:
    """The chronology's line when everyone ``alert_recipients`` would name has left
    (``gone``: their lower-case addresses and names): who, and as what, in the school's words."""
    roles: dict[str, Sequence[str | None]] = {
        "dsl": school.dsl,
        "deputy_dsl": school.deputy_dsl,
        "headteacher": [school.headteacher],
        "chair_of_governors": [school.chair_of_governors],
        "dpo": [school.dpo],
    }
    return Msg(
        NOBODY_HERE,
        people=Joined(
            [
                Msg(
                    N_("%(name)s, %(roles)s"),
                    name=name,
                    roles=role_list(
                        [r for r, held in roles.items() if email in {h.lower() for h in held if h}],
                        school_words(school),
                    ),
                )
                for email, name in gone.items()
            ],
            "; ",
        ),
    )
