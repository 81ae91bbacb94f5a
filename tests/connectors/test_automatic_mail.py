"""Mail that behaves like a good automated sender, on every path the bot sends by: the local
.eml outbox, SMTP (a real aiosmtpd server), Microsoft Graph (MIME sendMail to the fake Graph)
and Gmail (the fake Gmail API). What each platform *received* is checked byte for byte:
``Auto-Submitted`` and ``X-Auto-Response-Suppress`` headers, CRLF line endings only, and the
review calendar part with ``method=PUBLISH`` and a UID under the school's domain."""

from __future__ import annotations

import email
import email.message
import email.policy
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from bot.core.models import Policy
from bot.core.ports import Attachment, OutgoingEmail
from bot.features.policies.rules import CALENDAR_CONTENT_TYPE, review_calendar
from connectors.local.connector import EmlMailer, SmtpMailer
from tests.support.smtp import running_smtp

ICS = review_calendar(
    school_id="oak",
    school_name="Oak Primary School",
    policy=Policy(
        key="online-safety",
        title="Online Safety Policy",
        approving_body="FGB",
        review_cycle_months=12,
    ),
    review_due=date(2026, 6, 17),
    now=datetime(2026, 5, 1, 9, tzinfo=UTC),
    domain="oak.example",
)
MESSAGE = OutgoingEmail(
    idempotency_key="governor-digest:oak:abc:2026-05-01",
    to=("gov@oak.example",),
    subject="Policy reviews for governors: Online Safety Policy",
    text="Hello,\n\nThe Online Safety Policy is due for review.\n",
    html="<p>Hello,</p>\n<p>The Online Safety Policy is due for review.</p>\n",
    reply_to="office@oak.example",
    attachments=(Attachment("policy-review-online-safety.ics", CALENDAR_CONTENT_TYPE, ICS),),
    from_name="Oak Primary School",
)


def _local(tmp_path: Path) -> bytes:
    outbox = tmp_path / "outbox"
    EmlMailer(outbox, "bot@oak.example").send(MESSAGE)
    [eml] = outbox.glob("*.eml")
    return eml.read_bytes()


def _smtp(tmp_path: Path) -> bytes:
    with running_smtp() as (inbox, port):
        SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none").send(MESSAGE)
    [raw] = inbox.raw
    return raw


def _graph(tmp_path: Path) -> bytes:
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    from connectors.m365.connector import build
    from tests.connectors.contract.kit_m365 import m365_settings
    from tests.support.fakes.graph import FakeClock, FakeGraph

    clock = FakeClock()
    fake = FakeGraph(clock=clock)
    fake.seed_population()
    connectors = build(
        m365_settings(tmp_path), transport=fake.transport, clock=clock, sleep=clock.sleep
    )
    connectors.mailer.send(MESSAGE)
    [sent] = fake.sent
    assert sent.mime is not None  # sent as MIME, as the connector promises
    return bytes(sent.mime)


def _gmail(tmp_path: Path) -> bytes:
    pytest.importorskip("googleapiclient", reason="google-api-python-client is not installed")
    from tests.connectors.contract.kit_google import build_google, seeded_fake

    fake = seeded_fake()
    build_google(tmp_path, fake).mailer.send(MESSAGE)
    [sent] = fake.sent
    return bytes(sent.raw)


PATHS: dict[str, Callable[[Path], bytes]] = {
    "local .eml outbox": _local,
    "SMTP": _smtp,
    "Graph sendMail": _graph,
    "Gmail": _gmail,
}


@pytest.fixture(params=sorted(PATHS))
def received(request: pytest.FixtureRequest, tmp_path: Path) -> bytes:
    """The message's bytes as the platform received them."""
    return PATHS[request.param](tmp_path)


def _parsed(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_every_path_says_the_mail_is_automatic(received: bytes) -> None:
    message = _parsed(received)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Reply-To"] == "office@oak.example"


def test_every_path_uses_crlf_line_endings_only(received: bytes) -> None:
    assert b"\r\n" in received
    bare = [m.start() for m in re.finditer(rb"(?<!\r)\n", received)]
    assert bare == [], f"bare LF at byte offsets {bare[:5]}"
    assert b"\r\r" not in received
    # the parts inside are CRLF too: text, HTML and the decoded calendar
    message = _parsed(received)
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        assert re.search(rb"(?<!\r)\n", payload) is None, part.get_content_type()


def test_every_path_carries_the_calendar_with_its_method(received: bytes) -> None:
    message = _parsed(received)
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "PUBLISH"
    assert part.get_filename() == "policy-review-online-safety.ics"
    data = part.get_payload(decode=True)
    assert data == ICS
    cal = Calendar.from_ical(data)
    assert str(cal["METHOD"]) == "PUBLISH"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == "policy-review-oak-online-safety@oak.example"
    assert int(event["SEQUENCE"]) == 0
