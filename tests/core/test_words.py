"""Words a school uses: the helpers, then everything a person reads from the demo school —
every email it writes, its printed summaries and its main pages — checked for internal words
(stage codes, role ids, "(s)" plurals, raw hashes and UTC on staff pages); reminder text that
fits the items it lists; and the Reply-To header through the real outbox and SMTP."""

from __future__ import annotations

import email
import email.policy
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.database.store import Store
from bot.core.deployment.context import AppContext
from bot.core.language.words import (
    csv_text,
    human_time,
    plural,
    role_list,
    role_name,
    stage_list,
    stage_name,
)
from bot.core.models import OfficialAccount, Person, Policy, Report, School
from bot.core.outbox import Urgency, dispatch, enqueue_email
from bot.core.rendering.messages import notice
from bot.demo.builder import demo_settings
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from connectors.local.connector import SmtpMailer
from tests.support.demo_run import DEMO_MONDAY, DemoRun, parts, run_demo, visible_text
from tests.support.helpers import SchoolBuilder, at
from tests.support.keys import TEST_KEYS
from tests.support.smtp import Inbox, running_smtp

# --------------------------------------------------------------------------- the helpers


def test_plural_roles_and_stages_in_words() -> None:
    assert plural(1, "handover") == "1 handover"
    assert plural(2, "handover") == "2 handovers"
    assert plural(3, "policy", "policies") == "3 policies"
    assert plural(0, "message") == "0 messages"
    assert role_name("deputy_dsl") == "deputy DSL"
    assert str(role_list(["headteacher", "deputy_dsl", "dsl"])) == "headteacher, DSL, deputy DSL"
    assert stage_name("ask") == "first request"
    assert stage_name("before:7") == "7 days before the due date"
    assert stage_name("before:1") == "1 day before the due date"
    assert stage_name("due") == "on the due date"
    assert stage_name("overdue:2") == "second overdue reminder"
    assert stage_name("overdue:12") == "12th overdue reminder"
    assert stage_list(("overdue:1", "due")) == "first overdue reminder, on the due date"


def test_every_csv_download_is_safe_to_open_in_a_spreadsheet() -> None:
    text = csv_text(("name", "note"), [('=HYPERLINK("http://x")', "+1"), ("Amy", None)])
    assert text.startswith("\ufeffname,note\r\n")  # Excel reads accents with the mark
    assert "'=HYPERLINK" in text and "'+1" in text and "Amy,\r\n" in text
    assert not csv_text(("a",), [], bom=False).startswith("\ufeff")  # piped from a command


def test_times_are_in_the_schools_zone() -> None:
    # 09:30 UTC in June is 10:30 in London (BST); in December the same
    assert human_time(datetime(2026, 6, 1, 9, 30, tzinfo=UTC)) == "Monday 1 June 2026 at 10:30"
    assert human_time(datetime(2026, 12, 7, 9, 30, tzinfo=UTC)) == "Monday 7 December 2026 at 09:30"


# --------------------------------------------------------------------------- the demo school

# (pattern, what it is): none of these may reach a person
INTERNAL = [
    (r"\b(?:before|overdue):\d+", "a reminder stage code"),
    (r"\bStages?:", "the stage codes' heading"),
    (r"\b(?:deputy_dsl|chair_of_governors|safeguarding_governor|account_holder)\b", "a role id"),
    (r"\((?:dsl|deputy_dsl|clerk)\b", "a role id in brackets"),
    (
        r"\b(?:acknowledge_policy|complete_training|sign_aup|recurring_task|review_policy)\b",
        "a requirement kind",
    ),
    (r"\bcomplete training\b", "a requirement kind as a label"),
    (r"\w\(s\)", "an '(s)' plural"),
    (r"\b[Pp]urged\b", "an internal verb"),
    (r"\bWhen\s+demo\b", "a placeholder in a report"),
    (r"\(UTC\)", "UTC instead of the school's time"),
]
ON_PAGES = [(r"school\.yaml", "a file name on a page")]
ON_STAFF_PAGES = [(r"SHA-256|\b[0-9a-f]{16,}", "a raw document hash on a staff page")]


