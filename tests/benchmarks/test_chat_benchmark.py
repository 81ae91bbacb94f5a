"""Benchmark: a week's needs cards for 1,500 staff (100 unless ``COMPLIANCE_BOT_BENCH=full``)
through Google Chat, against the fake Chat API at Google's documented limits (#58).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_chat_benchmark.py``.

One school asking in Chat (``asks_in: chat``), everyone owing one acknowledgement, the app not
installed for the organisation: the real sweep reaches each person (``spaces.findDirectMessage``,
404, then ``spaces.setup`` as them: at most ``SETUPS_PER_MINUTE`` a minute, the rest on the next
pass a minute later), then sweeps day by day until the week's reminders come due as cards. A
DSL's new-report alert is queued *behind* them; then dispatch passes run on the fake's clock
(never slept), each Chat call taking ``LATENCY`` simulated seconds. The fake answers 429 past
any of Chat's limits (3,000 message writes a minute per project, 60 set-ups, 3,000 space reads,
60 writes a minute per space).

At full size (on the fake's clock, so the same on any machine): 1,501 people's DMs set up in
28 passes, 27.0 minutes (55 a minute); the week's 1,501 cards out 2.5 minutes after the first
pass at 0.1 s a call (1,501 fit one minute's 2,700 writes: answer time, not Chat's limit, is
what bounds it); the DSL alert left first; 0 duplicates, 0 lost, 0 429s.

Printed: the minutes the first-time set-ups take, the time from the first card to the last, the
alert's place, the calls and 429s. Asserted (correctness only): the alert leaves first; every
card exactly once in its person's DM (0 duplicates, 0 lost); no 429 met.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from bot.core.models import OutboxMessage, Person, TeamsChat
from bot.core.outbox import dispatch
from bot.engine.sweep import run_sweep
from bot.features.reports.chat_alerts import queue_concern_alerts
from bot.features.teamsbot.deliver import send_needs
from connectors.google.chat_app import SETUPS_PER_MINUTE, GoogleChatApp
from connectors.google.client import GoogleClient
from tests.connectors.contract.kit_google import google_settings
from tests.features.chatbot.support import ask_online_safety
from tests.support.fakes.google import FakeGoogle, ManualClock
from tests.support.helpers import Row, SchoolBuilder, at
from tests.support.scale import bench_size

pytestmark = pytest.mark.benchmark

MONDAY = date(2026, 10, 19)
STAFF = bench_size(100, 1_500)
LATENCY = 0.1  # simulated seconds Chat takes to answer one call


def test_a_weeks_cards_for_the_whole_staff_through_chat(tmp_path: Path) -> None:
    school = SchoolBuilder(tmp_path / "school")
    ids = [f"1048576{n:013d}" for n in range(STAFF)]
    school.people = [
        Row(
            "head@oak.example",
            "Hana Head",
            "staff",
            "All Staff;Leadership",
            title="Headteacher",
            id="1048575999999999999",
        )
    ]
    school.people += [Row(f"staff{n}@oak.example", f"Staff {n}", id=ids[n]) for n in range(STAFF)]
    ask_online_safety(school)
    ctx = school.context(f"sqlite:///{tmp_path / 'bot.db'}", base_url="https://oak.example")
    fake = FakeGoogle()
    fake.add_user("head@oak.example", "Hana Head", user_id="1048575999999999999")
    for n in range(STAFF):
        fake.add_user(f"staff{n}@oak.example", f"Staff {n}", user_id=ids[n])
    clock = ManualClock()
    fake.chat_clock = clock
    client = GoogleClient.from_settings(
        google_settings(tmp_path, chat_project_number="123456789012").google, http=fake
    )
    app = GoogleChatApp(client.chat(), client.chat_as, clock=clock, sleep=clock.sleep)
    connectors = replace(ctx.connectors, chat=app)

    # Monday: the sweep's chat step reaches as many as Chat's set-ups allow; a pass a minute
    # later reaches the next ones, until everyone has a DM
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        connectors,
        as_of=MONDAY,
        now=at(MONDAY, 10),
        deliver=False,
    )
    passes, set_up_from = 1, clock.now
    while True:
        with ctx.store.session() as session:
            reached = len(session.scalars(select(TeamsChat.person_id)).all())
        if reached == STAFF + 1:
            break
        clock.sleep(60.0)
        passes += 1
        with ctx.store.transaction() as session:
            send_needs(
                session,
                ctx.settings,
                ctx.config.school("oak"),
                app,
                at(MONDAY, 10) + timedelta(seconds=clock.now),
            )
    set_up_minutes = (clock.now - set_up_from) / 60

    # the days after: the week's reminders come due as cards
    day = MONDAY
    for _ in range(20):
        day += timedelta(days=1)
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            connectors,
            as_of=day,
            now=at(day, 10),
            deliver=False,
        )
        with ctx.store.session() as session:
            cards = session.scalars(
                select(OutboxMessage.idempotency_key).where(
                    OutboxMessage.channel == "teams", OutboxMessage.purpose == "reminder"
                )
            ).all()
        if cards:
            break
    assert len(cards) == STAFF + 1, "everyone's reminder came as a card"

    # a concern arrives behind them
    with ctx.store.transaction() as session:
        head = session.scalar(select(Person).where(Person.email == "head@oak.example"))
        assert head is not None
        queue_concern_alerts(
            session,
            head.school_id,
            "Oak Primary School",
            [head.email],
            reference="CR-2026-7KQ3M",
            urgency="Immediate",
            url="https://oak.example/reports/CR-2026-7KQ3M",
            now=at(day, 10),
        )
    fake.chat_latency = LATENCY
    fake.chat_messages.clear()
    start = clock.now
    base = at(day, 12)

    def now() -> datetime:
        return base + timedelta(seconds=clock.now - start)

    for _ in range(100):
        stats = dispatch(ctx.store, ctx.connectors.mailer, None, chat=app, now=now)
        with ctx.store.session() as session:
            left = session.scalar(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.channel == "teams",
                    OutboxMessage.status.in_(("pending", "claimed", "sending")),
                )
                .limit(1)
            )
        if left is None:
            break
        clock.sleep(max([(t - now()).total_seconds() for t in stats.paused.values()] + [1.0]))
    messages = sorted(fake.chat_messages.values(), key=lambda m: m.at)
    last = (messages[-1].at - start) / 60
    first_alert = next(i for i, m in enumerate(messages) if "New report" in str(m.body))
    per_space = Counter(m.space for m in messages if "New report" not in str(m.body))
    with ctx.store.session() as session:
        statuses = Counter(
            session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.channel == "teams")
            ).all()
        )
    print(
        f"\nChat, {STAFF + 1:,} staff, the app not installed for all: first-time DMs set up "
        f"in {passes} passes, {set_up_minutes:.1f} min ({SETUPS_PER_MINUTE} a minute); "
        f"the week's {len(cards):,} cards, {LATENCY:.1f} s a call: last card "
        f"{last:.1f} min after the first pass; DSL alert left {first_alert + 1}st; "
        f"{len(fake.requests):,} Chat/Google calls, 429s {dict(fake.chat_throttled) or 0}; "
        f"rows {dict(statuses)}"
    )
    assert first_alert == 0, "the DSL's alert leaves first"
    assert len(per_space) == STAFF + 1 and set(per_space.values()) == {1}, "0 duplicates, 0 lost"
    assert statuses == Counter({"sent": STAFF + 2})
    assert not fake.chat_throttled
