"""Benchmark: 150 messages (1,000 with ``COMPLIANCE_BOT_BENCH=full``) through a scripted fault
run — nothing lost, nothing sent twice.

Run alone with ``uv run pytest tests/benchmarks/test_outbox_faults_benchmark.py -s``. The m365
mailer (msgraph-sdk's real pipeline) sends to the fake Graph at 30 a minute on a fake clock; the
dispatch job runs every minute. The script: ten minutes of 429s (Retry-After 30), a run of six
503s (Retry-After 60), two 504s after Graph had already sent the message, a recipient Exchange
refuses outright, and a crash of the process right after Graph accepted two fifths of the
messages (before it was recorded), restarted 16 minutes later. A person resolves each uncertain
message by looking in the mailbox's Sent Items (`outbox resolve --sent`, or `--resend` when it
is not there). Only correctness is asserted; the figures are printed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.outbox_faults import ADMIN, Line, m365_line
from tests.support.scale import bench_size

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

SEND_PATH = r"^/users/[^/]+/sendMail$"
MESSAGES = bench_size(150, 1_000)
REFUSED = "ben..teacher@oakfield.example"  # malformed: Exchange refuses it outright
CRASH_AFTER = MESSAGES * 2 // 5  # the process dies after Graph accepted this many messages


class Crash(BaseException):
    """The process died (nothing after this point ran; no handler saw it)."""


class Crashing:
    """The real mailer, except that the process "dies" once, right after a send succeeded."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sends = 0
        self.crashed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # ready_in and the rest, as the real mailer has them

    def send(self, message: Any) -> Any:
        result = self.inner.send(message)
        self.sends += 1
        if self.sends == CRASH_AFTER and not self.crashed:
            self.crashed = True
            raise Crash
        return result


@pytest.fixture
def line(database_url: str, tmp_path: Path) -> Iterator[tuple[Line, Any]]:
    made, fake = m365_line(database_url, tmp_path)
    yield made, fake
    made.close()


@pytest.mark.benchmark
@pytest.mark.slow
def test_messages_through_a_fault_run(line: tuple[Line, Any]) -> None:
    run, fake = line
    keys = run.queue(MESSAGES - 1)
    refused = run.queue(1, prefix="bad", to=REFUSED)
    fake.refused_recipients.add(REFUSED)
    fake.fail("POST", SEND_PATH, status=429, headers={"Retry-After": "30"}, times=10)
    fake.fail("POST", SEND_PATH, status=503, headers={"Retry-After": "60"}, times=6)
    fake.fail("POST", SEND_PATH, status=504, times=2, deliver=True)
    crashing = Crashing(run.mailer)
    run.mailer = crashing  # type: ignore[assignment]
    restarts = 0
    wall = time.perf_counter()
    started = run.clock.now
    for _ in range(2_000):
        try:
            run.dispatch()
        except Crash:
            restarts += 1
            run.clock.advance(16 * 60)  # restarted after the stale window
            continue
        run.resolve_uncertain()
        if not run.waiting():
            break
        run.clock.advance(60)
    wall = time.perf_counter() - wall
    received = run.received()
    delivered = sum(1 for key in keys if received.get(key))
    duplicates = sum(count - 1 for key, count in received.items() if count > 1)
    lost = sum(1 for key in keys if not received.get(key))
    rows = run.rows()
    alerts = [key for key in received if key.startswith("delivery_alert:")]
    print(
        f"\n{MESSAGES:,} messages ({run.passes} dispatch passes, "
        f"{(run.clock.now - started) / 60:.0f} minutes of mailbox time, {wall:.1f} s wall): "
        f"delivered {delivered:,}, duplicates {duplicates}, lost {lost}; "
        f"refused {sum(1 for k in refused if rows[k][0] == 'failed')} (admin alerted: "
        f"{len(alerts)}); uncertain {run.unknown_outcomes} -> resolved as sent "
        f"{run.resolved_sent}, resent {run.resolved_resend}; throttled answers "
        f"{10 + fake.throttled}, restarts {restarts}; ever failed other than the refused: "
        f"{len(run.ever_failed - set(refused))}"
    )
    assert duplicates == 0 and lost == 0
    assert delivered == MESSAGES - 1
    assert rows[refused[0]][0] == "failed" and len(alerts) == 1
    assert run.ever_failed == set(refused)  # no throttle or 503 ever failed a message
    assert restarts == 1
    [alert] = [mail for mail in fake.sent if (mail.key or "").startswith("delivery_alert:")]
    assert f"To: {ADMIN}".encode() in (alert.mime or b"")  # the school's admin was told
