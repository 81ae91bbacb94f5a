"""Benchmark: a 40-school trust on one install, on PostgreSQL (#44).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_trust_benchmark.py`` and
``COMPLIANCE_BOT_TEST_POSTGRES_URL`` set: 5 digests a school and 25 staff a school in the sweep
(``COMPLIANCE_BOT_BENCH=full``: 20 and 250; on a shared two-core machine every statement costs
~8 ms).

Monday 08:00: every school's digests are queued school by school, in configuration order (as
the sweep queues them), then three dispatchers — the scheduler's dispatch job and two dispatch
workers, each a real ``dispatch`` pass of ``PASS_LIMIT`` rows on the one database — take turns
on a simulated clock (each send takes ``LATENCY``; when every pass is held by the mailboxes'
limits the clock moves to the first permit). At 08:05 a concern's alert is queued at the last
school and handed over as the web request does. Each mailbox declares Exchange's limits (30 a
minute, 10,000 recipients a day, one a minute kept for urgent mail). Two layouts:

* a mailbox per school (``sender`` in each school's settings): every school's digests finish
  at its mailbox's limit, all schools in parallel;
* one mailbox for the trust: the schools are taken in turn, so every school's first digest
  leaves in the first minutes.

Then the quiet sweep: the trust's staff file (one file, every school's staff) swept a second
time with nothing new, its CPU and wall time and how many times the directory was read.

Printed: per layout, when the first and the last school finished and got their first digest,
the alert's delay; the sweep's figures. Asserted (correctness only): every digest sent exactly
once from its school's mailbox, nothing lost, never more than a mailbox's minute's limit, the
alert within 60 s, one directory read per sweep.
"""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bot.core.database.store import Store
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import OutboxMessage, School
from bot.core.outbox import EmailDraft, Mailbox, Urgency, dispatch, enqueue_email, enqueue_emails
from bot.core.ports import (
    Directory,
    DirectoryChanges,
    Mailer,
    MailPacing,
    OutgoingEmail,
    SendResult,
    UrgentReserve,
)
from bot.engine.sweep import run_sweep
from tests.support.keys import TEST_KEYS
from tests.support.scale import bench_size

SCHOOLS = 40
STAFF = bench_size(5, 20)  # digests a school (one a member of staff)
SWEEP_STAFF = bench_size(25, 250)  # a school's staff in the quiet sweep (x 40)
PASS_LIMIT = 200  # a dispatch worker's pass (schedules/dispatcher.py)
DISPATCHERS = 3  # the scheduler's dispatch job and two workers
LATENCY = timedelta(seconds=0.05)  # the platform's answer to one send
OPENS = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday, the sending window open
ALERT_AT = OPENS + timedelta(minutes=5)
PER_MINUTE = 30


@dataclass
class Clock:
    """The simulated clock every dispatcher reads."""

    at: datetime = OPENS

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Exchange(Mailer):
    """One mailbox with Exchange's limits; what it took, and when."""

    address: str
    clock: Clock
    sent: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def pacing(self) -> MailPacing:
        return MailPacing(
            self.address,
            per_minute=PER_MINUTE,
            daily_recipients=10_000,
            reserve=UrgentReserve(1, 300),
        )

    def send(self, message: OutgoingEmail) -> SendResult:
        self.clock.at += LATENCY
        self.sent.append((message.idempotency_key, self.clock.at))
        return SendResult(provider_id=message.idempotency_key)


def _queue(store: Store) -> None:
    """Every school's Monday digests, school by school in configuration order."""
    with store.transaction() as session:
        session.add_all(School(id=f"s{n:02d}", name=f"School {n}") for n in range(SCHOOLS))
        session.flush()
        for n in range(SCHOOLS):
            enqueue_emails(
                session,
                school_id=f"s{n:02d}",
                purpose="digest",
                urgency=Urgency.ROUTINE,
                not_before=OPENS,
                items=[
                    (
                        f"s{n:02d}-digest-{i}",
                        EmailDraft((f"p{i}@s{n:02d}.example",), "Your week", "t", "h"),
                    )
                    for i in range(STAFF)
                ],
            )


