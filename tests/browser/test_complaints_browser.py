"""The data protection complaint form in Chromium with JavaScript switched off, on a phone:
from the privacy notice to "Complaint received", through the safeguarding check."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, select

from bot.core.models import Complaint
from bot.web.app import create_app
from tests.features.reports.test_support import make_env
from tests.support.helpers import SchoolBuilder


@pytest.mark.browser
def test_a_complaint_is_made_from_the_privacy_notice_without_javascript(
    school: SchoolBuilder, live_server: Any, chromium: Any, screenshot: Any
) -> None:
    env = make_env(school)
    phone = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False
    )
    visitor = phone.new_page()
    try:
        with live_server(create_app(env.context.settings, env.context)) as server:
            visitor.goto(server.url + "/privacy")
            visitor.get_by_role("link", name="Make a data protection complaint").click()
            assert visitor.locator("h1").inner_text() == "Make a data protection complaint"
            for selector in ("main", "form"):
                box = visitor.locator(selector).bounding_box()
                assert box is not None and box["x"] + box["width"] <= 390
            visitor.get_by_role("button", name="Send the complaint").click()
            assert "Enter your name" in visitor.locator("#error-summary").inner_text()
            visitor.get_by_label("Your name").fill("Pat Parent")
            visitor.get_by_label("Your email address").fill("pat@home.example")
            visitor.get_by_label("A parent or carer").check()
            visitor.get_by_label("What is the complaint about?").fill(
                "My child was hurt and the incident form went to another family."
            )
            visitor.get_by_role("button", name="Send the complaint").click()
            assert "child's safety" in visitor.locator("#safeguarding").inner_text()
            assert visitor.locator("#safeguarding a").get_attribute("href") == "/report/oak"
            screenshot(visitor, "complaint-safeguarding")
            visitor.get_by_role("button", name="Send it as a data protection complaint").click()
            reference = visitor.locator("#reference").inner_text().strip()
            assert "Complaint received" in visitor.content()
            screenshot(visitor, "complaint-received")
        engine = create_engine(str(env.context.store.engine.url))
        try:
            with engine.connect() as conn:
                row = conn.execute(
                    select(
                        Complaint.name, Complaint.safeguarding_confirmed, Complaint.acknowledged_how
                    ).where(Complaint.reference == reference)
                ).one()
        finally:
            engine.dispose()
        assert tuple(row) == ("Pat Parent", True, "email")
    finally:
        phone.close()
        env.context.store.dispose()