def _offences(where: str, text: str, patterns: list[tuple[str, str]]) -> list[str]:
    return [
        f"{where}: {what}: {m.group(0)!r}"
        for pattern, what in patterns
        for m in re.finditer(pattern, text)
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo run once for this module (about five seconds)."""
    return run_demo(tmp_path_factory.mktemp("demo"))


def _cli(folder: Path, *args: str) -> str:
    old = Path.cwd()
    os.chdir(folder)
    try:
        with time_machine.travel(at(DEMO_MONDAY, 11), tick=False):
            result = CliRunner().invoke(app, list(args))
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_demo_email_uses_the_schools_words_and_fits_its_items(demo: DemoRun) -> None:
    purposes = {str(m["X-Compliance-Bot-Key"]).split(":")[0] for m in demo.emails}
    assert {"reminder", "digest", "governor-digest", "report-escalation"} <= purposes, purposes
    found: list[str] = []
    singles = 0
    for message in demo.emails:
        text, html = parts(message)
        where = f"email {message['Subject']!r}"
        for body in (text, visible_text(html)):
            found += _offences(where, body, INTERNAL)
            # the footer invites a reply only when a reply goes somewhere
            assert "reply to this email" not in body or message["Reply-To"], where
        if str(message["X-Compliance-Bot-Key"]).startswith("reminder:"):
            items = len(re.findall(r"^\* ", text, re.MULTILINE))
            assert items >= 1
            buttons = html.count('style="display:inline-block;background:#1d4f91')
            if items == 1:
                singles += 1
                assert "Some of these" not in text and "One of these" not in text, where
                assert "Each link" not in text and "Each button" not in html, where
                assert "There is one thing" in text
            if buttons < 2:
                assert "Each button" not in html, where
    assert singles, "the demo should send at least one one-item reminder"
    assert not found, "\n".join(found)
    assert all(m["Reply-To"] for m in demo.emails)  # the school office: the demo's admin


def test_the_demo_commands_use_the_schools_words(demo: DemoRun) -> None:
    outputs = {
        "demo": demo.output,
        "remind --dry-run": _cli(demo.folder, "remind", "--dry-run"),
        "status": _cli(demo.folder, "status"),
        "duties --overdue": _cli(demo.folder, "duties", "--overdue"),
    }
    found = [o for name, out in outputs.items() for o in _offences(name, out, INTERNAL)]
    assert not found, "\n".join(found)
    assert "overdue reminder" in outputs["demo"]  # the stage column, in words
    assert "messages delivered" in outputs["demo"]


def _signed_in(context: AppContext, email_address: str | None) -> TestClient:
    client = TestClient(create_app(context.settings, context))
    if email_address:
        page = client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        client.post("/signin", data={"email": email_address, "csrf_token": token.group(1)})
    return client


def _read(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return visible_text(response.text)


def test_the_main_pages_use_the_schools_words(demo: DemoRun) -> None:
    context = AppContext(demo_settings(demo.folder))
    school = context.config.schools[0]
    with context.store.session() as session:
        account = session.scalars(select(OfficialAccount.id)).first()
        policy = session.scalars(select(Policy.key)).first()
        report = session.scalars(select(Report.reference)).first()
        staff = session.scalars(
            select(Person.email).where(Person.active.is_(True), Person.email != school.headteacher)
        ).all()
    ack_paths = [
        urlsplit(u).path
        for m in demo.emails
        for u in re.findall(r"https?://\S+/(?:ack|aup)/\S+", parts(m)[0])
    ]
    found: list[str] = []
    with time_machine.travel(at(DEMO_MONDAY, 11), tick=False):
        anonymous = _signed_in(context, None)
        found += _offences("/signin", _read(anonymous, "/signin"), INTERNAL + ON_PAGES)
        for path in ack_paths[:3]:
            found += _offences(
                path[:8], _read(anonymous, path), INTERNAL + ON_PAGES + ON_STAFF_PAGES
            )
        head = _signed_in(context, school.headteacher)
        for path in (
            "/me",
            "/dashboard",
            "/dashboard/people",
            "/accounts",
            f"/accounts/{account}",
            "/policies",
            f"/policies/{policy}",
            "/reports",
            f"/reports/{report}",
            "/decisions",
            "/governors/report",
        ):
            page = _read(head, path)
            found += _offences(path, page, INTERNAL + ON_PAGES)
        for person in staff[:8]:
            found += _offences(
                f"/me ({person})",
                _read(_signed_in(context, person), "/me"),
                INTERNAL + ON_PAGES + ON_STAFF_PAGES,
            )
    context.store.dispose()
    assert ack_paths, "the demo's reminders should carry acknowledgement links"
    assert not found, "\n".join(found)


# --------------------------------------------------------------------------- one item, one truth


def _one_item_school(school: SchoolBuilder) -> None:
    school.policy(
        "online-safety",
        "2026.1",
        title="Online Safety Policy",
        published="2026-11-02",
        text="# Online Safety Policy\n\nUse school accounts.\n",
    )
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"people": ["ben@oak.example"]},
        due_days=14,
    )


def _emails(folder: Path) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        found.append(message)
    return found


def test_a_one_item_reminder_says_one_button_and_no_reply_without_an_office(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    _one_item_school(school)
    ctx = school.context(sqlite_url)
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    [message] = [m for m in _emails(ctx.settings.outbox_dir) if m["To"] == "ben@oak.example"]
    text, html = parts(message)
    assert "There is one thing the school needs you to do" in text
    assert "The link opens a page where you can read the document first" in text
    assert "The button opens a page" in html and "Each button" not in html
    assert "This link stops working after 30 days" in text
    # no admins and no reply_to: no Reply-To, and the footer does not invite a reply
    assert message["Reply-To"] is None
    assert "reply to this email" not in text and "speak to the school office" in text
    ctx.store.dispose()


def test_reply_to_is_configurable(school: SchoolBuilder, sqlite_url: str) -> None:
    _one_item_school(school)
    school.school["admins"] = ["it@oak.example"]
    school.school["reply_to"] = "office@oak.example"
    ctx = school.context(sqlite_url)
    assert ctx.config.schools[0].reply_address() == "office@oak.example"
    with time_machine.travel(at(date(2026, 11, 23)), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    [message] = [m for m in _emails(ctx.settings.outbox_dir) if m["To"] == "ben@oak.example"]
    assert message["Reply-To"] == "office@oak.example"
    assert "reply to this email (it goes to office@oak.example)" in parts(message)[0]
    ctx.store.dispose()
    del school.school["reply_to"]
    assert school.context(sqlite_url).config.schools[0].reply_address() == "it@oak.example"


# --------------------------------------------------------------------------- real SMTP


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, SmtpMailer]]:
    with running_smtp() as (inbox, port):
        yield inbox, SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")


def test_reply_to_travels_through_the_outbox_and_smtp(
    database_url: str, smtp: tuple[Inbox, SmtpMailer]
) -> None:
    inbox, mailer = smtp
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    draft = notice(
        school="Oak Test School",
        to=["amy@oak.example"],
        subject="Your new link",
        paragraphs=["You asked for a fresh link."],
        button_url="https://x.example/a",
        reply_to="office@oak.example",
    )
    with store.transaction() as session:
        session.add(School(id="s", name="Oak Test School"))
        session.flush()
        enqueue_email(
            session,
            school_id="s",
            key="words:reply-to",
            purpose="fresh_link",
            urgency=Urgency.ROUTINE,
            draft=draft,
        )
        enqueue_email(
            session,
            school_id="s",
            key="words:reply-to",
            purpose="fresh_link",
            urgency=Urgency.ROUTINE,
            draft=draft,
        )  # the same key again: still one message
    stats = dispatch(store, mailer, None)
    assert stats.sent == 1
    [message] = inbox.messages
    assert message["Reply-To"] == "office@oak.example"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert "reply to this email (it goes to office@oak.example)" in text
    assert "reply to this email (it goes to office@oak.example)" in visible_text(html)
    store.dispose()