def _alert(store: Store, school: str) -> str:
    key = f"{school}-alert"
    with store.transaction() as session:
        enqueue_email(
            session,
            school_id=school,
            key=key,
            purpose="report_alert",
            urgency=Urgency.SAFEGUARDING,
            not_before=ALERT_AT,
            draft=EmailDraft((f"dsl@{school}.example",), "A new concern", "t", "h"),
        )
    return key


def _day(store: Store, install: Exchange, boxes: tuple[Mailbox, ...], clock: Clock) -> float:
    """Dispatch until the queue is empty; the alert queued and handed over at 08:05. Returns
    the wall seconds it took."""
    started = time.perf_counter()
    alerted = False
    while True:
        if not alerted and clock.at >= ALERT_AT:
            _alert(store, f"s{SCHOOLS - 1:02d}")
            dispatch(
                store, install, None, now=clock, up_to=Urgency.WAITING, limit=20, mailboxes=boxes
            )  # the web request's hand-over, after its commit
            alerted = True
        sent, paced = 0, []
        for _ in range(DISPATCHERS):
            stats = dispatch(store, install, None, now=clock, limit=PASS_LIMIT, mailboxes=boxes)
            sent += stats.sent
            if stats.paced_until is not None:
                paced.append(stats.paced_until)
        with store.session() as session:
            left = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "sent")
            )
        if not left and alerted:
            return time.perf_counter() - started
        if not sent:  # every pass held by the limits: on to the first permit (or the alert)
            wake = min(
                [*paced, *([] if alerted else [ALERT_AT])], default=clock.at + timedelta(seconds=1)
            )
            clock.at = max(wake, clock.at + timedelta(milliseconds=1))


def _figures(title: str, mailers: list[Exchange], wall: float) -> dict[str, datetime]:
    """Print the layout's figures; returns each school's first digest's time."""
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    alert = None
    for mailer in mailers:
        for key, at in mailer.sent:
            school = key.partition("-")[0]
            if key.endswith("-alert"):
                alert = at
                continue
            first.setdefault(school, at)
            first[school] = min(first[school], at)
            last[school] = max(last.get(school, at), at)

    def clock(at: datetime) -> str:
        return f"{at:%H:%M:%S}"

    done = sorted(last.values())
    firsts = sorted(first.values())
    assert alert is not None
    print(
        f"\nBENCHMARK trust of {SCHOOLS} schools x {STAFF} digests, {title} (PostgreSQL, "
        f"{DISPATCHERS} dispatchers, {wall:.1f} s wall): every school's first digest by "
        f"{clock(firsts[-1])} (the first at {clock(firsts[0])}); schools finished from "
        f"{clock(done[0])} to {clock(done[-1])}; the alert at the last school, queued "
        f"{clock(ALERT_AT)}, handed over {(alert - ALERT_AT).total_seconds():.1f} s later"
    )
    assert (alert - ALERT_AT) < timedelta(seconds=60)
    return first


def _check(store: Store, mailers: list[Exchange], own: dict[str, str] | None) -> None:
    """Every digest sent once, from its school's mailbox, none lost, within the limits."""
    keys = Counter(key for mailer in mailers for key, _ in mailer.sent)
    assert keys.most_common(1)[0][1] == 1, "a message was sent twice"
    assert len(keys) == SCHOOLS * STAFF + 1, "a message was lost"
    with store.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "sent")
            )
            == 0
        )
    for mailer in mailers:
        schools = {key.partition("-")[0] for key, _ in mailer.sent}
        if own is not None and schools:
            assert {own[school] for school in schools} == {mailer.address}
        per_window: dict[int, int] = defaultdict(int)
        times = sorted(at for _, at in mailer.sent)
        for i, at in enumerate(times):  # no 60 s window holds more than the limit
            later = [t for t in times[i : i + PER_MINUTE + 1] if t - at < timedelta(seconds=60)]
            per_window[i] = len(later)
        assert max(per_window.values(), default=0) <= PER_MINUTE


