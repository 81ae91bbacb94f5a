"""Dispatch workers' liveness (``outbox.workers``) on a real database: a worker whose process
is gone from this host, or whose heartbeat went quiet for the lease, is dead and its rows are
taken back at once; a live one elsewhere, and this process, never are."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from bot.core.database.store import Store
from bot.core.models import DispatchWorker, OutboxMessage, School, utcnow
from bot.core.outbox import MAX_ATTEMPTS, EmailDraft, Urgency, enqueue_email
from bot.core.outbox.workers import INTERRUPTED, LEASE, release_dead, this_worker
from tests.support.keys import TEST_KEYS


def _dead_pid() -> int:
    """The id of a process that has ended (started and waited for here)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_dead_worker_s_rows_go_back_and_live_ones_keep_theirs(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)  # a school's row is sealed
    store.upgrade()
    now = utcnow()
    host = socket.gethostname()[:100]
    workers = {
        "gone": (f"{host}:{_dead_pid()}:0:aa", host, now),  # its process has ended here
        "quiet": ("elsewhere:12:0:bb", "elsewhere", now - LEASE - timedelta(seconds=1)),
        "alive": ("elsewhere:13:0:cc", "elsewhere", now),  # another host, beating
        "me": (this_worker().id, this_worker().host, now - timedelta(hours=1)),
    }
    with store.transaction() as session:
        session.add(School(id="s", name="S"))
    with store.transaction() as session:
        for name, (worker_id, worker_host, beat) in workers.items():
            session.add(
                DispatchWorker(
                    id=worker_id,
                    host=worker_host,
                    pid=int(worker_id.split(":")[1]),
                    started_at=beat,
                    beat_at=beat,
                )
            )
            for state, attempts in (("claimed", 0), ("sending", 1), ("sending", MAX_ATTEMPTS)):
                key = f"{name}-{state}-{attempts}"
                enqueue_email(
                    session,
                    school_id="s",
                    key=key,
                    purpose="test",
                    urgency=Urgency.ROUTINE,
                    draft=EmailDraft(("a@x.org",), "s", "t", "h"),
                )
        session.flush()
        for row in session.scalars(select(OutboxMessage)):
            name, state, attempts = row.idempotency_key.split("-")
            row.status, row.attempts = state, int(attempts)
            row.claimed_by, row.claimed_at = workers[name][0], now
    assert release_dead(store, now, idempotent_mailer=True, max_attempts=MAX_ATTEMPTS) == 6
    with store.session() as session:
        states = {
            r.idempotency_key: (r.status, r.last_error)
            for r in session.scalars(select(OutboxMessage))
        }
        left = set(session.scalars(select(DispatchWorker.id)))
    for dead in ("gone", "quiet"):
        assert states[f"{dead}-claimed-0"] == ("pending", None)
        assert states[f"{dead}-sending-1"] == ("pending", INTERRUPTED)  # resending is harmless
        assert states[f"{dead}-sending-{MAX_ATTEMPTS}"] == ("delivery_unknown", INTERRUPTED)
    for live in ("alive", "me"):
        assert {states[k][0] for k in states if k.startswith(live)} == {"claimed", "sending"}
    assert left == {workers["alive"][0], workers["me"][0]}
    assert release_dead(store, now, idempotent_mailer=True, max_attempts=MAX_ATTEMPTS) == 0
    store.dispose()
