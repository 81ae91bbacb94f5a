"""The tracked list is paged, sorted and filtered in the database (SQLite and PostgreSQL): each
page shows the right reports in the promised order, paging works with plain links, bad
parameters fall back, and every view is audited as before."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text, update

from bot.core.models import AuditEvent, Person, Report, ReportClock
from bot.engine.config_sync import ensure_school
from bot.features.reports.rules import STATUSES, URGENCY_ORDER
from tests.conftest import isolated
from tests.features.reports.test_support import Env, make_env
from tests.support.helpers import SchoolBuilder

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
DSL = "dsl@oak.example"
ROW = re.compile(r'<td><a href="/reports/(CR-[0-9A-Z-]+)">')
CATEGORY_CYCLE = ("cyberbullying", "data_breach", "staff_concern", "other", "social_media")


def _many(school: SchoolBuilder, database_url: str) -> Iterator[Env]:
    """120 reports on SQLite or PostgreSQL, varied the way a school's years vary them.

    Two in every three share their arrival time (ties go to the later arrival first),
    urgencies and statuses are spread, only reports still "new" have a running clock (with
    deadlines that do not follow arrival, some shared), some have an owner, one is about the
    headteacher (the DSL sees it) and one about the DSL (the DSL never does). Stored directly,
    as years of intake would have left them.
    """
    env = make_env(school, database_url)
    with env.context.store.transaction() as session:
        ensure_school(session, env.school)
        deputy = session.scalar(select(Person.id).where(Person.email == "deputy@oak.example"))
        for n in range(120):
            created = NOW + timedelta(minutes=n - n % 3 // 2)
            status = list(STATUSES)[n * 3 % 5]
            report = Report(
                school_id="oak",
                reference=f"CR-2026-{n + 1:04d}",
                category=CATEGORY_CYCLE[n % 5],
                urgency=list(URGENCY_ORDER)[n * 7 % 3],
                status=status,
                owner_id=deputy if n % 4 == 0 else None,
                what_happened="Unkind messages in a group chat.",
                about_headteacher=n == 7,
                about_person=DSL if n == 8 else None,
                created_at=created,
            )
            session.add(report)
            session.flush()
            session.add(
                ReportClock(
                    school_id="oak",
                    report_id=report.id,
                    kind="triage",
                    started_at=created,
                    due_at=NOW + timedelta(hours=(n * 37) % 11),
                    stopped_at=None if status == "new" else NOW,
                    stopped_by=None if status == "new" else DSL,
                )
            )
    yield env
    env.context.store.dispose()


@pytest.fixture(name="many")
def many_fixture(school: SchoolBuilder, database_url: str) -> Iterator[Env]:
    """The 120 reports (``_many``), for a test that changes them or counts audit entries."""
    yield from _many(school, database_url)


@pytest.fixture(name="many_read", scope="module")
def many_read_fixture(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[Env]:
    """The 120 reports (``_many``), built once per backend for the tests that only read the
    list (each signs in afresh; the views they add are audit rows no such test counts)."""
    folder = tmp_path_factory.mktemp("many")
    with isolated(folder):
        yield from _many(SchoolBuilder(folder / "school"), module_database_url)


def _expected(env: Env, sort: str, **filters: str) -> list[str]:
    """Every reference the DSL's list holds, in order, by the list's rule worked out in Python
    (the rule as it stood before the database did the sorting)."""
    with env.context.store.session() as session:
        reports = [
            r
            for r in session.scalars(select(Report))
            if r.about_person != DSL
            and (filters.get("status") != "open" or r.status != "closed")
            and all(getattr(r, k) == v for k, v in filters.items() if v != "open")
        ]
        due = {
            r.id: next((c.due_at.timestamp() for c in r.clocks if c.stopped_at is None), None)
            for r in reports
        }
    order = list(STATUSES)
    keys: dict[str, Callable[[Report], tuple[float, float, int]]] = {
        "newest": lambda r: (-r.created_at.timestamp(), 0.0, -r.id),
        "oldest": lambda r: (r.created_at.timestamp(), 0.0, r.id),
        "urgency": lambda r: (URGENCY_ORDER[r.urgency], -r.created_at.timestamp(), -r.id),
        "due": lambda r: (
            d if (d := due[r.id]) is not None else float("inf"),
            -r.created_at.timestamp(),
            -r.id,
        ),
        "status": lambda r: (order.index(r.status), -r.created_at.timestamp(), -r.id),
    }
    return [r.reference for r in sorted(reports, key=keys[sort])]


def _shown(page: str) -> list[str]:
    """The references a list page shows, in order."""
    return ROW.findall(page)


def _link(page: str, rel: str) -> str:
    """The address of the pager's ``rel`` link (next or prev)."""
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    assert found, f"no {rel} link"
    return html.unescape(found[1])


