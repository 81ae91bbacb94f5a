"""Fault injection: throttling never costs a message, a 503 run is a pause, not a purge.

Real outbox on SQLite and PostgreSQL, real connectors over fakes that speak each platform's
wire format (Graph sendMail, Gmail batches, SMTP via aiosmtpd, Teams/Chat/plain webhooks), and
the scheduler's dispatch job every minute on a fake clock. A person resolves the messages whose
fate the bot cannot know by looking in the mailbox's Sent Items (``outbox resolve``).
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from bot.core.ports import Mailer
from connectors.local.connector import EmlMailer, SmtpMailer, WebhookNotifier
from connectors.mime import KEY_HEADER
from schedules.jobs import DISPATCH_SECONDS
from tests.conftest import free_port
from tests.support.fakes.graph import FakeClock
from tests.support.outbox_faults import Line, m365_line, open_store

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

SEND_PATH = r"^/users/[^/]+/sendMail$"


@pytest.fixture
def graph(database_url: str, tmp_path: Path) -> Iterator[Any]:
    line, fake = m365_line(database_url, tmp_path)
    yield line, fake
    line.close()


def _never_failed_or_spent(line: Line) -> None:
    rows = line.rows()
    assert not line.ever_failed
    assert all(attempts == 0 for status, attempts in rows.values() if status == "pending")


# --------------------------------------------------------------------------- the case


@pytest.mark.parametrize("count", [1, 2])
def test_messages_meeting_seven_minutes_of_429s_wait_and_arrive_once(
    graph: tuple[Line, Any], count: int
) -> None:
    """The reproduction: 429s with Retry-After 30 for over seven minutes. Before, the row was
    ``failed`` after ~7 minutes and never sent; now it waits, spending nothing, and arrives."""
    line, fake = graph
    keys = line.queue(count)
    fake.fail("POST", SEND_PATH, status=429, headers={"Retry-After": "30"}, times=9)
    for _ in range(8):  # eight runs of the dispatch job, a minute apart
        stats = line.dispatch()
        assert stats.failed == 0 and stats.delivery_unknown == 0
        _never_failed_or_spent(line)
        assert {status for status, _ in line.rows().values()} == {"pending"}
        line.clock.advance(DISPATCH_SECONDS)
    assert fake.throttled == 0 and len(fake.sent) == 0
    line.run()
    assert line.received() == {key: 1 for key in keys}
    assert not line.ever_failed and not line.ever_unknown
    assert {status for status, _ in line.rows().values()} == {"sent"}


# --------------------------------------------------------------------------- 503 runs


def test_fifty_503s_flag_one_message_and_pause_for_retry_after(graph: tuple[Line, Any]) -> None:
    """50 queued meet 503s: one row is uncertain, 49 wait untouched until Retry-After."""
    line, fake = graph
    keys = line.queue(50)
    fake.fail("POST", SEND_PATH, status=503, headers={"Retry-After": "120"}, times=50)
    stats = line.dispatch()
    assert (stats.delivery_unknown, stats.sent, stats.failed) == (1, 0, 0)
    assert (stats.paused["email"] - line.now()).total_seconds() == 120  # Retry-After honoured
    rows = line.rows()
    assert rows["k0"] == ("delivery_unknown", 1)
    assert [rows[f"k{i}"] for i in range(1, 50)] == [("pending", 0)] * 49
    line.clock.advance(60)
    line.dispatch()
    assert len(fake.graph_requests("POST", SEND_PATH)) == 1  # nothing asked inside the pause
    line.clock.advance(60)
    line.dispatch()  # one probe after the pause: it meets the run too
    assert len(fake.graph_requests("POST", SEND_PATH)) == 2
    fake.faults.clear()  # the platform recovers
    line.clock.advance(120)
    line.run()
    assert len(line.ever_unknown) == 2  # one per pause, not one per queued message
    assert line.resolved_resend == 2  # not in Sent Items: deliberately sent once more
    assert line.received() == {key: 1 for key in keys}
    assert not line.ever_failed


def test_unknown_outcomes_without_retry_after_back_off(graph: tuple[Line, Any]) -> None:
    """504s (no Retry-After) pause 1, 2, 4 minutes; the first delivery ends the streak."""
    line, fake = graph
    line.queue(5)
    fake.fail("POST", SEND_PATH, status=504, times=3)
    waits = []
    for _ in range(3):
        stats = line.dispatch()
        waits.append((stats.paused["email"] - line.now()).total_seconds() / 60)
        line.clock.advance(stats.paused["email"].timestamp() - line.now().timestamp())
    assert waits == [1, 2, 4]
    stats = line.dispatch()
    assert stats.sent == 2 and not stats.paused  # one alone (a probe), then the rest
    assert len(line.ever_unknown) == 3


def test_a_504_that_was_sent_is_resolved_as_sent_not_resent(graph: tuple[Line, Any]) -> None:
    line, fake = graph
    keys = line.queue(3)
    fake.fail("POST", SEND_PATH, status=504, deliver=True)  # Graph sent it, the answer was lost
    line.run()
    assert line.resolved_sent == 1 and line.resolved_resend == 0
    assert line.received() == {key: 1 for key in keys}


@pytest.mark.parametrize("count", [1, 2, 200])
def test_a_429_storm_then_a_503_run_delivers_everything_exactly_once(
    graph: tuple[Line, Any], count: int
) -> None:
    """Ten minutes of 429s (Retry-After 30), then five 503s (Retry-After 60): every message
    arrives once, none fails; the uncertain ones are resolved by a person (--resend)."""
    line, fake = graph
    keys = line.queue(count)
    fake.fail("POST", SEND_PATH, status=429, headers={"Retry-After": "30"}, times=10)
    fake.fail("POST", SEND_PATH, status=503, headers={"Retry-After": "60"}, times=5)
    line.run()
    assert line.received() == {key: 1 for key in keys}
    assert not line.ever_failed
    assert line.unknown_outcomes <= 5  # at most one per 503 answered, whatever the queue
    assert line.resolved_resend == line.unknown_outcomes  # none was in Sent Items
    assert {status for status, _ in line.rows().values()} == {"sent"}


# --------------------------------------------------------------------------- every sender


class DeferringInbox:
    """aiosmtpd handler: the first ``defer`` messages get a temporary refusal (421/451/452)."""

    CODES = (
        "451 4.7.1 Try again later",
        "452 4.3.1 Insufficient system storage",
        "421 4.7.0 Too many messages, slow down",
    )

    def __init__(self, defer: int) -> None:
        self.defer = defer
        self.seen = 0
        self.keys: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.seen <= self.defer:
            return self.CODES[self.seen % len(self.CODES)]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.keys[str(message[KEY_HEADER])] += 1
        return "250 OK"


def _smtp(line_clock: FakeClock, store_url: str, tmp_path: Path) -> Line:
    inbox = DeferringInbox(defer=5)  # no Retry-After in SMTP: 1, 2, 4, 8, 16 minutes
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailer = SmtpMailer("127.0.0.1", port, "bot@oakfield.example", security="none")
    line = Line(open_store(store_url), line_clock, mailer, None, lambda: inbox.keys)
    line.closers.append(controller.stop)
    return line


def _gmail(line_clock: FakeClock, store_url: str, tmp_path: Path) -> Line:
    pytest.importorskip("googleapiclient", reason="needs google-api-python-client")
    from tests.connectors.contract.kit_google import build_google, seeded_fake

    fake = seeded_fake()
    fake.fail_next(
        "gmail.users.messages.send",
        429,
        reason="rateLimitExceeded",
        message="Too many requests",
        headers={"Retry-After": "30"},
        times=9,
    )
    mailer = build_google(tmp_path, fake).mailer

    def received() -> Counter[str]:
        return Counter(str(m.message[KEY_HEADER]) for m in fake.sent)

    return Line(open_store(store_url), line_clock, mailer, None, received)


def _teams(line_clock: FakeClock, store_url: str, tmp_path: Path) -> Line:
    from connectors.m365.teams import WorkflowsNotifier
    from tests.support.fakes.graph import WEBHOOK_PATH, WEBHOOK_URL, FakeGraph

    fake = FakeGraph(clock=line_clock)
    fake.fail("POST", re.escape(WEBHOOK_PATH), status=429, headers={"Retry-After": "30"}, times=8)
    notifier = WorkflowsNotifier(SecretStr(WEBHOOK_URL), transport=fake.transport)

    def received() -> Counter[str]:
        return Counter(_card_key(p) for p in fake.posted)

    return Line(open_store(store_url), line_clock, _eml(tmp_path), notifier, received)


def _chat(line_clock: FakeClock, store_url: str, tmp_path: Path) -> Line:
    pytest.importorskip("httplib2", reason="the fake Google needs httplib2")
    from connectors.google.chat import ChatWebhookNotifier
    from tests.support.fakes.google import WEBHOOK_URL, FakeGoogle

    fake = FakeGoogle()
    fake.fail_next(
        "chat", 429, message="Resource has been exhausted", headers={"Retry-After": "30"}, times=8
    )
    notifier = ChatWebhookNotifier(WEBHOOK_URL, transport=fake.chat_transport())

    def received() -> Counter[str]:
        return Counter(p["text"] for p in fake.chat_posts)

    return Line(open_store(store_url), line_clock, _eml(tmp_path), notifier, received)


def _webhook(line_clock: FakeClock, store_url: str, tmp_path: Path) -> Line:
    posted: Counter[str] = Counter()
    answers = {"throttled": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if answers["throttled"] < 8:
            answers["throttled"] += 1
            return httpx.Response(429, headers={"Retry-After": "30"})
        posted[_card_key(json.loads(request.content))] += 1
        return httpx.Response(202)

    notifier = WebhookNotifier(
        "https://hooks.oakfield.example/in", transport=httpx.MockTransport(handler)
    )
    return Line(open_store(store_url), line_clock, _eml(tmp_path), notifier, lambda: posted)


def _eml(tmp_path: Path) -> Mailer:
    return EmlMailer(tmp_path / "eml", "bot@oakfield.example")


SENDERS: dict[str, Callable[[FakeClock, str, Path], Line]] = {
    "gmail": _gmail,
    "smtp": _smtp,
    "teams": _teams,
    "chat": _chat,
    "webhook": _webhook,
}


@pytest.mark.parametrize("sender", sorted(SENDERS))
def test_every_sender_waits_out_a_throttle_without_spending_or_failing(
    sender: str, database_url: str, tmp_path: Path
) -> None:
    """Gmail 429s, SMTP 421/451/452, Teams/Chat/webhook 429s: eight minutes of "not now"
    cost no attempt and fail nothing; then each message arrives once."""
    clock = FakeClock()
    line = SENDERS[sender](clock, database_url, tmp_path)
    try:
        if line.notifier is not None:
            keys = line.queue_cards(2, teams=_teams_card, chat=lambda k: {"text": k})
        else:
            keys = line.queue(2)
        for _ in range(7):
            stats = line.dispatch()
            assert stats.failed == stats.delivery_unknown == stats.sent == 0
            _never_failed_or_spent(line)
            clock.advance(DISPATCH_SECONDS)
        line.run(max_passes=60)
        assert line.received() == {key: 1 for key in keys}
        assert not line.ever_failed and not line.ever_unknown
    finally:
        line.close()


def _card_key(payload: dict[str, Any]) -> str:
    return str(payload["attachments"][0]["content"]["key"])


def _teams_card(key: str) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {"type": "AdaptiveCard", "version": "1.5", "key": key, "body": []},
            }
        ],
    }
