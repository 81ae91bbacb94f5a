"""Many dispatch workers, one Exchange mailbox: the limits are counted in the database.

Three workers (each its own database engine and its own Graph client, as separate processes
would have) dispatch at the same moments against a fake Graph that enforces Exchange Online's
30 messages a minute and its rolling 24-hour recipient budget. Half-way, every worker restarts
(fresh processes: only the database knows what was sent). The test measures the budget's use
directly from what the fake accepted: at least 95 % of it in the first 24 hours, no message
refused for the budget or throttled, none sent twice, none lost. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.database.store import Store
from bot.core.models import MailSend, OutboxMessage, School, utcnow
from bot.core.outbox import DispatchStats, EmailDraft, Urgency, dispatch, enqueue_emails
from schedules.jobs import DISPATCH_SECONDS
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import SENDER, FakeClock, FakeGraph
from tests.support.scale import full_size

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from bot.core.ports import UrgentReserve
from connectors.m365.connector import build
from connectors.m365.mail import GraphMailer
from tests.support.keys import TEST_KEYS

START = 1_000_000.0
DAY = 86_400.0


@dataclass
class Worker:
    """One dispatch worker: its own engine and its own Graph client."""

    store: Store
    mailer: GraphMailer

    def close(self) -> None:
        self.mailer.client.close()
        self.store.dispose()


@dataclass
class Fleet:
    """N workers over one database and one fake Exchange mailbox, on one fake clock."""

    url: str
    tmp: Path
    fake: FakeGraph
    clock: FakeClock
    budget: int
    start: datetime
    workers: list[Worker] = field(default_factory=list)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.clock.now - START)

    def spawn(self, count: int) -> None:
        """Start ``count`` workers (after a restart: fresh ones, nothing kept in memory)."""
        for _ in range(count):
            connectors = build(
                m365_settings(self.tmp),
                transport=self.fake.transport,
                clock=self.clock,
                sleep=self.clock.sleep,
            )
            mailer = connectors.mailer
            assert isinstance(mailer, GraphMailer)
            # the mailbox's declared limit is the fake's budget, and the urgent reserve scaled
            # with it, as 300 is to Exchange's 10,000
            mailer.daily_recipients = self.budget
            mailer.reserve = UrgentReserve(1, self.budget * 3 // 100)
            assert mailer.pacing.daily_recipients == self.budget
            self.workers.append(Worker(Store(self.url, keys=TEST_KEYS), mailer))

    def restart(self) -> None:
        count = len(self.workers)
        for worker in self.workers:
            worker.close()
        self.workers = []
        self.spawn(count)

    def round(self) -> list[DispatchStats]:
        """Every worker runs one dispatch pass, all at the same moment."""
        with ThreadPoolExecutor(len(self.workers)) as pool:
            return list(
                pool.map(lambda w: dispatch(w.store, w.mailer, None, now=self.now), self.workers)
            )

    def pending(self, store: Store) -> int:
        with store.session() as session:
            return int(
                session.scalar(select(func.count()).where(OutboxMessage.status != "sent")) or 0
            )


@pytest.fixture
def fleet(tmp_path: Path, database_url: str) -> Iterator[Fleet]:
    budget = full_size(300, 10_000)
    clock = FakeClock(START)
    fake = FakeGraph(clock=clock, recipients_per_day=budget)
    fake.seed_population()
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name="Oakfield Primary School"))
    fleet = Fleet(database_url, tmp_path, fake, clock, budget, utcnow())
    fleet.spawn(3)
    yield fleet
    for worker in fleet.workers:
        worker.close()
    store.dispose()


def _queue(fleet: Fleet, store: Store, messages: int) -> int:
    """Queue ``messages`` digests to 1, 2 or 3 people each; returns the recipients in total."""
    items = []
    total = 0
    for i in range(messages):
        people = i % 3 + 1
        total += people
        items.append(
            (
                f"digest:{i}",
                EmailDraft(
                    to=(f"person{i}@oakfield.example",),
                    cc=tuple(f"manager{i}.{c}@oakfield.example" for c in range(people - 1)),
                    subject="Your compliance digest",
                    text="Plain words",
                    html="<p>Rich words</p>",
                ),
            )
        )
    with store.transaction() as session:
        enqueue_emails(
            session,
            school_id="s",
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            items=items,
            not_before=fleet.now(),
        )
    return total


@pytest.mark.postgres
def test_three_workers_share_one_mailboxs_limits_and_use_the_daily_budget(fleet: Fleet) -> None:
    store = Store(fleet.url, keys=TEST_KEYS)
    total = _queue(fleet, store, messages=fleet.budget * 2 // 3)  # about 1.3 days' budget
    assert total > fleet.budget
    rounds = 0
    while fleet.pending(store):
        rounds += 1
        assert rounds < 20_000, "the queue never drained"
        results = fleet.round()
        if rounds == 3:
            fleet.restart()  # new processes know nothing of the sends; the database remembers
        waits = [s.paced_until for s in results if s.paced_until is not None]
        if any(s.sent for s in results) and not waits:
            continue
        later = min(waits) if waits else fleet.now() + timedelta(seconds=DISPATCH_SECONDS)
        fleet.clock.advance(max(1.0, (later - fleet.now()).total_seconds()))

    day_one = fleet.fake.recipients_in_window(SENDER, START + DAY - 1, DAY)
    used = day_one / fleet.budget
    keys = fleet.fake.keys_sent()
    assert fleet.fake.budget_refused == 0  # never over Exchange's recipient budget
    assert fleet.fake.throttled == 0  # never over 30 a minute, though three workers sent
    assert len(keys) == len(fleet.fake.sent) == fleet.budget * 2 // 3  # none lost
    assert set(keys.values()) == {1}  # none twice
    assert used >= 0.95
    for at in {at for at, _ in fleet.fake.recipient_log[SENDER.casefold()]}:
        assert fleet.fake.recipients_in_window(SENDER, at, DAY) <= fleet.budget
    with store.session() as session:
        assert session.scalar(select(func.count()).where(MailSend.done.is_(False))) == 0
    store.dispose()
    print(
        f"\n{len(keys):,} messages, {total:,} recipients, 3 workers and a restart: "
        f"{used:.1%} of the 24-hour budget of {fleet.budget:,} used on day one, "
        f"{rounds} rounds, 0 refused, 0 throttled, 0 duplicates"
    )