def test_each_page_shows_the_right_reports_in_order(many_read: Env) -> None:
    many = many_read
    dsl = many.client("dsl")
    for sort in ("newest", "oldest", "urgency", "due", "status"):
        want = _expected(many, sort)
        assert len(want) == 119  # the report about the DSL is not theirs to see
        for number in (1, 2, 3):
            page = dsl.get(f"/reports?sort={sort}&page={number}").text
            assert _shown(page) == want[(number - 1) * 50 : number * 50], (sort, number)
            assert f"Page {number} of 3" in page and "119 reports" in page
        assert "reports 101 to 119 of 119" in page


FILTERED: list[tuple[str, dict[str, str], str]] = [
    ("status=open&sort=due", {"status": "open"}, "due"),
    ("category=data_breach&sort=urgency", {"category": "data_breach"}, "urgency"),
    ("urgency=high&status=triaged", {"urgency": "high", "status": "triaged"}, "newest"),
    ("status=closed&sort=oldest", {"status": "closed"}, "oldest"),
    ("status=new&sort=status", {"status": "new"}, "status"),
]


def test_filters_apply_before_the_page_is_cut(many_read: Env) -> None:
    many = many_read
    dsl = many.client("dsl")
    for query, filters, sort in FILTERED:
        want = _expected(many, sort, **filters)
        assert 0 < len(want) < 119
        for number in range(1, (len(want) + 49) // 50 + 1):
            page = dsl.get(f"/reports?{query}&page={number}").text
            assert _shown(page) == want[(number - 1) * 50 : number * 50], (query, number)
        assert f"{len(want)} report{'s' if len(want) != 1 else ''} match" in page


def test_paging_works_with_plain_links(many_read: Env) -> None:
    """No JavaScript: the next and previous links carry the filters and the sort."""
    many = many_read
    dsl = many.client("dsl")
    want = _expected(many, "urgency", status="open")
    first = dsl.get("/reports?status=open&sort=urgency").text
    assert "Previous page" not in first
    following = _link(first, "next")
    assert following == "/reports?status=open&sort=urgency&page=2"
    second = dsl.get(following).text
    assert _shown(second) == want[50:100]
    assert _shown(dsl.get(_link(second, "prev")).text) == want[:50]


BAD: list[tuple[str, int]] = [
    ("page=abc", 1),
    ("page=0", 1),
    ("page=-2", 1),
    ("page=2.5", 1),
    ("page=%EF%BC%92", 1),  # a full-width digit is not a page number
    ("page=99999999999999999999", 1),
    ("page=99", 3),  # past the end: the last page
    ("sort=bogus&page=2", 2),
    ("status=nonsense&category=%3Cscript%3E&urgency=&page=3", 3),
]


def test_bad_parameters_fall_back_and_never_fail(many_read: Env) -> None:
    """Unknown sorts and filters are ignored, a page that is not one is the first, a page past
    the end is the last (an edited or stale address still shows the list)."""
    many = many_read
    dsl = many.client("dsl")
    want = _expected(many, "newest")
    for query, page in BAD:
        response = dsl.get(f"/reports?{query}")
        assert response.status_code == 200, query
        assert _shown(response.text) == want[(page - 1) * 50 : page * 50], query
        assert f"Page {page} of 3" in response.text and "<script>" not in response.text


def test_an_empty_list_says_so(school: SchoolBuilder, database_url: str) -> None:
    env = make_env(school, database_url)
    try:
        page = env.client("dsl").get("/reports?sort=due&page=4")
        assert page.status_code == 200 and "No reports to show." in page.text
        assert "Page " not in page.text
    finally:
        env.context.store.dispose()


def test_every_view_is_audited_as_before(many: Env) -> None:
    """One event per view: who, the list (no report), how many rows were shown and the filters
    in force — never a reference or contents."""
    dsl = many.client("dsl")
    dsl.get("/reports?page=3")
    dsl.get("/reports?status=open&category=data_breach&sort=due")
    dsl.get("/reports?sort=nonsense&urgency=nonsense")
    with many.context.store.session() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "report.list_viewed")
            .order_by(AuditEvent.id)
        ).all()
    open_breaches = len(_expected(many, "due", status="open", category="data_breach"))
    assert [(e.actor, e.object_type, e.object_id, e.details) for e in events] == [
        (DSL, "report_list", None, {"count": 19, "filters": {}}),
        (
            DSL,
            "report_list",
            None,
            {"count": open_breaches, "filters": {"status": "open", "category": "data_breach"}},
        ),
        (DSL, "report_list", None, {"count": 50, "filters": {}}),
    ]


