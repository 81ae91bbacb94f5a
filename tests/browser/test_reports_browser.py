"""A parent reports a concern in a real Chromium; the DSL is alerted without the contents."""

from __future__ import annotations

import email
import re
import time
from email.message import Message
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.models import OutboxMessage
from bot.core.outbox.delivery import NEEDS_A_PERSON
from bot.web.app import create_app
from tests.features.reports.test_support import make_env, png_bytes
from tests.support.helpers import SchoolBuilder

UNIQUE = "Zq7-UNIQUE-BROWSER-TEXT <script>alert('owned')</script>"
NAMES = "Yannick Example-Pupil"


def _parts(message: Message) -> tuple[str, str]:
    text = html = ""
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        body = payload.decode(part.get_content_charset() or "utf-8")
        if part.get_content_type() == "text/plain":
            text += body
        elif part.get_content_type() == "text/html":
            html += body
    return text, html


def _wait_sent(env: Any, key: str) -> OutboxMessage:
    """The row once sent, however slow the machine (the test's bound ends a hang); one that
    needs a person fails at once."""
    while True:
        with env.context.store.session() as session:
            row = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        if row is not None and row.status == "sent":
            return row
        assert row is None or row.status not in NEEDS_A_PERSON, (key, row.status, row.last_error)
        time.sleep(0.05)


@pytest.mark.browser
def test_report_form_end_to_end(
    page: Any, live_server: Any, school: SchoolBuilder, screenshot: Any
) -> None:
    env = make_env(school)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        app = create_app(env.context.settings, env.context)
        with live_server(app) as server:
            page.set_viewport_size({"width": 375, "height": 800})  # a phone
            page.goto(server.url + env.public_path)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

            # nothing filled in: an error summary linking to the fields
            page.get_by_role("button", name="Send the report").click()
            summary = page.locator("#error-summary")
            assert summary.is_visible()
            assert "Choose what kind of concern this is" in summary.inner_text()
            page.get_by_role("link", name="Describe what happened.").click()
            assert page.evaluate("document.activeElement.id") == "what_happened"

            # the real thing, by label (accessible names)
            page.get_by_label("Cyberbullying").check()
            page.get_by_label("Pupil", exact=True).check()
            page.locator("#names_pupil").fill(NAMES)
            page.get_by_label("What happened?").fill(UNIQUE)
            page.get_by_label("When did it happen?").fill("Tuesday after school")
            page.get_by_label("Where did it happen? (optional)").fill("WhatsApp group")
            page.get_by_label("Your name (unless you report anonymously)").fill("Pat Parent")
            page.get_by_label("Your email address (optional)").fill("pat@home.example")
            page.get_by_label("Photos or documents (optional)").set_input_files(
                [{"name": "screenshot.png", "mimeType": "image/png", "buffer": png_bytes()}]
            )
            screenshot(page, "report-form-filled")
            page.get_by_role("button", name="Send the report").click()

            reference = page.locator("#reference").inner_text().strip()
            assert re.fullmatch(r"CR-\d{4}-[A-HJ-KM-NP-Z2-9]{5}", reference)
            assert "Report received" in page.content()
            screenshot(page, "report-received")

            # the DSL alert: in the outbox, delivered as .eml, without any of the contents
            alert = _wait_sent(env, f"report-alert:oak:{reference}")
            assert alert.recipients == ["dsl@oak.example", "deputy@oak.example"]
            receipt = _wait_sent(env, f"report-receipt:oak:{reference}")
            for row in (alert, receipt):
                assert UNIQUE not in row.payload["text"] and UNIQUE not in row.payload["html"]
            files = {
                m["X-Compliance-Bot-Key"]: m
                for m in (
                    email.message_from_bytes(p.read_bytes())
                    for p in env.context.settings.outbox_dir.glob("*.eml")
                )
            }
            mail = files[f"report-alert:oak:{reference}"]
            text, html = _parts(mail)
            assert text and html
            for part in (text, html, str(mail["Subject"])):
                for secret in ("Zq7-UNIQUE", NAMES, "Pat Parent", "pat@home.example", "WhatsApp"):
                    assert secret not in part
            assert reference in text and f"/reports/{reference}" in html
            receipt_text, receipt_html = _parts(files[f"report-receipt:oak:{reference}"])
            assert "Zq7-UNIQUE" not in receipt_text + receipt_html

            # the reporter cannot read it back; the DSL can, as plain text
            page.goto(server.url + f"/reports/{reference}")
            assert "Please sign in" in page.content()
            page.goto(server.url + "/signin")
            page.get_by_label("Person").select_option("dsl@oak.example")
            page.get_by_role("button", name="Sign in").click()
            page.set_viewport_size({"width": 1200, "height": 900})
            page.goto(server.url + "/reports")
            page.get_by_role("link", name=reference).click()
            assert page.locator("#what-happened").inner_text() == UNIQUE
            screenshot(page, "report-detail-dsl")
            assert dialogs == []  # the script tag stayed text
    finally:
        env.context.store.dispose()


@pytest.mark.browser
def test_anonymous_report_from_the_home_page(
    page: Any, live_server: Any, school: SchoolBuilder, screenshot: Any
) -> None:
    """A visitor with no account: home page -> "Report a concern" -> anonymous report; the
    report is in the database (read over a fresh connection) when the page says received."""
    from sqlalchemy import create_engine

    from bot.core.models import Report

    env = make_env(school)
    try:
        with live_server(create_app(env.context.settings, env.context)) as server:
            page.goto(server.url + "/")
            page.locator("main").get_by_role("link", name="Report a concern").click()
            page.wait_for_url(server.url + "/report")
            assert page.locator("h1").inner_text() == "Report a concern or a breach"
            assert "Oak Test School" in page.locator(".lead").first.inner_text()
            page.get_by_label("Mobile device misuse").check()
            page.get_by_label("Pupil", exact=True).check()
            page.get_by_label("What happened?").fill("A phone was used in the toilets.")
            page.get_by_label("When did it happen?").fill("This morning")
            page.get_by_role("checkbox", name="Report anonymously").check()
            page.get_by_role("button", name="Send the report").click()
            page.wait_for_selector("#reference")
            reference = page.locator("#reference").inner_text().strip()
            assert "Report received" in page.content()
            engine = create_engine(str(env.context.store.engine.url))
            try:
                with engine.connect() as conn:
                    row = conn.execute(
                        select(Report.reporter_name, Report.anonymous, Report.school_id).where(
                            Report.reference == reference
                        )
                    ).one()
            finally:
                engine.dispose()
            assert tuple(row) == (None, True, "oak")
            screenshot(page, "report-anonymous-home")
    finally:
        env.context.store.dispose()
