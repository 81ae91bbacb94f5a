"""A nation is a pack: a school in any nation never reads another nation's words (LADO, KCSIE,
DSL, Ofsted, headteacher in Northern Ireland, principal in England...) on any page, email,
Teams card, PDF or CLI line the bot gives it; a word the school overrides appears wherever
that word is said. The words looked for are derived from the other packs
(``tests.support.nation_words``)."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
import typer
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from bot.core.models import Report
from bot.core.nations import NATIONS, pack_for, school_words_for
from bot.features.reports.clocks import escalate_clocks
from bot.features.teamsbot.conversation import stranger_line
from tests.features.reports.test_support import PEOPLE, ROLE_EMAILS, Env, csrf_of
from tests.support.behaviour_snapshot import _commands
from tests.support.helpers import Row
from tests.support.nation_words import find_foreign_words
from tests.support.told_school import sweep_on, told_school

# directory job titles are the school's own words: neutral ones here, so only ours are scanned;
# Amy has a line manager, so her overdue reminders copy someone in
NEUTRAL_PEOPLE = [
    Row(
        r.email,
        r.name,
        r.roles,
        r.groups,
        "dpo@oak.example" if r.email == "amy@oak.example" else r.manager,
        title="Teacher",
    )
    for r in PEOPLE
]
# pages that answer files (read below as the PDFs and the pack they are), redirects to other
# services, or probes rather than words
NOT_PAGES = {
    "/healthz",
    "/readyz",
    "/auth/callback",
    "/Count",
    "/governors/report.pdf",
    "/reports/export.csv",
    "/admin/settings/school.yaml",
    "/signin/code",
}
# links followed from each page (other people's pages in them too) and from the emails; not
# files, downloads or signing out
LINK = re.compile(r'href="(/[^"#?]*)"')
EMAILED = re.compile(r"http://testserver(/[^\s\"'<>)\\]+)")
SKIP = re.compile(r"/files/|\.(?:png|pdf|csv|yaml|zip|ics|css|js)$|signout|/static/|/pack$")
# the sweeps that write the year's emails: a policy acknowledged late, its governors' review,
# a monthly check nobody does, training owed; every weekday for seven weeks but the quiet ones.
# A sweep on a quiet day writes no mail (the reminders go on Mondays, Thursdays and Fridays, the
# first week's on its Monday, Tuesday and Friday), and the next sweep writes what the day after
# it would have: leaving these 12 of 35 out, England's outbox has the same subjects and its
# text the same lines (numbers, references and signed links aside). The last week is swept
# whole, and a report's clock reminds on every day past its deadline, so a quiet day left out
# loses none of the clocks' mail either.
QUIET = {date(2026, 10, 21), date(2026, 10, 22)} | {
    date(2026, 10, 27) + timedelta(weeks=week, days=day) for week in range(5) for day in (0, 1)
}
SWEEP_DAYS = [
    day
    for day in (date(2026, 10, 19) + timedelta(days=n) for n in range(49))
    if day.weekday() < 5 and day not in QUIET
]


# an independent school's own group for its board (the school's word, not ours)
PROPRIETOR_PEOPLE = [
    Row(
        r.email,
        r.name,
        r.roles,
        r.groups.replace("Governors", "Proprietor body"),
        r.manager,
        title=r.title,
    )
    for r in NEUTRAL_PEOPLE
]


def _env(
    home: Any, country: str, words: dict[str, str] | None = None, *, independent: bool = False
) -> Env:
    """The report tests' school (every role held by someone) in ``country`` (``independent``:
    an independent school, its board the proprietor body)."""
    school: dict[str, Any] = {"words": words} if words else {}
    if independent:
        school["independent"] = True
    return told_school(
        home,
        people=PROPRIETOR_PEOPLE if independent else NEUTRAL_PEOPLE,
        country=country,
        school=school or None,
    )


def _pages(env: Env) -> list[str]:
    """Every page at a fixed address (no path parameters), in included routers too."""
    paths: set[str] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # an included router (FastAPI keeps it whole)
                context = getattr(route, "include_context", None)
                walk(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
                continue
            path = prefix + getattr(route, "path", "")
            if "GET" in (getattr(route, "methods", None) or ()) and "{" not in path:
                paths.add(path)

    walk(list(env.app.routes), "")
    assert "/evidence" in paths and "/admin/terms" in paths
    return sorted(paths - NOT_PAGES)


def _everything_said(env: Env, monkeypatch: pytest.MonkeyPatch) -> str:
    """Reports of every kind sent through the public form, clocks escalated past their
    deadlines, a referral and a triage recorded on the pages, every page read by every role,
    the emails queued, and the CLI's report lines: all the text, joined."""
    said: list[str] = []
    public = env.client()
    for path in (
        env.public_path,
        "/report",
        "/report/oak",
        "/visit/oak",
        "/privacy",
        "/terms",
        "/signin",
    ):
        said.append(public.get(path).text)
    for fields in (
        {"category": "staff_concern", "involved": ["staff"], "reporter_email": "pat@home.example"},
        {"category": "data_breach"},
        {"category": "nude_images", "suspected_illegal": "yes", "immediate_risk": "yes"},
        {"category": "cyberbullying", "about_headteacher": "yes"},
        {"category": "other"},
    ):
        answer = env.submit(public, **fields)
        assert answer.status_code == 200, answer.text
        said.append(answer.text)
    with env.context.store.session() as session:
        references = list(session.scalars(select(Report.reference).order_by(Report.id)))
        started = min(session.scalars(select(Report.created_at)))
    with env.context.store.transaction() as session:
        for hours in (1, 5, 30, 80, 120, 200):
            escalate_clocks(
                session,
                env.school,
                started.astimezone(UTC) + timedelta(hours=hours),
                base_url=lambda: "http://testserver",
                write=True,
            )
    leader = env.client("dsl")
    staff_concern, *_rest = references
    page = leader.get(f"/reports/{staff_concern}").text
    leader.post(
        f"/reports/{staff_concern}/referral",
        data={
            "csrf_token": csrf_of(page),
            "target": "lado",
            "outcome": "not_required",
            "text": "",
            "reason": "Advice taken: below the threshold.",
        },
    )
    page = leader.get(f"/reports/{references[-1]}").text
    leader.post(
        f"/reports/{references[-1]}/status",
        data={"csrf_token": csrf_of(page), "status": "triaged", "reason": "Looked at it."},
    )
    for reference in references:
        said.append(leader.get(f"/reports/{reference}").text)
    sweep_on(env, SWEEP_DAYS)
    # the settings move to the web pages, so the admin pages show their forms too
    head = env.client("head")
    moved = head.post(
        "/admin/settings",
        data={"csrf_token": csrf_of(head.get("/admin/settings").text), "source": "web"},
    )
    assert moved.status_code == 200, moved.text
    # every email (text and HTML) and Teams card queued, the Teams bot to a stranger
    rows = env.outbox()
    mails = [json.dumps(row.payload, ensure_ascii=False) for row in rows]
    said += mails
    said.append(stranger_line(env.context.config))
    # every page, as each person: the fixed addresses, every page they link to, and every
    # page the emails link to (acknowledgements, tasks)
    # (each client entered: one event loop for its hundred pages, not a thread and a loop
    # started for each request)
    read: set[tuple[str, str]] = set()
    pages = _pages(env)
    for who in ("dsl", "head", "admin", "chair", "governor", "staff"):
        with env.client(who) as client:
            read.update((who, path) for path in pages)  # a link to one of them: read already
            for path in pages:
                page = client.get(path).text
                said.append(page)
                for link in LINK.findall(page):
                    if (who, link) not in read and not SKIP.search(link):
                        read.add((who, link))
                        said.append(client.get(link).text)
    # every emailed link opened an hour after its email was queued: a signed link's life runs
    # from the day it was sent, not from the day this test happens to run (read at today's
    # clock, the links of these autumn 2026 sweeps would all say "expired" a few months on);
    # one sign-in for each sweep's new links, not one per link: a link is opened after the
    # first email that carried it, and a sweep whose links were all opened before signs no
    # one in (13 of Wales's 38: the same links again, or none)
    first: dict[str, datetime] = {}
    for row, mail in zip(rows, mails, strict=True):
        for link in EMAILED.findall(mail):
            if not SKIP.search(link):
                first[link] = min(first.get(link, row.created_at), row.created_at)
    opened: dict[datetime, list[str]] = {}
    for link, queued in sorted(first.items()):
        opened.setdefault(queued, []).append(link)
    live = 0
    for queued, links in sorted(opened.items()):
        with (
            time_machine.travel(queued.astimezone(UTC) + timedelta(hours=1), tick=False),
            env.client("staff") as staff,
        ):
            for link in links:
                page = staff.get(link).text
                live += "This link has expired" not in page and "t valid</h1>" not in page
                said.append(page)
    assert live, "no emailed link opened its page: their words went unread"
    said += _files_said(env)
    settings = env.context.settings
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", settings.signing_key())
    from bot.cli.main import app

    runner = CliRunner()
    for args in (
        ["reports", "list"],
        ["reports", "list", "--show", "--as", ROLE_EMAILS["dsl"]],
        ["reports", "list", "--show", "--as", ROLE_EMAILS["staff"]],
        ["decisions", "list", "--show"],
        ["status"],
        ["duties"],
        ["remind", "--dry-run"],
        ["digest", "--preview"],
        ["digest", "--preview", "--chat"],
        ["digest", "--preview", "--text"],
        ["governors", "report"],
    ):
        said.append(runner.invoke(app, args, env={"COLUMNS": "200"}).output)
    return "\n".join(said)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _files_said(env: Env) -> list[str]:
    """The governors' report (PDF) and the evidence pack's README and summary PDF."""
    head = env.client("head")
    report = head.get("/governors/report.pdf")
    assert report.status_code == 200, report.text
    pack = head.post("/evidence/pack", data={"csrf_token": csrf_of(head.get("/evidence").text)})
    assert pack.status_code == 200, pack.text
    said = [_pdf_text(report.content)]
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        for name in archive.namelist():
            if name.endswith(".pdf"):
                said.append(_pdf_text(archive.read(name)))
            elif name.upper().startswith("README"):
                said.append(archive.read(name).decode("utf-8"))
    return said