def test_each_row_shows_its_first_running_clock_and_whether_it_is_overdue(
    school: SchoolBuilder, database_url: str
) -> None:
    """The deadline column names the report's first clock still running (stopped clocks and
    later running ones are not it), in the school's words and London time, marked overdue
    only once its deadline has passed; a report with no running clock shows a dash."""
    env = make_env(school, database_url)
    past = datetime(2020, 6, 1, 9, 30, tzinfo=UTC)  # 10:30 in London (summer time)
    future = datetime(2099, 1, 5, 9, 30, tzinfo=UTC)  # 09:30 in London (winter)
    clocks = {  # reference: (kind, due, stopped) in the order the clocks were started
        "CR-2026-0001": [("triage", past, True), ("lado", past, False), ("ico", future, False)],
        "CR-2026-0002": [("ico", future, False)],
        "CR-2026-0003": [("triage", past, True)],
    }
    try:
        with env.context.store.transaction() as session:
            ensure_school(session, env.school)
            for n, (reference, kinds) in enumerate(clocks.items()):
                report = Report(
                    school_id="oak",
                    reference=reference,
                    category="data_breach",
                    urgency="high",
                    status="new",
                    what_happened="A lost laptop.",
                    created_at=NOW + timedelta(minutes=n),
                )
                session.add(report)
                session.flush()
                for kind, due, stopped in kinds:
                    session.add(
                        ReportClock(
                            school_id="oak",
                            report_id=report.id,
                            kind=kind,
                            started_at=NOW,
                            due_at=due,
                            stopped_at=NOW if stopped else None,
                            stopped_by=DSL if stopped else None,
                        )
                    )
                    session.flush()
        page = env.client("dsl").get("/reports?sort=oldest").text
        cells = re.findall(r"<td>(?!<a)(.*?)</td>", page)
        assert cells == [
            '<strong class="bad">Overdue</strong> LADO by Mon 01 Jun 10:30',
            "ICO by Mon 05 Jan 09:30",
            "—",
        ]
    finally:
        env.context.store.dispose()


VIEWS: list[tuple[str, dict[str, str], str, int]] = [
    ("status=open&sort=due", {"status": "open"}, "due", 1),
    ("sort=urgency&page=3", {}, "urgency", 3),
    ("page=3", {}, "newest", 3),
]


