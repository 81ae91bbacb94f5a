"""In a real Chromium: every kind of email the demo school writes, and the receipt with its long
document fingerprint, fit a 390 px phone with no horizontal scroll, and stay a 600 px card on a
desktop (the width Outlook's table layout gets). Screenshots go to test-artifacts/ when
COMPLIANCE_BOT_SCREENSHOTS is set (tests/browser/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.rendering.messages import notice
from tests.support.demo_run import DemoRun, parts, run_demo

pytestmark = pytest.mark.browser

RECEIPT = notice(
    school="Oakfield Primary School",
    to=["amy@oak.example"],
    subject="Your signature: Social Media Acceptable Use Policy (version 2026.2)",
    greeting="Dear Amy,",
    paragraphs=[
        "Thank you. This is your receipt for the Acceptable Use Policy you signed.",
        "What you agreed to: I have read the Social Media Acceptable Use Policy and will follow "
        "it when I run the school's official accounts.",
    ],
    facts=[
        ("Policy", "Social Media Acceptable Use Policy, version 2026.2"),
        (
            "Document fingerprint (SHA-256)",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
        ("Signed", "Monday 23 November 2026 at 10:04"),
    ],
    button_url="http://127.0.0.1:8000/aup/" + "x" * 180,
    button_text="Open",
    reply_to="office@oakfield.example",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp("demo"))


def _one_of_each(demo: DemoRun) -> dict[str, str]:
    """One email's HTML per kind (a one-item and a several-item reminder counted apart)."""
    kinds: dict[str, str] = {"aup-receipt": RECEIPT.html}
    for message in demo.emails:
        kind = str(message["X-Compliance-Bot-Key"]).split(":")[0]
        text, html = parts(message)
        if kind == "reminder":
            kind += "-one" if "There is one thing" in text else "-several"
        kinds.setdefault(kind, html)
    return kinds


def test_every_email_fits_a_390px_phone_and_a_600px_desktop_card(
    demo: DemoRun, chromium: Any, screenshot: Any
) -> None:
    kinds = _one_of_each(demo)
    assert {
        "reminder-one",
        "reminder-several",
        "digest",
        "governor-digest",
        "report-escalation",
        "aup-receipt",
    } <= set(kinds), sorted(kinds)
    phone = chromium.new_context(viewport={"width": 390, "height": 844})
    desktop = chromium.new_context(viewport={"width": 1280, "height": 900})
    # one tab each, every email a new document in it (set_content replaces the page)
    page, wide = phone.new_page(), desktop.new_page()
    too_wide: list[str] = []
    try:
        for kind, html in kinds.items():
            page.set_content(html)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > 390:
                too_wide.append(f"{kind}: {width}px")
            screenshot(page, f"email-390-{kind}")
            wide.set_content(html)
            card = wide.evaluate(
                "Math.max(...[...document.querySelectorAll('table')]"
                ".map(t => t.getBoundingClientRect().width).filter(w => w < 1280))"
            )
            assert 560 <= card <= 600, (kind, card)  # a 600 px card, as Outlook shows it
    finally:
        phone.close()
        desktop.close()
    assert not too_wide, too_wide
