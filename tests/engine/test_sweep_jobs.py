"""The sweep shared by workers (#83): each school one job a tick, claimed under a lease with a
fencing number (PostgreSQL), every school's last sweep recorded (both databases). A fenced late
commit is refused and saves nothing; workers together queue exactly what the single loop queues."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from bot.core.models import OutboxMessage, SweepJob, SweepRun, utcnow
from bot.core.ports import DirectoryChanges, RetryableError
from bot.engine import sweep_jobs
from bot.engine.sweep import run_sweep, sweep_one
from bot.engine.sweep_worker import queue_tick, work
from schedules import jobs
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder
from tests.support.keys import TEST_SECRET

MONDAY = date(2026, 11, 23)  # a school day in term: the first sweep asks everyone


def trust(school: SchoolBuilder, schools: int) -> list[str]:
    """``schools`` schools, each with three staff owing one policy's acknowledgement;
    their ids."""
    school.policy("online-safety", "2026.1", title="Online Safety Policy", published="2026-09-01")
    school.staff_acknowledge(due_days=14)
    ids = [f"s{n:02d}" for n in range(1, schools)]
    school.others = [
        {
            **school.school,
            "id": s,
            "name": f"School {s}",
            "headteacher": f"head@{s}.example",
            "dsl": [f"head@{s}.example"],
            "deputy_dsl": [f"amy@{s}.example"],
        }
        for s in ids
    ]
    school.people += [
        Row(f"{who}@{s}.example", f"{who.title()} {s}", "staff", "All Staff", school=s)
        for s in ids
        for who in ("head", "amy", "ben")
    ]
    return ["oak", *ids]


def outbox_keys(store: Any) -> list[str]:
    """Every outbox key, sorted (a key twice would show twice)."""
    with store.session() as session:
        return sorted(session.scalars(select(OutboxMessage.idempotency_key)))


def emails(store: Any) -> list[tuple[Any, ...]]:
    """Every queued message as people see it (its key names database ids, which differ with the
    order schools are swept in): purpose, school, recipients, copies, subject; sorted."""
    with store.session() as session:
        return sorted(
            (m.purpose, m.school_id, m.recipients, m.cc, m.subject)
            for m in session.scalars(select(OutboxMessage))
        )


def test_the_single_loop_records_each_school_s_last_sweep(
    school: SchoolBuilder, database_url: str
) -> None:
    ids = trust(school, 3)
    ctx = school.context(database_url)
    started = utcnow()
    run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, deliver=False)
    with ctx.store.session() as session:
        rows = {r.school_id: r for r in session.scalars(select(SweepJob))}
        assert sorted(rows) == sorted(ids)
        assert {r.outcome for r in rows.values()} == {"swept"}
        assert {r.worker for r in rows.values()} == {sweep_jobs.worker_name()}
        assert all(
            r.swept_at is not None and r.swept_at >= started.replace(microsecond=0)
            for r in rows.values()
        )
        assert sweep_jobs.not_swept(session, ctx.config.schools, utcnow()) == []
        late = utcnow() + sweep_jobs.STALE_TICKS * sweep_jobs.TICK + timedelta(minutes=1)
        stale = sweep_jobs.not_swept(session, ctx.config.schools, late)
        assert sorted(name for name, _last in stale) == sorted(s.name for s in ctx.config.schools)
        assert all(last is not None and last.tzinfo is not None for _name, last in stale)
        assert sweep_jobs.queue_state(session) == sweep_jobs.QueueState(0, 0, None)
    ctx.store.dispose()


@pytest.mark.postgres
def test_a_school_is_queued_once_a_tick_and_never_while_it_is_swept(
    school: SchoolBuilder, postgres_url: str
) -> None:
    ids = trust(school, 3)
    ctx = school.context(postgres_url)
    now = utcnow()
    assert queue_tick(ctx.store, ctx.config, now) == 3
    assert queue_tick(ctx.store, ctx.config, now) == 0  # the same tick: a no-op
    lease = sweep_jobs.claim(ctx.store, "w1", timedelta(minutes=1))
    assert lease is not None and lease.fence == 1 and lease.school_id in ids
    with ctx.store.session() as session:
        state = sweep_jobs.queue_state(session)
        assert (state.waiting, state.running) == (2, 1) and state.oldest is not None
    later, tenants = now + sweep_jobs.TICK, dict.fromkeys(ids, "")
    assert sweep_jobs.enqueue(ctx.store, tenants, later) == 0  # queued, or being swept
    with ctx.store.transaction() as session:
        sweep_jobs.finish(session, lease.school_id, lease=lease, started=now, failed=[])
    assert sweep_jobs.enqueue(ctx.store, tenants, now) == 0  # swept this tick already
    assert sweep_jobs.enqueue(ctx.store, tenants, later) == 1  # the next tick: the swept one
    with ctx.store.transaction() as session:  # a school no longer configured: its row goes
        session.execute(update(SweepJob).values(due_at=None))
    sweep_jobs.enqueue(ctx.store, dict.fromkeys(ids[:2], ""), later)
    with ctx.store.session() as session:
        assert sorted(session.scalars(select(SweepJob.school_id))) == sorted(ids[:2])
    ctx.store.dispose()


def _expire(store: Any, school_id: str) -> None:
    """The school's lease runs out (as the database's clock passing it would)."""
    with store.transaction() as session:
        session.execute(
            update(SweepJob)
            .where(SweepJob.school_id == school_id)
            .values(lease_until=text("timezone('UTC', now()) - interval '1 second'"))
        )


@pytest.mark.postgres
def test_a_fenced_late_commit_is_refused_and_the_school_is_swept_once(
    school: SchoolBuilder, postgres_url: str, frozen_clock: FrozenClock
) -> None:
    trust(school, 1)
    ctx = school.context(postgres_url)
    now = frozen_clock.at(MONDAY, 9, tick=True)
    queue_tick(ctx.store, ctx.config, now)
    late = sweep_jobs.claim(ctx.store, "stalled", timedelta(minutes=1))
    assert late is not None
    _expire(ctx.store, late.school_id)  # the stalled worker's lease passes ...
    taken = sweep_jobs.claim(ctx.store, "other", timedelta(minutes=1))  # ... and it is claimed
    assert taken is not None and (taken.school_id, taken.fence) == (late.school_id, 2)
    oak = ctx.config.schools[0]
    refused = sweep_one(
        ctx.store, ctx.settings, ctx.config, oak, ctx.connectors, now.date(), now, lease=late
    )
    assert [f.step for f in refused.failed] == ["school"]
    assert outbox_keys(ctx.store) == []  # the late worker's transaction saved nothing
    with ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(SweepRun)) == 0
    swept = sweep_one(
        ctx.store, ctx.settings, ctx.config, oak, ctx.connectors, now.date(), now, lease=taken
    )
    assert not swept.failed
    with ctx.store.session() as session:
        row = session.get(SweepJob, "oak")
        assert row is not None and (row.worker, row.outcome, row.due_at) == ("other", "swept", None)
        assert session.scalar(select(func.count()).select_from(SweepRun)) == 1
    assert outbox_keys(ctx.store)  # its emails queued, once
    ctx.store.dispose()


@pytest.mark.postgres
def test_two_workers_sweep_each_school_once_and_queue_what_the_single_loop_does(
    school: SchoolBuilder, postgres_url: str, tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    frozen_clock.at(MONDAY, 9, tick=True)
    ids = trust(school, 8)
    single = school.context(f"sqlite:///{tmp_path / 'copy.db'}")  # the same trust, a copy
    run_sweep(single.store, single.settings, single.config, single.connectors, deliver=False)
    ctx = school.context(postgres_url)
    queue_tick(ctx.store, ctx.config, utcnow())
    counts: dict[str, int] = {}
    go = threading.Barrier(2)

    def worker(name: str) -> None:
        go.wait()
        counts[name] = work(
            ctx.store, ctx.settings, lambda: ctx.config, ctx.connectors, worker=name
        )

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts.values()) == len(ids) and all(counts.values())  # both took schools
    with ctx.store.session() as session:
        rows = session.scalars(select(SweepJob)).all()
        assert sorted(r.school_id for r in rows) == sorted(ids)
        assert {(r.fence, r.outcome, r.due_at) for r in rows} == {(1, "swept", None)}
        assert session.scalar(select(func.count()).select_from(SweepRun)) == len(ids)
    queued = emails(ctx.store)
    assert queued == emails(single.store) and len(queued) >= 3 * len(ids)
    assert len(set(outbox_keys(ctx.store))) == len(queued)
    ctx.store.dispose()
    single.store.dispose()


@pytest.mark.postgres
def test_the_scheduler_s_sweep_job_queues_the_tick_and_sweeps_it(
    school: SchoolBuilder, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``compliance-bot run`` alone still does everything: on PostgreSQL its sweep job queues
    every school, then sweeps the queue itself (with any sweep workers there are)."""
    ids = trust(school, 3)
    school.installed(postgres_url)
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", postgres_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", TEST_SECRET)
    monkeypatch.setattr(jobs, "_contexts", {})
    jobs.sweep_job(str(school.home))
    store = jobs._context(str(school.home)).store
    with store.session() as session:
        rows = session.scalars(select(SweepJob)).all()
        assert sorted(r.school_id for r in rows) == sorted(ids)
        assert {(r.fence, r.outcome, r.worker) for r in rows} == {
            (1, "swept", sweep_jobs.worker_name())
        }
    store.dispose()


