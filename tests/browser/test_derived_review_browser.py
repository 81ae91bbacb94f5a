"""In Chromium: a next review date worked out from the ratification date says so in the register
and on the policy page until the clerk confirms (or corrects) it there; the change is audited."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from bot.core.models import AuditEvent, Policy
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.support.helpers import Row, SchoolBuilder, at

pytestmark = pytest.mark.browser
TODAY = date(2026, 3, 16)
NOTE = "(worked out from the ratification date — please confirm)"


def test_clerk_confirms_a_derived_review_date(
    school: SchoolBuilder, sqlite_url: str, live_server: Any, page: Any, screenshot: Any
) -> None:
    school.people.append(Row("clerk@oak.example", "Cleo Clerk", "staff", "All Staff"))
    school.school["clerk"] = "clerk@oak.example"
    school.policy("online-safety", "2025.1", title="Online Safety Policy", ratified_on="2025-06-10")
    school.policy("code", "2025.1", title="Staff Code of Conduct", next_review="2026-12-01")
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
    with (
        time_machine.travel(at(TODAY), tick=True),
        live_server(create_app(ctx.settings, ctx)) as server,
    ):
        page.goto(f"{server.url}/signin?next=/policies")
        page.select_option("#email", "clerk@oak.example")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/policies")
        derived = page.locator('tr[data-policy="online-safety"]')
        assert NOTE in derived.inner_text() and "10 Jun 2026" in derived.inner_text()
        assert NOTE not in page.locator('tr[data-policy="code"]').inner_text()
        derived.get_by_role("link", name="Online Safety Policy").click()
        page.wait_for_url(f"{server.url}/policies/online-safety")
        assert page.locator("#next-review").inner_text() == f"10 June 2026 {NOTE}"
        screenshot(page, "policy-derived-date")

        page.fill("#next_review", "2026-07-01")
        page.get_by_role("button", name="Confirm review date").click()
        page.wait_for_selector("#confirmed")
        assert page.locator("#next-review").inner_text() == "01 July 2026"
        assert page.get_by_role("button", name="Confirm review date").count() == 0
        page.goto(f"{server.url}/policies")
        assert NOTE not in page.locator('tr[data-policy="online-safety"]').inner_text()

    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and policy.next_review_due == date(2026, 7, 1)
        assert not policy.next_review_derived
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "policy.review_date.confirmed")
        ).one()
        assert event.actor == "clerk@oak.example"
        assert event.details == {"was": "2026-06-10", "next_review_due": "2026-07-01"}
    # the next sweep keeps the confirmed date (the YAML still only names the ratification)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and not policy.next_review_derived
