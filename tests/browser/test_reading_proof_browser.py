"""In a real Chromium with JavaScript switched off, on a phone-sized screen: a policy whose
school asks for proof of reading is read section by section (each its own request), the
acknowledge button appears only at the end, a failed check lets them read again and retry, and
the acknowledgement keeps "3 of 3" pages seen."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from bot.core.models import Attestation, ReadingCheck
from bot.web.app import create_app
from tests.conftest import free_port
from tests.features.policies.test_proof_of_reading import _school
from tests.support.helpers import SchoolBuilder, at

pytestmark = pytest.mark.browser
TODAY = date(2026, 11, 23)


def test_reading_then_check_then_acknowledge_without_javascript_on_a_phone(
    school: SchoolBuilder, sqlite_url: str, live_server: Any, chromium: Any, screenshot: Any
) -> None:
    port = free_port()
    with time_machine.travel(at(TODAY, 9), tick=False):  # the link is made that morning
        ctx, link, _ = _school(school, sqlite_url)
    server = live_server(create_app(ctx.settings, ctx))
    server.port, server.url = port, f"http://127.0.0.1:{port}"
    server.server.config.port = port
    phone = chromium.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    page = phone.new_page()
    try:
        with time_machine.travel(at(TODAY, 10), tick=True), server:
            response = page.goto(server.url + link)
            assert response.status == 200, page.content()[:3000]
            assert "1 of 3" in page.locator("#progress").inner_text()
            assert page.get_by_role("button", name="I confirm").count() == 0
            box = page.locator("#section").bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390
            screenshot(page, "reading-phone-1")
            page.get_by_role("link", name="Next: Who to tell").click()
            page.get_by_role("link", name="Next: Secrets").click()
            assert "3 of 3" in page.locator("#progress").inner_text()
            page.get_by_label("A friend").check()
            page.get_by_label("No").check()
            page.get_by_role("button", name="Check my answers").click()
            assert "1 of 2 right" in page.locator("#result").inner_text()
            page.get_by_role("link", name="Previous").click()  # read again, then retry
            page.get_by_label("The DSL").check()
            page.get_by_label("No").check()
            page.get_by_role("button", name="Check my answers").click()
            assert "passed" in page.locator("#result").inner_text()
            screenshot(page, "reading-phone-passed")
            page.get_by_role("button", name="I confirm").click()
            assert page.locator("h1").inner_text() == "Thank you"
        with ctx.store.session() as session:
            row = session.scalars(select(Attestation)).one()
            assert (row.pages_seen, row.pages_total) == (3, 3)
            assert row.user_agent and "Chrome" in row.user_agent
            assert len(session.scalars(select(ReadingCheck)).all()) == 2
    finally:
        phone.close()
        ctx.store.dispose()