def test_counts_and_pages_follow_every_change_to_reports_and_clocks(many: Env) -> None:
    """Read again and again, the list's totals and pages are never stale: a report closed or
    added through the ORM, clocks stopped by a bulk statement, a report deleted by another
    connection with plain SQL, each shows on the next read."""

    def check() -> None:
        for query, filters, sort, number in VIEWS:
            want = _expected(many, sort, **filters)
            for _ in range(2):  # a second read, nothing changed between
                page = dsl.get(f"/reports?{query}").text
                assert _shown(page) == want[(number - 1) * 50 : number * 50], query
                assert f"{len(want)} report{'s' if len(want) != 1 else ''}" in page, query

    dsl = many.client("dsl")
    store = many.context.store
    check()
    with store.transaction() as session:
        first = session.scalars(select(Report).where(Report.status == "new")).first()
        assert first is not None
        first.status = "closed"
    check()
    with store.transaction() as session:
        session.execute(
            update(ReportClock)
            .where(ReportClock.stopped_at.is_(None), ReportClock.report_id % 2 == 0)
            .values(stopped_at=NOW, stopped_by=DSL)
        )
    check()
    with store.engine.begin() as conn:
        gone = conn.scalar(text("SELECT min(id) FROM reports WHERE status != 'closed'"))
        conn.execute(text("DELETE FROM report_clocks WHERE report_id = :id"), {"id": gone})
        conn.execute(text("DELETE FROM reports WHERE id = :id"), {"id": gone})
    check()
    with store.transaction() as session:
        report = Report(
            school_id="oak",
            reference="CR-2026-0999",
            category="data_breach",
            urgency="high",
            status="new",
            what_happened="A lost laptop.",
            created_at=NOW - timedelta(days=1),
        )
        session.add(report)
        session.flush()
        session.add(
            ReportClock(
                school_id="oak",
                report_id=report.id,
                kind="ico",
                started_at=NOW,
                due_at=NOW - timedelta(hours=1),
            )
        )
    check()


def test_rows_follow_names_statuses_and_the_time_while_the_page_is_kept(many: Env) -> None:
    """A page read again with nothing written between is kept, yet its rows are never stale:
    an owner renamed (by plain SQL, as a directory sync writes), an owner's name written
    unchanged (the page stays kept), a status changed, and deadlines passing while nothing is
    written at all."""
    store = many.context.store

    def owners(page: str) -> set[str]:
        return set(re.findall(r'<td data-label="Owner">(.*?)</td>', page))

    before = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # every running clock is due later
    after = datetime(2026, 11, 5, 10, 0, tzinfo=UTC)  # every one has passed
    with time_machine.travel(before, tick=False):
        page = many.client("dsl").get("/reports?status=new").text  # signed in then
        assert owners(page) == {"Dan Deputy", "—"} and "Overdue" not in page
    with time_machine.travel(after, tick=False):
        page = many.client("dsl").get("/reports?status=new").text
        assert page.count("Overdue") == len(_shown(page)) > 0
    rename = "UPDATE people SET display_name = :name WHERE email = 'deputy@oak.example'"
    with store.engine.begin() as conn:
        conn.execute(text(rename), {"name": "Dan Deputy"})  # unchanged: nothing to read again
    dsl = many.client("dsl")
    assert owners(dsl.get("/reports?status=new").text) == {"Dan Deputy", "—"}
    with store.engine.begin() as conn:
        conn.execute(text(rename), {"name": "Dana Deputy-Head"})
    assert owners(dsl.get("/reports?status=new").text) == {"Dana Deputy-Head", "—"}
    with store.transaction() as session:
        session.execute(
            update(Report).where(Report.reference == "CR-2026-0001").values(status="closed")
        )
    page = dsl.get("/reports?sort=oldest").text
    first_row = page[page.index('href="/reports/CR-2026-0001"') :]
    assert first_row.index("Closed") < first_row.index("</tr>")
