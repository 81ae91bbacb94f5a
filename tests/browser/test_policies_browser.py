"""In Chromium: the clerk signs in, opens the register, and records a review with a new
document on /policies/{key}; the page confirms it and the register shows the new dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from bot.core.models import Policy, PolicyReview
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.support.helpers import Row, SchoolBuilder, at

pytestmark = pytest.mark.browser
TODAY = date(2026, 3, 16)


def test_clerk_records_a_review_in_the_browser(
    school: SchoolBuilder,
    sqlite_url: str,
    live_server: Any,
    page: Any,
    tmp_path: Path,
    screenshot: Any,
) -> None:
    school.people.append(Row("clerk@oak.example", "Cleo Clerk", "staff", "All Staff"))
    school.school["clerk"] = "clerk@oak.example"
    school.policy(
        "online-safety",
        "2025.1",
        title="Online Safety Policy",
        next_review="2026-03-01",
        linked_policies=["Remote Learning Policy"],
    )
    school.requirement(
        id="ack-online-safety",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    ctx = school.context(sqlite_url, demo=True)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    document = tmp_path / "online-safety-2026.md"
    document.write_text(
        "# Online Safety Policy\n\nReviewed and revised in 2026.\n", encoding="utf-8"
    )
    with (
        time_machine.travel(at(TODAY), tick=True),
        live_server(create_app(ctx.settings, ctx)) as server,
    ):
        page.goto(f"{server.url}/signin?next=/policies")
        page.select_option("#email", "clerk@oak.example")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/policies")
        row = page.locator('tr[data-policy="online-safety"]')
        assert row.locator(".status").inner_text() == "overdue"
        assert "Remote Learning Policy" in page.locator(".gaps").inner_text()
        row.get_by_role("link", name="Online Safety Policy").click()
        page.wait_for_url(f"{server.url}/policies/online-safety")

        page.fill("#reviewed_on", "2026-03-12")
        page.fill("#body", "FGB")
        page.fill("#minute_ref", "FGB/26/07")
        page.set_input_files("#document", str(document))
        page.get_by_role("button", name="Record review").click()
        page.wait_for_selector("#recorded")
        confirmation = page.locator("#recorded").inner_text()
        assert "Review recorded" in confirmation and "12 March 2027" in confirmation
        assert "New version published (reviewed 12 March 2026)" in confirmation
        assert page.locator("#next-review").inner_text() == "12 March 2027"
        assert page.locator("tr.version").count() == 2
        screenshot(page, "policies-review-recorded")

        page.goto(f"{server.url}/policies")
        assert page.locator('tr[data-policy="online-safety"] .status').inner_text() == "current"
        screenshot(page, "policies-register")
        page.get_by_role("link", name="Governors' termly report").click()
        page.wait_for_selector("#reviewed-count")
        assert page.locator("#reviewed-count").inner_text() == "1"
        screenshot(page, "governors-report")

    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and policy.current_version is not None
        assert policy.current_version.label == "reviewed 12 March 2026"
        assert policy.current_version.document == document.read_bytes()
        assert session.scalars(select(PolicyReview)).one().recorded_by == "clerk@oak.example"
