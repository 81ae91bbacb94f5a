"""In Chromium: an administrator of a school in preview signs in, lands on the setup page and
walks it (school details, people in roles, a policy document, term dates from an .ics, a
requirement pack), then edits a policy, a requirement and an account holder and sees each change
on the dashboard at once, and presses "Start sending"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from bot.core.deployment import setup_state
from bot.core.models import AuditEvent
from bot.web.app import create_app
from tests.features.setup.conftest import TODAY, build_web_school
from tests.support.axe import add_axe, axe_violations
from tests.support.helpers import SchoolBuilder, at

pytestmark = pytest.mark.browser

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Fictional County Council//Term dates//EN\r
BEGIN:VEVENT\r
UID:1@example\r
SUMMARY:Summer term 1\r
DTSTART;VALUE=DATE:20260413\r
DTEND;VALUE=DATE:20260523\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@example\r
SUMMARY:Half term\r
DTSTART;VALUE=DATE:20260525\r
DTEND;VALUE=DATE:20260530\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:3@example\r
SUMMARY:Summer term 2 starts\r
DTSTART;VALUE=DATE:20260601\r
DTEND;VALUE=DATE:20260602\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:4@example\r
SUMMARY:Summer term 2 ends\r
DTSTART;VALUE=DATE:20260722\r
DTEND;VALUE=DATE:20260723\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:5@example\r
SUMMARY:INSET day (school closed to pupils)\r
DTSTART;VALUE=DATE:20260601\r
DTEND;VALUE=DATE:20260602\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_first_run_setup_and_edits_show_on_the_dashboard(
    school: SchoolBuilder,
    sqlite_url: str,
    live_server: Any,
    page: Any,
    tmp_path: Path,
    screenshot: Any,
) -> None:
    ctx = build_web_school(school, sqlite_url)
    policy = tmp_path / "child-protection.md"
    policy.write_text(
        "# Child Protection and Safeguarding Policy\n\nApproved by the FGB on 10 March 2026.\n\n"
        "Next review: March 2027\n",
        encoding="utf-8",
    )
    calendar = tmp_path / "term-dates.ics"
    calendar.write_text(ICS, encoding="utf-8")
    with (
        time_machine.travel(at(TODAY), tick=True),
        live_server(create_app(ctx.settings, ctx)) as server,
    ):
        url = server.url
        page.goto(f"{url}/signin")
        page.select_option("#email", "office@oak.example")
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/setup")  # a school in preview: its admin lands here
        assert "Not done yet" in page.locator("#steps").inner_text()

        page.get_by_role("link", name="School details").first.click()
        page.fill("#name", "Oak Primary School")
        page.select_option("#country", "wales")
        page.get_by_role("button", name="Save school details").click()
        page.wait_for_selector("#saved")

        page.goto(f"{url}/admin/roles")
        page.select_option("#dsl", ["head@oak.example", "line@oak.example"])
        page.get_by_role("button", name="Save people in roles").click()
        page.wait_for_selector("#saved")

        page.goto(f"{url}/admin/policies")
        page.set_input_files("#documents", str(policy))
        page.get_by_role("button", name="Upload and read").click()
        page.wait_for_selector("#uploaded")
        read = page.locator("#uploaded").inner_text()
        assert "Child Protection and Safeguarding Policy" in read
        assert "added as a new policy" in read

        page.goto(f"{url}/admin/terms")
        page.set_input_files("#calendar", str(calendar))
        page.get_by_role("button", name="Read calendar").click()
        page.wait_for_selector("#calendar-read")
        assert "2 terms, 1 INSET day" in page.locator("#calendar-read").inner_text()
        assert "Summer term 2, 2026-06-01, 2026-07-22" in page.locator("#terms").input_value()

        page.goto(f"{url}/admin/requirements")
        page.check("#pack-kcsie")
        page.get_by_role("button", name="Add pack").click()
        page.wait_for_selector("#pack-added")
        assert page.locator('tr[data-requirement="ack-child-protection-safeguarding"]').count() == 1
        screenshot(page, "setup-requirements")

        page.goto(f"{url}/setup")
        assert "Not done yet" not in page.locator("#steps").inner_text()
        screenshot(page, "setup-done")

        # a policy renamed: the dashboard's acknowledgements show the new title at once
        page.goto(f"{url}/admin/policies/online-safety")
        page.fill("#title", "Online Safety and Acceptable Use Policy")
        page.get_by_role("button", name="Save policy").click()
        page.wait_for_selector("#saved")
        page.goto(f"{url}/dashboard")
        assert page.locator("#preview").is_visible()
        assert page.locator("#school-name").inner_text() == "Oak Primary School"
        acks = page.locator('#acknowledgements tr[data-policy="online-safety"]').inner_text()
        assert "Online Safety and Acceptable Use Policy" in acks

        # a requirement's course renamed: the training chart follows at once
        page.goto(f"{url}/admin/requirements/training-online-safety")
        page.fill("#course", "Online safety (annual)")
        page.get_by_role("button", name="Save requirement").click()
        page.wait_for_selector("#saved")
        page.goto(f"{url}/dashboard")
        assert "Online safety (annual)" in page.locator("#training").inner_text()

        # an account holder added: the account shows two holders, one not signed
        page.goto(f"{url}/accounts")
        page.get_by_role("link", name="School Facebook page").first.click()
        page.select_option("#person_id", label="Ben Brook")
        page.get_by_role("button", name="Add holder").click()
        page.wait_for_selector("text=Ben Brook")
        page.goto(f"{url}/dashboard")
        row = page.locator("#accounts tr[data-account]").first
        assert row.locator('[data-col="holders"]').inner_text() == "2"
        assert row.locator('[data-col="unsigned"]').inner_text() == "2"
        screenshot(page, "setup-dashboard-preview")

        page.get_by_role("button", name="Start sending").click()
        page.wait_for_selector("#sending-started")
        assert page.locator("#preview").count() == 0

    with ctx.store.session() as session:
        assert setup_state.is_sending(session, "oak")
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == "office@oak.example")
        ).all()
    assert actions.count("config.changed") >= 8 and "sending.started" in actions


SETTINGS_PAGES = (
    "/setup",
    "/admin/school",
    "/admin/roles",
    "/admin/policies",
    "/admin/policies/online-safety",
    "/admin/terms",
    "/admin/requirements",
    "/admin/settings",
)


def test_settings_pages_have_no_axe_violation(
    school: SchoolBuilder, sqlite_url: str, live_server: Any, page: Any, node_modules: Path
) -> None:
    ctx = build_web_school(school, sqlite_url)
    add_axe(page.context, node_modules)
    problems: dict[str, list[str]] = {}
    with (
        time_machine.travel(at(TODAY), tick=True),
        live_server(create_app(ctx.settings, ctx)) as server,
    ):
        page.goto(f"{server.url}/signin")
        page.select_option("#email", "office@oak.example")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/setup")
        page.goto(f"{server.url}/admin/terms")
        page.fill("#terms", "Autumn, 2026-09-02, whenever")
        page.get_by_role("button", name="Save term dates").click()
        page.wait_for_selector("#errors")  # the error state is checked too
        for path in ("", *SETTINGS_PAGES):
            if path:
                page.goto(server.url + path)
            problems[path or "/admin/terms (a line refused)"] = axe_violations(page)
    assert not {k: v for k, v in problems.items() if v}