def _foreign(text: str, country: str, *, independent: bool = False) -> str:
    """Another nation's words found in ``text``, each with where it was (empty: none); an
    independent school's: a governing body's words too."""
    found = dict.fromkeys(find_foreign_words(text, country, independent=independent))
    return "\n---\n".join(f"{word!r}: ...{where}..." for word, where in list(found)[:30])


@pytest.fixture(name="home")
def home_fixture(tmp_path: Any) -> Iterator[Any]:
    """A folder for the school."""
    yield tmp_path / "school"


@pytest.fixture(name="said", scope="module")
def said_fixture(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., str]:
    """Everything a school in a nation is told (``_everything_said``), built once per nation
    (and kind: ``independent``) for the module: the scans only read it, and England's is
    scanned twice (for foreign words, and for its own)."""
    built: dict[tuple[str, bool], str] = {}

    def said(country: str, independent: bool = False) -> str:
        if (country, independent) not in built:
            home = tmp_path_factory.mktemp(f"{country}-{independent}") / "school"
            env = _env(home, country, independent=independent)
            try:
                with pytest.MonkeyPatch.context() as monkeypatch:
                    built[country, independent] = _everything_said(env, monkeypatch)
            finally:
                env.context.store.dispose()
        return built[country, independent]

    return said


@pytest.mark.parametrize("country", NATIONS)
def test_no_other_nations_word_reaches_a_school(country: str, said: Callable[..., str]) -> None:
    text = said(country)
    found = _foreign(text, country)
    assert not found, f"{country}:\n{found}"
    words = pack_for(country).words
    for word in (
        words.dsl,
        words.staff_route_decision,
        words.chair,
        words.headteacher,
        words.inspectorate,  # the school's own inspectorate's name (#79 item 2)
    ):
        assert word in text or word in html.unescape(text), word  # the nation's own instead
    # the sweeps wrote the year's emails: a missed task, a governors' review, a late reminder
    # saying the line manager and the head have been told, the line manager's one message of
    # the day about their people, the reports list's clocks
    for subject in ("Missed:", "due for review", "been told", "Well overdue:", "Overdue"):
        assert subject in text, subject


