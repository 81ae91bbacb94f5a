"""The tracked list's pages, read from the database: which reports a page shows, in the order
the list promises, how many the list holds, and what each row shows (``web_list`` serves them).

Counting thousands of reports and reading a page of them is most of a read's work, so each
page (its reports as the list shows them, and the list's total) is kept per web process while
nothing it shows has changed: the database changes a number in every transaction that writes
a report or a clock, or changes a person's name (``REPORTS_VERSION``, migrations 0039 and
0041's triggers), whoever writes it, so a page read after any change is read again and a
total is never stale. Whether a deadline has passed is worked out on every read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, ScalarSelect, Select, case, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.core.config import SchoolConfig
from bot.core.database.store import one_of
from bot.core.days.clock import LONDON
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Dated, Lazy, Msg
from bot.core.language.said_forms import capital
from bot.core.language.words import Words
from bot.core.models import REPORTS_VERSION, Person, Report, ReportClock
from bot.features.reports.routing import visible_reports
from bot.features.reports.rules import CATEGORIES, STATUSES, URGENCY_ORDER

__all__ = ["PAGE_SIZE", "Row", "page_of", "pages", "rows_of"]

PAGE_SIZE = 50


NEWEST: tuple[ColumnElement[Any], ...] = (Report.created_at.desc(), Report.id.desc())
OLDEST: tuple[ColumnElement[Any], ...] = (Report.created_at.asc(), Report.id.asc())


@dataclass(frozen=True)
class _Segment:
    """A run of the list that shares its first sort key (an urgency, a status, having a running
    clock), with how many reports it holds and how it is ordered inside."""

    where: ColumnElement[bool]
    order: tuple[ColumnElement[Any], ...]
    size: int


def _by_value(
    session: Session, query: Select[Any], column: InstrumentedAttribute[str], order: Sequence[str]
) -> list[_Segment]:
    """One segment per value of ``column`` in ``order`` (any other value last), newest first
    inside each, sized by one grouped count."""
    sizes: dict[str, int] = {
        value: count
        for value, count in session.execute(
            query.with_only_columns(column, func.count(Report.id)).group_by(column)
        )
    }
    segments = [_Segment(column == value, NEWEST, sizes.pop(value, 0)) for value in order]
    return [*segments, _Segment(column.not_in(list(order)), NEWEST, sum(sizes.values()))]


def _first_running(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
    """``column`` of a report's running clock (``open_clock``: the first clock not stopped)."""
    return (
        select(column)
        .where(ReportClock.report_id == Report.id, ReportClock.stopped_at.is_(None))
        .order_by(ReportClock.id)
        .limit(1)
        .correlate(Report)
        .scalar_subquery()
    )


def _segments(session: Session, query: Select[Any], sort: str) -> list[_Segment]:
    """The list in the order ``sort`` asks for, as segments the database can each read in
    order from an index (newest first unless asked otherwise; ties newest first, then by the
    order reports arrived). Sorting every report by a computed key instead would read all of
    them for every page.
    """
    if sort == "urgency":
        urgencies = sorted(URGENCY_ORDER, key=lambda urgency: URGENCY_ORDER[urgency])
        return _by_value(session, query, Report.urgency, urgencies)
    if sort == "status":
        return _by_value(session, query, Report.status, list(STATUSES))
    if sort == "due":
        # reports with a running clock (``open_clock``: the first clock not stopped) by its
        # deadline, then every other report newest first
        running = select(ReportClock.report_id).where(ReportClock.stopped_at.is_(None))
        due = _first_running(ReportClock.due_at)
        # both sizes in one pass over the list (a count reads every report it selects)
        counted = session.execute(
            query.with_only_columns(
                func.count(Report.id), func.count(case((Report.id.in_(running), Report.id)))
            )
        ).one()
        total, with_clock = int(counted[0] or 0), int(counted[1] or 0)
        return [
            _Segment(Report.id.in_(running), (due.asc(), *NEWEST), with_clock),
            _Segment(Report.id.not_in(running), NEWEST, total - with_clock),
        ]
    total = session.scalar(query.with_only_columns(func.count(Report.id))) or 0
    return [_Segment(true(), OLDEST if sort == "oldest" else NEWEST, total)]


def pages(total: int) -> int:
    """How many pages ``total`` reports fill (an empty list is one page)."""
    return max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


def _cut(
    session: Session, query: Select[Any], sort: str, number: int
) -> tuple[list[int], int, int]:
    """One page of the list, counted, sorted and cut in the database: (its reports' ids, how
    many reports the list holds, the page number). A page past the end shows the last one."""
    segments = _segments(session, query, sort)
    total = sum(segment.size for segment in segments)
    number = min(number, pages(total))
    skip, ids = (number - 1) * PAGE_SIZE, list[int]()
    for segment in segments:
        if skip >= segment.size:  # the page starts after this segment
            skip -= segment.size
            continue
        ids += session.scalars(
            query.where(segment.where)
            .with_only_columns(Report.id)
            .order_by(*segment.order)
            .limit(PAGE_SIZE - len(ids))
            .offset(skip)
        )
        skip = 0
        if len(ids) >= PAGE_SIZE:
            break
    return ids, total, number


