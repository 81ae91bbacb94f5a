"""A scripted fault run for the outbox: a real store, real connectors over fakes that speak the
platforms' wire formats, the scheduler's one-minute dispatch passes on a fake clock, and a
person who resolves the messages whose fate the bot cannot know (by looking in Sent Items).

``Line`` is shared by tests/core/test_outbox_faults.py and the fault benchmark.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.models import OutboxMessage, School, utcnow
from bot.core.outbox import (
    DispatchStats,
    EmailDraft,
    Urgency,
    dispatch,
    enqueue_card,
    enqueue_emails,
)
from bot.core.outbox.delivery import AdminAlerts, resolve
from bot.core.ports import Mailer, Notifier
from schedules.jobs import DISPATCH_SECONDS
from tests.support.fakes.graph import FakeClock, FakeGraph
from tests.support.keys import TEST_KEYS

ADMIN = "it@oakfield.example"
SCHOOL = SchoolConfig(
    id="s", name="Oakfield Primary School", headteacher="head@oakfield.example", admins=[ADMIN]
)


def open_store(url: str) -> Store:
    """A migrated store holding the one school."""
    store = Store(url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name=SCHOOL.name))
    return store


@dataclass
class Line:
    """One outbox and its sending line, driven pass by pass as the scheduler would.

    Args:
        store: the real database.
        clock: the fake monotonic clock every connector and fake shares.
        mailer / notifier: the real connectors over their fakes.
        received: what the platform really accepted, by outbox key (its "Sent Items").
    """

    store: Store
    clock: FakeClock
    mailer: Mailer
    notifier: Notifier | None
    received: Callable[[], Counter[str]]
    start: datetime = field(default_factory=utcnow)
    origin: float = 0.0
    ever_failed: set[str] = field(default_factory=set)
    ever_unknown: set[str] = field(default_factory=set)
    resolved_sent: int = 0
    resolved_resend: int = 0
    passes: int = 0
    alerts: int = 0
    unknown_outcomes: int = 0  # answers that left a message uncertain (each needs a person)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.origin = self.clock.now
        self.closers.append(self.store.dispose)

    def close(self) -> None:
        """Close the connectors' clients and the store."""
        for close in self.closers:
            close()

    def now(self) -> datetime:
        """The outbox's clock, moved by the same fake clock as the connectors."""
        return self.start + timedelta(seconds=self.clock.now - self.origin)

    def queue(self, count: int, *, prefix: str = "k", to: str | None = None) -> list[str]:
        """Queue ``count`` emails (keys ``<prefix><n>``)."""
        items = [
            (
                f"{prefix}{i}",
                EmailDraft(
                    to=(to or f"person{i}@oakfield.example",),
                    subject=f"Please acknowledge: policy {i}",
                    text=f"Plain {i}",
                    html=f"<p>Rich {i}</p>",
                ),
            )
            for i in range(count)
        ]
        with self.store.transaction() as session:
            enqueue_emails(
                session,
                school_id="s",
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                items=items,
                not_before=self.now(),
            )
        return [key for key, _ in items]

    def queue_cards(
        self,
        count: int,
        teams: Callable[[str], dict[str, Any]],
        chat: Callable[[str], dict[str, Any]],
    ) -> list[str]:
        """Queue ``count`` channel cards (keys ``card<n>``)."""
        keys = [f"card{i}" for i in range(count)]
        with self.store.transaction() as session:
            for key in keys:
                enqueue_card(
                    session,
                    school_id="s",
                    key=key,
                    purpose="digest",
                    urgency=Urgency.ROUTINE,
                    title=key,
                    text=key,
                    teams=teams(key),
                    chat=chat(key),
                    not_before=self.now(),
                )
        return keys

    def dispatch(self) -> DispatchStats:
        """One run of the dispatch job."""
        self.passes += 1
        stats = dispatch(
            self.store, self.mailer, self.notifier, now=self.now, alerts=AdminAlerts.of([SCHOOL])
        )
        self.alerts += stats.alerts
        self.unknown_outcomes += stats.delivery_unknown + stats.recovered
        self.observe()
        return stats

    def rows(self) -> dict[str, tuple[str, int]]:
        """Every row: key -> (status, attempts)."""
        with self.store.session() as session:
            found = session.execute(
                select(OutboxMessage.idempotency_key, OutboxMessage.status, OutboxMessage.attempts)
            ).all()
        return {key: (status, attempts) for key, status, attempts in found}

    def observe(self) -> None:
        """Remember every row that was ever failed or uncertain."""
        for key, (status, _) in self.rows().items():
            if status == "failed":
                self.ever_failed.add(key)
            elif status == "delivery_unknown":
                self.ever_unknown.add(key)

    def resolve_uncertain(self) -> None:
        """A person checks the Sent Items for each uncertain message: there -> --sent,
        missing -> --resend (the deliberate second send)."""
        sent_items = self.received()
        with self.store.transaction() as session:
            uncertain = session.execute(
                select(OutboxMessage.id, OutboxMessage.idempotency_key).where(
                    OutboxMessage.status == "delivery_unknown"
                )
            ).all()
            for row_id, key in uncertain:
                resend = key not in sent_items
                resolve(
                    session,
                    row_id,
                    resend=resend,
                    email=ADMIN,
                    schools={"s": SCHOOL},
                    now=self.now(),
                    os_user="fault-run",
                )
                if resend:
                    self.resolved_resend += 1
                else:
                    self.resolved_sent += 1

    def waiting(self) -> bool:
        """Rows still pending or being sent."""
        return any(status in ("pending", "sending") for status, _ in self.rows().values())

    def run(self, *, max_passes: int = 500, person: bool = True) -> None:
        """Dispatch a pass a minute until nothing waits; the person resolves after each pass."""
        for _ in range(max_passes):
            self.dispatch()
            if person:
                self.resolve_uncertain()
            if not self.waiting():
                return
            self.clock.advance(DISPATCH_SECONDS)
        raise AssertionError(f"still waiting after {max_passes} passes: {self.rows()}")


def m365_line(url: str, home: Path, **fake_options: Any) -> tuple[Line, FakeGraph]:
    """The m365 mailer (msgraph-sdk's real pipeline) over the fake Graph, on ``url``."""
    from connectors.m365.connector import build
    from tests.connectors.contract.kit_m365 import m365_settings

    clock = FakeClock()
    fake = FakeGraph(clock=clock, **fake_options)
    fake.seed_population()
    connectors = build(
        m365_settings(home), transport=fake.transport, clock=clock, sleep=clock.sleep
    )

    def received() -> Counter[str]:
        return Counter(fake.keys_sent())

    line = Line(open_store(url), clock, connectors.mailer, None, received)
    line.closers.append(connectors.mailer.client.close)  # type: ignore[attr-defined]
    return line, fake
