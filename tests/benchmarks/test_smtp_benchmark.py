"""Benchmark: SMTP delivery rate through the real dispatcher to a local aiosmtpd.

Run with ``uv run pytest tests/benchmarks/test_smtp_benchmark.py -s`` (add
``COMPLIANCE_BOT_TEST_POSTGRES_URL`` for PostgreSQL too). 200 digests (2,000 with
``COMPLIANCE_BOT_BENCH=full``) are queued, then one
dispatch pass delivers them over one reused connection, to an aiosmtpd in its own process (as a
mail server is; in this process it would compete for the GIL). The figures printed are messages
a second, reused connection versus a new connection per message (the issue's target: at least
150). Only correctness is asserted: every message arrived once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.core.database.store import Store
from bot.core.models import School
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_emails
from bot.core.ports import OutgoingEmail, SendResult
from connectors.local.connector import SmtpMailer
from tests.support.keys import TEST_KEYS
from tests.support.scale import bench_size
from tests.support.served import read_line, stop
from tests.support.smtp import _free_port

MESSAGES = bench_size(200, 2_000)
SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1])); c.start()
print("ready", flush=True)
sys.stdin.readline()
print(Count.n, flush=True)
c.stop()
"""


class OneConnectionEach(SmtpMailer):
    """The old way: a new connection (and TLS context) for every message."""

    def send(self, message: OutgoingEmail) -> SendResult:
        try:
            return super().send(message)
        finally:
            self.end_pass()


def _queue(store: Store, prefix: str) -> None:
    with store.transaction() as session:
        enqueue_emails(
            session,
            school_id="s",
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            items=[
                (
                    f"{prefix}:{i}",
                    EmailDraft(
                        to=(f"person{i}@oakfield.example",),
                        subject="Your compliance digest",
                        text="You have 2 things to do.\n" * 20,
                        html="<p>You have 2 things to do.</p>" * 20,
                    ),
                )
                for i in range(MESSAGES)
            ],
        )


def _rate(store: Store, mailer: SmtpMailer) -> tuple[float, float]:
    """Messages a second, and this process's CPU milliseconds per message (the dispatcher's
    own cost, less sensitive than the rate to other work on a busy machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    stats = dispatch(store, mailer, None)
    seconds = time.perf_counter() - started
    assert stats.sent == MESSAGES
    return MESSAGES / seconds, (time.process_time() - cpu) * 1000 / MESSAGES


@pytest.mark.benchmark
def test_smtp_messages_a_second_over_one_connection(database_url: str, tmp_path: Path) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name="Oakfield Primary School"))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdin is not None
        assert read_line(server).strip() == "ready"
        _queue(store, "reused")
        reused = _rate(
            store, SmtpMailer("127.0.0.1", port, "bot@oakfield.example", security="none")
        )
        _queue(store, "each")
        each = _rate(
            store, OneConnectionEach("127.0.0.1", port, "bot@oakfield.example", security="none")
        )
        server.stdin.write("\n")
        server.stdin.flush()
        received = int(read_line(server))
    finally:
        stop(server, wait=30)
    assert received == 2 * MESSAGES  # every message once
    store.dispose()
    backend = store.engine.dialect.name
    print(
        f"\nSMTP ({backend}), {MESSAGES:,} messages through the dispatcher: {reused[0]:.0f}/s "
        f"over one connection ({reused[1]:.2f} ms CPU each in the dispatcher), "
        f"{each[0]:.0f}/s with a new connection each"
    )
