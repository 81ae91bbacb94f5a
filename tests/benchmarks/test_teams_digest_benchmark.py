"""Benchmark: a digest day of 1,500 people (250 unless ``COMPLIANCE_BOT_BENCH=full``) by Teams
vs by one Exchange mailbox (#32).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_teams_digest_benchmark.py``.

One school of ``STAFF`` (ten requirements each), everyone due their first reminder on
Monday. The real sweep queues the day's digests at 08:00 and the scheduler's dispatch job runs
every minute on a simulated clock (``tests/support/urgent_day.Timeline``, as the urgent-first
benchmark does), each platform taking ``LATENCY`` simulated seconds to answer a call:

* **Exchange**: the m365 mailer (msgraph-sdk's pipeline) to the fake Graph, one mailbox paced
  as Exchange is (30 messages a minute);
* **Teams**: a Teams-first school whose bot reaches everyone: each digest is a card in the
  person's chat (the Bot Connector, 50 requests a second per app) and a nudge in their activity
  feed, the same nudge for everyone so it goes in Graph's bulk call (100 recipients, 2 calls a
  second); the fake Graph enforces Teams' published limits (``TEAMS_LIMITS``: a 429 with
  Retry-After over any of them).

Printed: minutes from the sweep to the last delivery on each line, calls made, 429s met.
Asserted (correctness only, never a time): every digest delivered exactly once on its line (no
duplicate, none lost); on the Teams line nobody also got the digest by email.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.deployment.platform_settings import M365Settings
from bot.core.models import OutboxMessage, Person, TeamsChat
from bot.core.outbox import dispatch
from bot.core.outbox.delivery import AdminAlerts
from bot.engine.sweep import run_sweep
from tests.support.helpers import at
from tests.support.scale import bench_size
from tests.support.urgent_day import Timeline, build_school, m365_line, scheduler_pass

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed")

SUNDAY, MONDAY = date(2026, 11, 22), date(2026, 11, 23)
STAFF = bench_size(250, 1_500)  # more than one bulk feed call's 100
LATENCY = 0.5  # simulated seconds a platform takes to answer one call (as urgent-first's m365)


def _minutes(first: datetime, last: datetime) -> float:
    return (last - first).total_seconds() / 60


def _reminders(ctx: AppContext) -> list[tuple[str, str, str, list[str]]]:
    """(key, channel, status, recipients) of every reminder row."""
    with ctx.store.session() as session:
        return [
            tuple(r)
            for r in session.execute(  # type: ignore[misc]
                select(
                    OutboxMessage.idempotency_key,
                    OutboxMessage.channel,
                    OutboxMessage.status,
                    OutboxMessage.recipients,
                ).where(OutboxMessage.purpose == "reminder")
            )
        ]


def _pending(ctx: AppContext) -> bool:
    with ctx.store.session() as session:
        return (
            session.scalar(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status.in_(("pending", "claimed", "sending")),
                    OutboxMessage.purpose == "reminder",
                )
                .limit(1)
            )
            is not None
        )


@pytest.fixture(name="start")
def start_fixture() -> datetime:
    return at(MONDAY, 8, 0)


@pytest.fixture(name="exchange_day")
def exchange_day_fixture(
    tmp_path: Path, sqlite_url: str, time_machine: Any, start: datetime
) -> Iterator[tuple[AppContext, Any, Timeline]]:
    from tests.support.fakes.graph import FakeClock

    timeline = Timeline(FakeClock(), start, time_machine)
    ctx = build_school(tmp_path / "exchange", sqlite_url, STAFF)
    home = tmp_path / "line"
    home.mkdir()
    line = m365_line(home, timeline, LATENCY)
    yield ctx, line, timeline
    line.close()
    ctx.store.dispose()


@pytest.mark.benchmark
@pytest.mark.slow
def test_digest_day_by_one_exchange_mailbox(
    exchange_day: tuple[AppContext, Any, Timeline], start: datetime
) -> None:
    ctx, line, timeline = exchange_day
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=MONDAY,
        now=timeline.now(),
        deliver=False,
    )
    rows = _reminders(ctx)
    assert len(rows) == STAFF and {r[1] for r in rows} == {"email"}

    def one_pass() -> None:
        scheduler_pass(ctx, line.scheduler, timeline)
        if not _pending(ctx):
            raise _Done

    with suppress(_Done):
        timeline.run_scheduler(start + timedelta(hours=3), one_pass)
    received = line.received()
    keys = Counter(key for key, _ in received if key.startswith("reminder:"))
    assert set(keys) == {r[0] for r in rows} and set(keys.values()) == {1}  # 0 lost, 0 twice
    assert {r[2] for r in _reminders(ctx)} == {"sent"}
    last = max(timeline.stamp(when) for key, when in received if key.startswith("reminder:"))
    print(
        f"\nExchange, one mailbox (30 a minute): {STAFF:,} digests, last delivered "
        f"{_minutes(start, last):.1f} min after the sweep; {line.throttled()} 429s met"
    )


class _Done(Exception):
    """Nothing left to send."""


@pytest.mark.benchmark
@pytest.mark.slow
def test_digest_day_by_teams(
    tmp_path: Path, sqlite_url: str, time_machine: Any, start: datetime
) -> None:
    from connectors.m365.teams_bot import TeamsBot
    from tests.support.fakes.graph import (
        CATALOG_APP_ID,
        CLIENT_ID,
        CLIENT_SECRET,
        CONNECTOR_URL,
        TEAMS_LIMITS,
        TENANT_ID,
        FakeClock,
        FakeGraph,
    )

    timeline = Timeline(FakeClock(), at(SUNDAY, 18), time_machine)
    ctx = build_school(tmp_path / "teams", sqlite_url, STAFF)
    school_yaml = tmp_path / "teams" / "school.yaml"
    written = yaml.safe_load(school_yaml.read_text(encoding="utf-8"))
    written["schools"][0]["teams_first"] = True
    school_yaml.write_text(yaml.safe_dump(written), encoding="utf-8")
    ctx.forget_config()
    assert ctx.config.school("bench").teams_first
    # Sunday: the directory is read and the duties opened (no reminders on a Sunday); the
    # bot has reached everyone (each has the app and a chat with it)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=SUNDAY,
        now=timeline.now(),
        deliver=False,
    )
    fake = FakeGraph(clock=timeline.clock)
    fake.teams_limits = dict(TEAMS_LIMITS)
    with ctx.store.transaction() as session:
        for person in session.scalars(select(Person).where(Person.school_id == "bench")):
            user, chat = f"0c2b9a1e-0000-4000-8000-{person.id:012d}", f"19:{person.id}@unq"
            fake.installed[user], fake.chats[chat] = f"inst-{person.id}", user
            session.add(
                TeamsChat(
                    person_id=person.id,
                    school_id="bench",
                    user_id=user,
                    chat_id=chat,
                    service_url=CONNECTOR_URL,
                )
            )
    stamps: list[tuple[str, float]] = []  # (what, fake-clock time) of every accepted call

    def answer(request: httpx.Request) -> httpx.Response:
        response = fake.handler(request)
        path = request.url.path
        if request.method == "POST" and ("/activities" in path or "sendActivity" in path):
            timeline.tick(LATENCY)  # the platform answers ``LATENCY`` after it received it
            if response.status_code < 300:
                stamps.append((path.rsplit("/", 1)[-1], timeline.clock.now))
        return response

    bot = TeamsBot.from_settings(
        M365Settings(
            tenant_id=TENANT_ID,
            client_id=CLIENT_ID,
            client_secret=SecretStr(CLIENT_SECRET),
            bot_app_id=CLIENT_ID,
            teams_catalog_app_id=CATALOG_APP_ID,
        ),
        transport=httpx.MockTransport(answer),
        clock=timeline.clock,
        sleep=timeline.tick,
    )
    timeline.tick((start - timeline.now()).total_seconds())  # Monday 08:00
    connectors = replace(ctx.connectors, chat=bot)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        connectors,
        as_of=MONDAY,
        now=timeline.now(),
        deliver=False,
    )
    rows = _reminders(ctx)
    cards = [r for r in rows if not r[0].endswith(":feed")]
    assert len(cards) == STAFF and {r[1] for r in rows} == {"teams"}  # nobody by email

    def one_pass() -> None:
        dispatch(
            ctx.store,
            ctx.connectors.mailer,
            None,
            now=timeline.now,
            chat=bot,
            alerts=AdminAlerts.of(ctx.config.schools),
            wait=timeline.tick,
        )
        if not _pending(ctx):
            raise _Done

    with suppress(_Done):
        timeline.run_scheduler(start + timedelta(hours=3), one_pass)
    got_cards = Counter(
        c["user"]
        for c in fake.chat_cards  # the head's dashboard card aside
        if c["activity"]["summary"].endswith(" needs from you")
    )
    nudged = Counter(f["user"] for f in fake.feed if f["activityType"] == "needsReminder")
    assert len(got_cards) == len(nudged) == STAFF  # 0 lost
    assert set(got_cards.values()) == set(nudged.values()) == {1}  # 0 duplicates
    assert {r[2] for r in _reminders(ctx)} == {"sent"}
    assert fake.rejected == []
    last = max(timeline.stamp(when) for _, when in stamps)
    last_card = max(timeline.stamp(when) for what, when in stamps if what == "activities")
    print(
        f"\nTeams: {STAFF:,} cards and nudges, last card {_minutes(start, last_card):.1f} min, "
        f"last delivery {_minutes(start, last):.1f} min after the sweep; "
        f"{len(fake.bulk_calls)} bulk feed calls ({sum(fake.bulk_calls)} people), "
        f"{fake.throttled} 429s met"
    )