def test_an_english_school_reads_englands_words(said: Callable[..., str]) -> None:
    """The scan sees what it looks for: England's school is told of the DSL and the LADO."""
    text = said("england")
    assert "LADO referral decision" in text and "Designated Safeguarding Lead" in text
    assert "Keeping Children Safe in Education" in text  # the privacy notice
    assert find_foreign_words(text, "northern-ireland")  # a Northern Irish school would object


@pytest.mark.parametrize("country", ["england", "scotland", "jersey"])
def test_an_independent_school_reads_no_governor_word(
    country: str, said: Callable[..., str]
) -> None:
    """An independent school's proprietor body holds the duties: in every page, email, card,
    PDF, the evidence pack and the CLI, no word of a governing body ("governors", "chair of
    governors", "FGB", "Governors' report"...) and no other nation's word; the proprietor's
    words are said instead."""
    text = said(country, True)
    found = _foreign(text, country, independent=True)
    assert not found, f"{country}:\n{found}"
    words = school_words_for(country, independent=True)
    for word in (words.chair, words.governors, "Proprietor body's report", words.dsl):
        assert word in text, word
    for said in ("as a named proprietor body member", "due for review"):  # its review mail
        assert said in text, said


def test_no_command_help_names_a_nations_word() -> None:
    """``--help`` is the same for every school, so it says no nation's own word."""
    from bot.cli.main import app

    runner = CliRunner()
    text = "\n".join(
        runner.invoke(app, [*path, "--help"], terminal_width=100).output
        for path in _commands(typer.main.get_command(app))
    )
    assert "Usage: compliance-bot reports list" in text
    for country in NATIONS:
        found = _foreign(text, country)
        assert not found, f"{country}:\n{found}"


def test_a_word_the_school_overrides_is_said_everywhere_the_word_is(
    home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(
        home,
        "scotland",
        {"dsl": "Child Protection Co-ordinator", "dsl_full": "Child Protection Co-ordinator"},
    )
    try:
        text = _everything_said(env, monkeypatch)
        outbox = [json.dumps(row.payload, ensure_ascii=False) for row in env.outbox()]
    finally:
        env.context.store.dispose()
    assert "Child Protection Coordinator" not in re.sub(
        "(?i)depute Child Protection Coordinator", "", text
    )
    assert text.count("Child Protection Co-ordinator") > 10
    alerts = [m for m in outbox if "A new report" in m and '"html"' in m]  # emails, not cards
    receipts = [m for m in outbox if "reached Oak Test School" in m]
    assert alerts and receipts
    missing = [m[:300] for m in alerts + receipts if "Child Protection Co-ordinator" not in m]
    assert not missing, missing
    assert not _foreign(text, "scotland")
