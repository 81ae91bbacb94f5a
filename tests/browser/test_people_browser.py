"""In a real Chromium: an admin puts a supply teacher on the people register (a blank form
first, whose problems are named), sees them in the bot with their training to do, and marks
them as left; the page works with JavaScript switched off."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from bot.core.models import Duty, Person
from bot.web.app import create_app
from tests.conftest import free_port
from tests.features.decisions.test_support import Env, make_env
from tests.support.helpers import SchoolBuilder, at

pytestmark = pytest.mark.browser
MONDAY = date(2026, 11, 23)
TRAINING = {
    "id": "safeguarding",
    "kind": "complete_training",
    "course": "Safeguarding",
    "audience": {"roles": ["staff", "supply"]},
}


def _serve(env: Env, live_server: Any, port: int) -> Any:
    server = live_server(create_app(env.context.settings, env.context))
    server.port, server.url = port, f"http://127.0.0.1:{port}"
    server.server.config.port = port
    return server


def test_an_admin_adds_a_supply_teacher_and_marks_them_left(
    school: SchoolBuilder, live_server: Any, chromium: Any, screenshot: Any
) -> None:
    port = free_port()
    env = make_env(
        school, today=MONDAY, base_url=f"http://127.0.0.1:{port}", requirements=[TRAINING]
    )
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        with time_machine.travel(at(MONDAY, 10), tick=True), _serve(env, live_server, port) as srv:
            page.goto(f"{srv.url}/signin")
            page.get_by_label("Person").select_option("admin@oak.example")
            page.get_by_role("button", name="Sign in").click()
            page.goto(f"{srv.url}/admin/people")
            assert page.locator("h1").inner_text() == "People outside the directory"
            page.get_by_role("link", name="Add someone").click()
            page.get_by_role("button", name="Add them").click()  # nothing filled in
            summary = page.locator("#error-summary").inner_text()
            assert "Enter their full name" in summary and "Choose at least one of" in summary
            page.get_by_label("Full name").fill("Sam Supply")
            page.get_by_label("Email address").fill("sam@agency.example")
            page.get_by_label("Supply staff").check()
            page.get_by_label(re.compile("^What they do at the school")).fill("Year 3 cover")
            screenshot(page, "people-new")
            page.get_by_role("button", name="Add them").click()
            assert page.locator("#saved").inner_text() == (
                "Saved: Sam Supply is in the bot now, as supply staff, with 1 task to do."
            )
            row = page.locator("#register tbody tr").first.inner_text()
            assert "sam@agency.example" in row and "Here — 1 task to do" in row
            screenshot(page, "people-register")
            page.get_by_role("link", name="Change Sam Supply").click()
            page.get_by_role("button", name="Mark as left").click()
            assert "Sam Supply is marked as left" in page.locator("#saved").inner_text()
            assert "Left on 23 Nov 2026" in page.locator("#register").inner_text()
    finally:
        context.close()
    with env.context.store.session() as session:
        sam = session.scalars(select(Person).where(Person.email == "sam@agency.example")).one()
        statuses = list(session.scalars(select(Duty.status).where(Duty.person_id == sam.id)))
    assert (sam.active, sam.source, statuses) == (False, "register", ["left"])
    env.context.store.dispose()
