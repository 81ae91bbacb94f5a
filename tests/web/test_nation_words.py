"""A nation is a pack: a school in Scotland, Wales or Northern Ireland never reads England's
words (LADO, KCSIE, DSL, FGB) on any page, email or CLI line the bot gives it; a word the
school overrides appears wherever that word is said."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.core.models import Report
from bot.core.nations import pack_for
from bot.features.reports.clocks import escalate_clocks
from bot.features.teamsbot.conversation import stranger_line
from tests.features.reports.test_support import (
    PEOPLE,
    ROLE_EMAILS,
    Env,
    configure,
    csrf_of,
    sync_people,
)
from tests.support.helpers import Row, SchoolBuilder

# England's words, which no other nation's school may read
ENGLAND_ONLY = re.compile(
    r"\bLADO\b|\bKCSIE\b|\bDSLs?\b|\bFGB\b|\bDfE\b|Designated Safeguarding Lead"
    r"|Keeping Children Safe|Local Authority Designated Officer"
)
# directory job titles are the school's own words: neutral ones here, so only ours are scanned
NEUTRAL_PEOPLE = [Row(r.email, r.name, r.roles, r.groups, r.manager, title="Teacher")
                  for r in PEOPLE]
# pages that answer files, redirects to other services, or probes rather than words
NOT_PAGES = {"/healthz", "/readyz", "/auth/callback", "/Count", "/governors/report.pdf",
             "/reports/export.csv", "/admin/settings/school.yaml", "/signin/code"}


def _env(home: Any, country: str, words: dict[str, str] | None = None) -> Env:
    """The report tests' school (every role held by someone) in ``country``."""
    from bot.web.app import create_app

    builder = configure(SchoolBuilder(home))
    builder.people = list(NEUTRAL_PEOPLE)
    builder.school["country"] = country
    builder.school["clerk"] = "gov@oak.example"
    if words:
        builder.school["words"] = words
    context = builder.context(None, demo=True, base_url="http://testserver")
    sync_people(context)
    return Env(context=context, app=create_app(context.settings, context), builder=builder)


def _pages(env: Env) -> list[str]:
    """Every page at a fixed address (no path parameters)."""
    paths: set[str] = set()
    for route in env.app.routes:
        path = getattr(route, "path", "")
        if "GET" in (getattr(route, "methods", None) or ()) and "{" not in path:
            paths.add(path)
    return sorted(paths - NOT_PAGES)


def _everything_said(env: Env, monkeypatch: pytest.MonkeyPatch) -> str:
    """Reports of every kind sent through the public form, clocks escalated past their
    deadlines, a referral and a triage recorded on the pages, every page read by every role,
    the emails queued, and the CLI's report lines: all the text, joined."""
    said: list[str] = []
    public = env.client()
    for path in (env.public_path, "/report", "/report/oak", "/visit/oak", "/privacy", "/terms",
                 "/signin"):
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
            escalate_clocks(session, env.school, started.astimezone(UTC) + timedelta(hours=hours),
                            base_url=lambda: "http://testserver", write=True)
    leader = env.client("dsl")
    staff_concern, *_rest = references
    page = leader.get(f"/reports/{staff_concern}").text
    leader.post(f"/reports/{staff_concern}/referral", data={
        "csrf_token": csrf_of(page), "target": "lado", "outcome": "not_required",
        "text": "", "reason": "Advice taken: below the threshold."})
    page = leader.get(f"/reports/{references[-1]}").text
    leader.post(f"/reports/{references[-1]}/status", data={
        "csrf_token": csrf_of(page), "status": "triaged", "reason": "Looked at it."})
    for reference in references:
        said.append(leader.get(f"/reports/{reference}").text)
    for who in ("dsl", "head", "admin", "chair", "governor", "staff"):
        client = env.client(who)
        said += [client.get(path).text for path in _pages(env)]
    said += [json.dumps(row.payload, ensure_ascii=False) for row in env.outbox()]
    said.append(stranger_line(env.context.config))  # the Teams bot, to someone it doesn't know
    settings = env.context.settings
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", settings.signing_key())
    from bot.cli.main import app

    runner = CliRunner()
    for args in (["reports", "list"], ["reports", "list", "--show", "--as", ROLE_EMAILS["dsl"]],
                 ["reports", "list", "--show", "--as", ROLE_EMAILS["staff"]],
                 ["decisions", "list", "--show"]):
        said.append(runner.invoke(app, args, env={"COLUMNS": "200"}).output)
    return "\n".join(said)


@pytest.fixture(name="home")
def home_fixture(tmp_path: Any) -> Iterator[Any]:
    """A folder for the school."""
    yield tmp_path / "school"


@pytest.mark.parametrize("country", ["scotland", "wales", "northern-ireland"])
def test_no_english_only_word_reaches_another_nations_school(
    home: Any, country: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(home, country)
    try:
        text = _everything_said(env, monkeypatch)
    finally:
        env.context.store.dispose()
    found = sorted({m.group(0) for m in ENGLAND_ONLY.finditer(text)})
    where = [text[max(0, m.start() - 80):m.end() + 40] for m in ENGLAND_ONLY.finditer(text)]
    assert not found, f"{country}: {found}\n" + "\n---\n".join(where[:8])
    words = pack_for(country).words
    for word in (words.dsl, words.staff_route_decision, words.chair):
        assert word in text, word  # the nation's own words were said instead


def test_an_english_school_reads_englands_words(
    home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan sees what it looks for: England's school is told of the DSL and the LADO."""
    env = _env(home, "england")
    try:
        text = _everything_said(env, monkeypatch)
    finally:
        env.context.store.dispose()
    assert "LADO referral decision" in text and "Designated Safeguarding Lead" in text
    assert "Keeping Children Safe in Education" in text  # the privacy notice


def test_a_word_the_school_overrides_is_said_everywhere_the_word_is(
    home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(home, "scotland", {"dsl": "Child Protection Co-ordinator",
                                  "dsl_full": "Child Protection Co-ordinator"})
    try:
        text = _everything_said(env, monkeypatch)
        outbox = [json.dumps(row.payload, ensure_ascii=False) for row in env.outbox()]
    finally:
        env.context.store.dispose()
    assert "Child Protection Coordinator" not in text.replace("depute Child Protection "
                                                              "Coordinator", "")
    assert text.count("Child Protection Co-ordinator") > 10
    alerts = [m for m in outbox if "A new report" in m and '"html"' in m]  # emails, not cards
    receipts = [m for m in outbox if "reached Oak Test School" in m]
    assert alerts and receipts
    missing = [m[:300] for m in alerts + receipts if "Child Protection Co-ordinator" not in m]
    assert not missing, missing
    assert not ENGLAND_ONLY.search(text)

