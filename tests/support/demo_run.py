"""The demo school run once, on a fixed Monday, for tests that read what people read.

``run_demo(folder)`` runs ``compliance-bot demo --once`` in ``folder`` with the clock frozen on
Monday 23 November 2026 (so the headteacher's weekly digest is queued too) and returns the
printed summary and every email written to the demo outbox, parsed.
"""

from __future__ import annotations

import email
import email.policy
import os
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import time_machine
from typer.testing import CliRunner

from bot.cli.main import app
from tests.support.helpers import at

DEMO_MONDAY = date(2026, 11, 23)


@dataclass(frozen=True)
class DemoRun:
    """What ``demo --once`` printed, and the emails it wrote."""

    folder: Path
    output: str
    emails: tuple[EmailMessage, ...]


def run_demo(folder: Path) -> DemoRun:
    """Run the demo in ``folder`` (as of the fixed Monday, 10:00 London time)."""
    old = Path.cwd()
    os.chdir(folder)
    try:
        with time_machine.travel(at(DEMO_MONDAY, 10), tick=False):
            result = CliRunner().invoke(app, ["demo", "--once"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    outbox = folder / ".compliance-bot-demo" / "outbox"
    emails = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        emails.append(message)
    return DemoRun(folder, result.output, tuple(emails))


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of an email."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return str(text.get_content()), str(html.get_content())


class _Text(HTMLParser):
    """Collects the text a person sees (not tags, attributes, scripts or styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def visible_text(html: str) -> str:
    """The words of an HTML page or email as a person reads them."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.chunks).split())
