"""In a real Chromium: the DSL records a decision and reviews it; an owner marks a weekly task
done from the link in the emailed .eml (opening it records nothing; Done records once); a
visitor confirms the rules on a phone with JavaScript switched off."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from bot.core.models import (
    AuditEvent,
    Decision,
    DecisionAttachment,
    TaskCompletion,
    VisitorAssurance,
)
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.conftest import free_port
from tests.features.decisions.test_support import PDF, Env, make_env
from tests.support.helpers import SchoolBuilder, at

pytestmark = pytest.mark.browser
MONDAY = date(2026, 11, 23)
PHOTOS = "Upload and clear the photos on the school phone"


def _serve(env: Env, live_server: Any, port: int) -> Any:
    server = live_server(create_app(env.context.settings, env.context))
    server.port, server.url = port, f"http://127.0.0.1:{port}"
    server.server.config.port = port
    return server


def _sign_in(page: Any, url: str, who: str) -> None:
    page.goto(f"{url}/signin")
    page.get_by_label("Person").select_option(who)
    page.get_by_role("button", name="Sign in").click()


def test_dsl_records_and_reviews_a_decision(
    school: SchoolBuilder, live_server: Any, page: Any, screenshot: Any
) -> None:
    port = free_port()
    env = make_env(school, base_url=f"http://127.0.0.1:{port}")
    with time_machine.travel(at(MONDAY, 10), tick=True), _serve(env, live_server, port) as srv:
        _sign_in(page, srv.url, "dsl@oak.example")
        page.goto(f"{srv.url}/decisions")
        assert page.locator("h1").inner_text() == "Decisions and exceptions"
        page.get_by_role("link", name="Record a decision").click()
        page.get_by_role("button", name="Record the decision").click()  # nothing filled in
        assert "There is a problem" in page.locator("#error-summary").inner_text()
        page.get_by_label(re.compile("^Pre-existing relationship")).check()
        page.get_by_label(re.compile("^Someone the school.s directory lists")).check()
        page.locator("#subject_person_id").select_option(label="Ben Brook")
        page.get_by_label("What was decided").fill(
            "Ben may stay connected on Facebook with his sister, whose son is in Year 4. "
            "He will not discuss school matters there."
        )
        page.get_by_label("Reasons").fill("Family relationship that predates his employment.")
        page.get_by_label("Who decided").select_option(label="Dee Lead")
        page.get_by_label("Review date").fill("2026-12-01")
        page.get_by_label(re.compile("^Files")).set_input_files(
            [{"name": "advice-given.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        screenshot(page, "decision-new")
        page.get_by_role("button", name="Record the decision").click()
        assert "Saved." in page.locator(".saved").inner_text()
        heading = page.locator("h1").inner_text()
        assert re.fullmatch(r"DEC-\d{4}: Pre-existing relationship", heading)
        assert page.locator("#about").inner_text().startswith("Ben Brook")
        assert "Due soon" in page.locator("#review-state").inner_text()
        screenshot(page, "decision-detail")
        page.goto(f"{srv.url}/decisions")
        assert page.locator("#count-due").inner_text() == "1"
        assert "Due soon" in page.locator("tbody tr").first.inner_text()
        screenshot(page, "decisions-list")
        page.get_by_role("link", name=re.compile(r"DEC-\d{4}")).click()
        page.get_by_label(re.compile("^It continues")).check()
        page.get_by_label("Next review date", exact=True).fill("2027-06-01")
        page.get_by_label("Notes (optional)").fill("Checked with Ben; nothing has changed.")
        page.get_by_role("button", name="Record the review").click()
        assert "Continues; next review 01 Jun 2027" in page.locator("table").inner_text()
        # staff cannot open it
        other = page.context.browser.new_context()
        staff = other.new_page()
        _sign_in(staff, srv.url, "amy@oak.example")
        assert staff.goto(f"{srv.url}/decisions").status == 403
        other.close()
    with env.context.store.session() as session:
        decision = session.scalars(select(Decision)).one()
        assert (
            decision.review_on == date(2027, 6, 1)
            and decision.decided_by.email == "dsl@oak.example"
        )
        assert session.scalar(select(func.count()).select_from(DecisionAttachment)) == 1
        actions = [
            e.action
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("decision%")))
        ]
    assert actions.count("decision.viewed") == 3 and "decision.reviewed" in actions
    env.context.store.dispose()


def _task_link(folder: Path, to: str) -> str:
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            body = message.get_body(("plain",))
            assert body is not None
            [link] = re.findall(r"https?://\S+/task/\S+", body.get_content())
            return link
    raise AssertionError(f"no email to {to}")


def _completions(env: Env) -> int:
    with env.context.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(TaskCompletion)) or 0)


def test_owner_marks_a_task_done_from_the_email(
    school: SchoolBuilder, live_server: Any, page: Any, screenshot: Any
) -> None:
    port = free_port()
    env = make_env(
        school,
        base_url=f"http://127.0.0.1:{port}",
        requirements=[
            {
                "id": "phone-photos",
                "kind": "recurring_task",
                "title": PHOTOS,
                "every": "weekly",
                "owners": ["amy@oak.example", "ben@oak.example"],
            }
        ],
    )
    ctx = env.context
    with time_machine.travel(at(MONDAY, 8, 15), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    link = _task_link(ctx.settings.outbox_dir, "amy@oak.example")
    with time_machine.travel(at(MONDAY, 10), tick=True), _serve(env, live_server, port):
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(link)
        page.goto(link)  # a mail scanner, then Amy: still nothing recorded
        assert _completions(env) == 0
        assert page.locator("h1").inner_text() == PHOTOS
        assert "the week beginning Monday 23 November 2026" in page.locator(".meta").inner_text()
        assert "Ben Brook" in page.content()
        screenshot(page, "task-page")
        page.get_by_role("button", name="Done").click()
        assert page.locator("h1").inner_text() == "Thank you"
        assert _completions(env) == 1
        screenshot(page, "task-done")
        page.go_back()
        page.reload()
        assert "Already done" in page.locator("h1").inner_text()
        page.goto(_task_link(ctx.settings.outbox_dir, "ben@oak.example"))
        assert "by Amy Able" in page.locator("[role=status]").inner_text()
        assert page.goto(link[:-3] + "xyz").status == 400
    assert _completions(env) == 1
    with ctx.store.session() as session:
        completion = session.scalars(select(TaskCompletion)).one()
        assert completion.user_agent and "Chrome" in completion.user_agent
    env.context.store.dispose()


def test_visitor_confirms_on_a_phone_without_javascript(
    school: SchoolBuilder, live_server: Any, chromium: Any, page: Any, screenshot: Any
) -> None:
    port = free_port()
    env = make_env(school, base_url=f"http://127.0.0.1:{port}")
    phone = chromium.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    visitor = phone.new_page()
    try:
        with time_machine.travel(at(MONDAY, 10), tick=True), _serve(env, live_server, port) as srv:
            visitor.goto(f"{srv.url}/visit/oak")
            for selector in ("main", "form", "button.big", ".rules"):
                box = visitor.locator(selector).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
            assert visitor.locator("h1").inner_text() == "Visiting Oak Test School"
            screenshot(visitor, "visit-phone")
            visitor.get_by_role("button", name="Confirm").click()
            assert "Tick the box" in visitor.locator("#error-summary").inner_text()
            screenshot(visitor, "visit-phone-errors")
            visitor.get_by_label("Your full name").fill("Sam Sparks")
            visitor.get_by_label("Organisation or company (optional)").fill("Bright Electrics")
            visitor.get_by_label(re.compile("I have read Oak Test School's rules")).check()
            visitor.get_by_role("button", name="Confirm").click()
            assert visitor.locator("h1").inner_text() == "Thank you, Sam Sparks"
            assert re.fullmatch(r"VIS-\d{6}", visitor.locator("#reference").inner_text())
            screenshot(visitor, "visit-phone-done")
            # nothing is emailed to a visitor (the public form is no relay); the rules stay
            # at the page's address
            assert env.outbox() == [] and visitor.locator("a[href='/visit/oak']").count() == 1
            # the reception poster, for the office
            _sign_in(page, srv.url, "admin@oak.example")
            page.goto(f"{srv.url}/visit/oak/poster")
            assert page.locator(".qr svg").count() == 1
            screenshot(page, "visit-poster")
            page.emulate_media(media="print")
            assert not page.locator("header.top").is_visible()
    finally:
        phone.close()
    with env.context.store.session() as session:
        stored = session.scalars(select(VisitorAssurance)).one()
        assert (stored.name, stored.organisation, stored.visit_date) == (
            "Sam Sparks",
            "Bright Electrics",
            MONDAY,
        )
    env.context.store.dispose()