@pytest.mark.benchmark
@pytest.mark.slow
def test_a_mailbox_per_school_sends_every_school_at_its_limit(postgres_url: str) -> None:
    store = Store(postgres_url, keys=TEST_KEYS)
    store.upgrade()
    _queue(store)
    clock = Clock()
    install = Exchange("bot@trust.example", clock)
    own = {f"s{n:02d}": f"office@s{n:02d}.example" for n in range(SCHOOLS)}
    mailers = {school: Exchange(address, clock) for school, address in own.items()}
    boxes = tuple(
        Mailbox(mailer, frozenset({school}), own[school]) for school, mailer in mailers.items()
    )
    wall = _day(store, install, boxes, clock)
    everyone = [install, *mailers.values()]
    assert install.sent == []
    _figures("a mailbox per school", everyone, wall)
    _check(store, everyone, own)
    store.dispose()


@pytest.mark.benchmark
@pytest.mark.slow
def test_a_shared_mailbox_gives_every_school_its_first_digest_at_once(postgres_url: str) -> None:
    store = Store(postgres_url, keys=TEST_KEYS)
    store.upgrade()
    _queue(store)
    clock = Clock()
    install = Exchange("office@trust.example", clock)
    wall = _day(store, install, (), clock)
    first = _figures("one mailbox for the trust", [install], wall)
    assert len(first) == SCHOOLS
    assert max(first.values()) < OPENS + timedelta(minutes=10)
    _check(store, [install], None)
    store.dispose()


@dataclass
class Counted:
    """The real staff file, its reads counted."""

    directory: Directory
    reads: int = 0

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        self.reads += 1
        return self.directory.fetch(cursor)


def _trust(home: Path, schools: int = SCHOOLS, staff: int = SWEEP_STAFF) -> None:
    """school.yaml of ``schools`` schools and one staff file of all their staff (``staff``
    a school), written row by row."""
    home.mkdir(parents=True, exist_ok=True)
    with (home / "directory.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "roles", "groups", "manager_email", "school"])
        for n in range(schools):
            for i in range(staff):
                writer.writerow(
                    [
                        f"p{i}@s{n:02d}.example",
                        f"Person {i}",
                        "staff",
                        f"All Staff;Team {i % 40}",
                        f"p0@s{n:02d}.example" if i else "",
                        f"s{n:02d}",
                    ]
                )
    entries = [
        {"id": f"s{n:02d}", "name": f"School {n}", "headteacher": f"p0@s{n:02d}.example"}
        for n in range(schools)
    ]
    (home / "school.yaml").write_text(
        yaml.safe_dump({"organisation": {"name": "Trust"}, "schools": entries}), encoding="utf-8"
    )


@pytest.mark.benchmark
@pytest.mark.slow
def test_the_trust_s_quiet_sweep_reads_the_directory_once(
    postgres_url: str, tmp_path: Path
) -> None:
    _trust(tmp_path)
    context = AppContext(Settings(home=tmp_path, database_url=postgres_url, secret_key="k" * 40))
    figures = []
    for _ in range(2):  # the first sweep brings everyone in; the second is a quiet one
        counted = Counted(context.connectors.directory)
        connectors = replace(context.connectors, directory=counted)
        cpu, wall = time.process_time(), time.perf_counter()
        run_sweep(
            context.store, context.settings, context.config, connectors, now=OPENS, deliver=False
        )
        figures.append((time.process_time() - cpu, time.perf_counter() - wall, counted.reads))
        assert counted.reads == 1
    (cpu1, wall1, _), (cpu2, wall2, reads) = figures
    print(
        f"\nBENCHMARK quiet sweep of a trust of {SCHOOLS} schools x {SWEEP_STAFF:,} staff "
        f"({SCHOOLS * SWEEP_STAFF:,} in one staff file, PostgreSQL): {cpu2:.1f} CPU s, "
        f"{wall2:.1f} s wall, {reads} directory read (the first sweep, bringing everyone in: "
        f"{cpu1:.1f} CPU s, {wall1:.1f} s wall)"
    )
    context.store.dispose()
