"""Benchmark: a 40-school trust delivered by real processes — one scheduler and two dispatch
workers, each a ``compliance-bot run`` process — on one PostgreSQL database, through Microsoft 365
(the fake Graph, served from a process of its own: Exchange's 30 a minute per mailbox, on the
real clock) (#44).

Run with ``COMPLIANCE_BOT_TEST_POSTGRES_URL=... uv run pytest -m benchmark -n 0 -s
tests/benchmarks/test_trust_processes_benchmark.py``. The same day as
``test_trust_benchmark.py`` simulates on a clock of its own, here in real time and so smaller
(8 digests a school with its own mailbox, 1 with the trust's; ``COMPLIANCE_BOT_BENCH=full``: 30
and 2): every school's digests queued at once, school by
school in configuration order, then a concern's alert at the last school queued half a minute
later and handed over as the web request that stores a report does. Two layouts:

* a mailbox per school (``sender`` in each school's settings): every school's digests leave at
  its own mailbox's limit, all schools in parallel;
* one mailbox for the trust: the schools are taken in turn, so every school's first digest
  leaves in the first minutes.

Printed: when every school had its first digest and when the schools finished, the alert's
delay (the promise: within 60 s), the 429s the mailboxes answered. Asserted (correctness only,
never a time: this one runs on the real clock): every message accepted by Graph exactly once,
from its school's mailbox (0 duplicates, 0 lost), the alert accepted before the digests queued
ahead of it were all sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from bot import wiring
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, enqueue_email, enqueue_emails
from bot.engine.web.links import _hand_over_pass
from connectors.m365.connector import build
from tests.support.fakes.graph import CLIENT_ID, CLIENT_SECRET, SENDER, TENANT_ID
from tests.support.graph_served import Forward
from tests.support.scale import bench_size
from tests.support.served import read_line, started, stop
from tests.support.smtp import _free_port

SCHOOLS = 40
OWN_DIGESTS = bench_size(8, 30)  # a school's digests with a mailbox of its own (30 a minute)
SHARED_DIGESTS = bench_size(1, 2)  # with one mailbox for the trust (29 routine a minute)
ALERT_AFTER = 30.0  # seconds after the digests are queued, at the latest
HANG_GUARD_SECONDS = 3600  # only stops a hung run; nothing is asserted about time
SECRET = "bench-secret-0123456789-abcdefghijklmn"


def _school(n: int) -> str:
    return f"s{n:02d}"


def _home(home: Path, own: bool) -> None:
    """A trust's school.yaml (each school naming its own mailbox, or none)."""
    home.mkdir(parents=True, exist_ok=True)
    schools: list[dict[str, Any]] = [
        {
            "id": _school(n),
            "name": f"School {n}",
            "headteacher": f"head@{_school(n)}.example",
            **({"sender": f"office@{_school(n)}.example"} if own else {}),
        }
        for n in range(SCHOOLS)
    ]
    (home / "school.yaml").write_text(
        yaml.safe_dump({"organisation": {"name": "Trust"}, "schools": schools}), encoding="utf-8"
    )


def _environment(home: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "COMPLIANCE_BOT_HOME": str(home),
        "COMPLIANCE_BOT_DATABASE_URL": database_url,
        "COMPLIANCE_BOT_SECRET_KEY": SECRET,
        "COMPLIANCE_BOT_CONNECTOR": "m365",
        "COMPLIANCE_BOT_M365__TENANT_ID": TENANT_ID,
        "COMPLIANCE_BOT_M365__CLIENT_ID": CLIENT_ID,
        "COMPLIANCE_BOT_M365__CLIENT_SECRET": CLIENT_SECRET,
        "COMPLIANCE_BOT_M365__SENDER": SENDER,
    }


def _queue(context: AppContext, digests: int) -> None:
    """Every school's digests, school by school in configuration order, due now."""
    now = utcnow()
    with context.store.transaction() as session:
        session.add_all(School(id=_school(n), name=f"School {n}") for n in range(SCHOOLS))
        session.flush()
        for n in range(SCHOOLS):
            school = _school(n)
            enqueue_emails(
                session,
                school_id=school,
                purpose="digest",
                urgency=Urgency.ROUTINE,
                not_before=now,
                items=[
                    (
                        f"{school}-digest-{i}",
                        EmailDraft((f"p{i}@{school}.example",), "Your week", "t", "h"),
                    )
                    for i in range(digests)
                ],
            )


def _alert(context: AppContext) -> tuple[str, float]:
    """A concern's alert at the last school, handed over as the web request does."""
    key = f"{_school(SCHOOLS - 1)}-alert"
    with context.store.transaction() as session:
        enqueue_email(
            session,
            school_id=_school(SCHOOLS - 1),
            key=key,
            purpose="report_alert",
            urgency=Urgency.SAFEGUARDING,
            not_before=utcnow(),
            draft=EmailDraft(("dsl@trust.example",), "A new concern", "t", "h"),
        )
    queued = time.time()
    _hand_over_pass(context)
    return key, queued


def _left(context: AppContext) -> int:
    """How many of the day's digests and the alert (the messages queued here) are not sent.

    The scheduler's own weekly digest (``digest:<school>:<week>:email``) is not counted: run
    outside the sending window, it waits for the next school day, and the run would wait for
    it until the hang guard."""
    ours = OutboxMessage.idempotency_key.like("s%-digest-%") | OutboxMessage.idempotency_key.like(
        "s%-alert"
    )
    with context.store.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "sent", ours)
            )
            or 0
        )