class Row(NamedTuple):
    """What the list shows of one report (never its text), its dates written out. A kept page
    holds its rows with no ``deadline``: whether the running clock is overdue, and its name in
    the school's words, are worked out on each read (``rows_of``)."""

    reference: str
    received: Text
    category: str
    urgency: str
    status: str
    owner: str | None
    clock: str | None  # the running clock's kind
    due: datetime | None
    due_text: Text
    about_head: bool
    deadline: tuple[bool, Lazy, Text] | None = None  # (overdue, the clock's name, when it is due)


_RUNNING = _first_running(ReportClock.id)
# only the columns the list shows, the owner's name and the running clock
_COLUMNS = (
    select(
        Report.id,
        Report.reference,
        Report.created_at,
        Report.category,
        Report.urgency,
        Report.status,
        Person.display_name,
        ReportClock.kind,
        ReportClock.due_at,
        Report.about_headteacher,
    )
    .outerjoin(Person, Person.id == Report.owner_id)
    .outerjoin(ReportClock, ReportClock.id == _RUNNING)
)
# built once per kind of database: on PostgreSQL the page's ids go as one array, so the
# statement is the same text every time (the driver keeps it parsed and prepared; fifty ids
# expanded were parsed afresh on every read)
_ROWS: dict[str, Select[Any, *tuple[Any, ...]]] = {}


def _listed(session: Session, ids: list[int]) -> list[Row]:
    """The page's reports in its order, in one statement, their dates written out."""
    dialect = session.get_bind().dialect.name
    if dialect not in _ROWS:
        _ROWS[dialect] = _COLUMNS.where(one_of(session, Report.id, "ids")[0])
    got = session.execute(_ROWS[dialect], {"ids": ids})
    found = {
        id_: Row(
            reference,
            Dated(created.astimezone(LONDON), "%d %b %Y %H:%M", "dd MMM y HH:mm"),
            CATEGORIES.get(category, category),
            urgency,
            status,
            owner,
            kind,
            due,
            ""
            if due is None
            else Dated(due.astimezone(LONDON), "%a %d %b %H:%M", "dd MMM y HH:mm"),
            about_head,
        )
        for id_, reference, created, category, urgency, status, owner, kind, due, about_head in got
    }
    return [found[i] for i in ids if i in found]


def rows_of(listed: list[Row], now: datetime, words: Words) -> list[Row]:
    """A kept page's rows at ``now``: each running clock overdue or not, named in the school's
    words (their dates said where shown)."""
    names = {"lado": capital(Msg(words.staff_route)), "ico": Msg(words.regulator)}
    triage = Msg(N_("Triage"))  # each said where shown
    return [
        row
        if row.clock is None or row.due is None
        else row._replace(deadline=(row.due < now, names.get(row.clock, triage), row.due_text))
        for row in listed
    ]


# the pages read lately, as (the reports' version, the page: its reports, how many the list
# holds, its number), by who read them (what they may see) and what they asked for
_KEPT: dict[tuple[Any, ...], tuple[int | None, tuple[list[Row], int, int]]] = {}
KEEP = 1000  # pages kept per web process; all forgotten at once when full


def page_of(
    session: Session,
    school: SchoolConfig,
    person: Person,
    filters: dict[str, str | None],
    sort: str,
    number: int,
) -> tuple[list[Row], int, int]:
    """One page of the list ``person`` may read, filtered and sorted: (its reports, how many
    reports the list holds, the page number), kept while no report, clock or name changes.
    The version is read first, so what is kept under it is at least as new."""
    key = (
        school.id,
        school.headteacher,
        person.email,
        frozenset(person.role_names),
        *filters.values(),
        sort,
        number,
    )
    version = session.scalar(REPORTS_VERSION)
    kept = _KEPT.get(key)
    if kept is None or kept[0] != version:
        query = visible_reports(school, person.email, person.role_names)
        if filters["status"] == "open":
            query = query.where(Report.status != "closed")
        elif filters["status"]:
            query = query.where(Report.status == filters["status"])
        if filters["category"]:
            query = query.where(Report.category == filters["category"])
        if filters["urgency"]:
            query = query.where(Report.urgency == filters["urgency"])
        ids, total, number = _cut(session, query, sort, number)
        kept = version, (_listed(session, ids), total, number)
        if len(_KEPT) >= KEEP:
            _KEPT.clear()
        _KEPT[key] = kept
    return kept[1]