class Throttled:
    """A tenant's directory answering every read with 429 and Retry-After: 300 (its reads
    counted), as Graph does a throttled app in a tenant."""

    reads = 0

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        self.reads += 1
        raise RetryableError("429 Too Many Requests", retry_after=300)


@pytest.mark.postgres
def test_a_throttled_tenant_delays_only_its_own_schools(
    school: SchoolBuilder, postgres_url: str
) -> None:
    """#83 item 4: a tenant that asks us to wait (429) is paused in the queue, for every worker:
    its other schools are claimed once the wait has passed, every other school meanwhile."""
    ids = trust(school, 6)
    for other in school.others[:3]:
        other["connection"] = "tenant-b"
    ctx = school.context(postgres_url)
    throttled = Throttled()
    connectors = ctx.connectors
    connectors.connections["tenant-b"] = replace(connectors, directory=throttled)
    queue_tick(ctx.store, ctx.config, utcnow())
    assert work(ctx.store, ctx.settings, lambda: ctx.config, connectors) == 4
    assert throttled.reads == 1  # the tenant was asked once, not once a school
    b = {s["id"] for s in school.others[:3]}
    with ctx.store.session() as session:
        rows = {r.school_id: r for r in session.scalars(select(SweepJob))}
        assert {s for s, r in rows.items() if r.due_at is None} == {*ids} - b | {
            s for s in b if rows[s].fence == 1
        }
        waiting = [r for s, r in rows.items() if r.due_at is not None]
        assert len(waiting) == 2 and all(r.not_before and r.fence == 0 for r in waiting)
        assert sweep_jobs.queue_state(session).waiting == 2
    with ctx.store.transaction() as session:  # the wait passes; the tenant answers again
        session.execute(
            update(SweepJob).values(not_before=text("timezone('UTC', now()) - interval '1 second'"))
        )
    connectors.connections["tenant-b"] = replace(connectors, connections={})
    assert work(ctx.store, ctx.settings, lambda: ctx.config, connectors) == 2
    with ctx.store.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(SweepJob).where(SweepJob.due_at.is_not(None))
            )
            == 0
        )
    ctx.store.dispose()