def _day(
    tmp_path: Path, database_url: str, own: bool, digests: int, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """Serve the fake, start the processes, queue the day, wait for it; what Graph accepted."""
    home = tmp_path / "trust"
    _home(home, own)
    environment = _environment(home, database_url)
    for name, value in environment.items():
        if name.startswith("COMPLIANCE_BOT_"):
            monkeypatch.setenv(name, value)
    port = _free_port()
    # this process's hand-over sends through the served fake too
    monkeypatch.setattr(
        wiring, "_build_platform", lambda settings: build(settings, transport=Forward(port))
    )
    context = AppContext(Settings())
    context.store.upgrade()
    mailboxes = [SENDER, *(f"office@{_school(n)}.example" for n in range(SCHOOLS) if own)]
    helper = [sys.executable, "-m", "tests.support.graph_served"]
    cwd = Path(__file__).parents[2]
    fake = subprocess.Popen(
        [*helper, "serve", str(port), *mailboxes],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=cwd,
        env=environment,
        text=True,
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        assert read_line(fake, 120).strip() == "ready"
        _queue(context, digests)
        opened = time.time()
        for role in ("--scheduler-only", "--dispatch-only", "--dispatch-only"):
            processes.append(
                started(
                    [*helper, "cli", str(port), "run", role],
                    env=environment,
                    log=tmp_path / f"process-{len(processes)}.log",
                    cwd=cwd,
                )
            )
        alert, waiting = None, 0
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while time.monotonic() < deadline:
            # the alert is queued once the digests are leaving (or ALERT_AFTER at the latest),
            # so that it always has digests queued before it to overtake, whatever the size
            if alert is None and (
                (left := _left(context)) < SCHOOLS * digests or time.time() - opened >= ALERT_AFTER
            ):
                waiting, alert = left, _alert(context)
            if alert is not None and not _left(context):
                break
            for process in processes:
                assert process.poll() is None, (tmp_path / "process-0.log").read_text()[-3000:]
            time.sleep(1)
        assert fake.stdin is not None
        fake.stdin.write("sent\n")
        fake.stdin.flush()
        accepted = json.loads(read_line(fake, 120))
    finally:
        for process in processes:
            stop(process)
        if fake.stdin is not None:
            fake.stdin.close()
        stop(fake)
        context.store.dispose()
    assert alert is not None
    return {"opened": opened, "alert": alert, "waiting": waiting, **accepted}


def _report(title: str, day: dict[str, Any], digests: int, own: bool) -> None:
    """Print the figures; assert each message accepted once, from its school's mailbox."""
    sent = [(mailbox, key, at) for mailbox, key, at in day["sent"] if key]
    keys = Counter(key for _, key, _ in sent)
    assert not [key for key, count in keys.items() if count > 1], "a message was sent twice"
    ours = {key for key in keys if key.startswith("s")}
    assert len(ours) == SCHOOLS * digests + 1, "a message was lost"
    opened = day["opened"]
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    alert_key, alert_queued = day["alert"]
    alert_at = None
    for mailbox, key, at in sent:
        if key == alert_key:
            alert_at = at
        if key not in ours or key == alert_key:
            continue
        school = key.partition("-")[0]
        assert mailbox == (f"office@{school}.example" if own else SENDER.casefold())
        first[school] = min(first.get(school, at), at)
        last[school] = max(last.get(school, at), at)
    assert alert_at is not None and len(first) == SCHOOLS
    delay = alert_at - alert_queued
    firsts, done = sorted(first.values()), sorted(last.values())
    print(
        f"\nBENCHMARK trust of {SCHOOLS} schools x {digests} digests, {title} (PostgreSQL, "
        f"1 scheduler + 2 dispatch workers as processes, Graph over HTTP): every school's "
        f"first digest by {firsts[-1] - opened:.0f} s (the first at {firsts[0] - opened:.0f} "
        f"s); schools finished from {done[0] - opened:.0f} s to {done[-1] - opened:.0f} s; "
        f"the alert at the last school accepted {delay:.1f} s after it was queued; "
        f"{day['refused']} requests answered 429; {len(sent)} messages accepted, "
        f"0 duplicates, 0 lost"
    )
    print(f"(the alert was queued with {day['waiting']} digests still waiting)")
    # on the real clock, times are figures, not assertions (a busy machine slows everything);
    # what is asserted is the order: the alert left while the digests queued before it waited
    if day["waiting"]:
        assert alert_at < done[-1], "the alert waited for the digests queued before it"


@pytest.mark.benchmark
@pytest.mark.slow
@pytest.mark.parametrize(
    ("own", "digests", "title"),
    [
        (True, OWN_DIGESTS, "a mailbox per school"),
        (False, SHARED_DIGESTS, "one mailbox for the trust"),
    ],
    ids=["a-mailbox-per-school", "a-shared-mailbox"],
)
def test_a_trust_delivered_by_real_processes(
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    own: bool,
    digests: int,
    title: str,
) -> None:
    _report(title, _day(tmp_path, postgres_url, own, digests, monkeypatch), digests, own)
