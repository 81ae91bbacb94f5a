"""Benchmark: a 40-school trust over two tenants, a mailbox per school (#54).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_tenants_benchmark.py``
(CI size: 4 schools of 3 staff; ``COMPLIANCE_BOT_BENCH=full``: 40 schools of 25).

Half the schools are the install's tenant, half a second tenant's (``connection: tenant-b``),
each school with a mailbox of its own in its tenant (``sender``). The connectors are the app's
own, built by ``bot.wiring`` (one set per connection), on the local platform: each tenant's
directory is the trust's staff file, counted as it is read, and each mailbox an .eml outbox of
its own, so the figures are the bot's work, not a fake service's. The real sweep runs on
Monday (every school's digests and reminders queued, then dispatched), again with nothing new
(the quiet sweep), then a concern's alert is queued at the last school and handed over as the
web request does.

Printed: the first sweep's wall time and when the last school's first digest left; the quiet
sweep's CPU and wall time; directory reads per sweep for each tenant; the alert's hand-over
time. Asserted (correctness only): one directory read per tenant per sweep, every queued
message sent exactly once (0 duplicates, 0 lost) from its school's own mailbox, the alert sent.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import bot.wiring as wiring
from bot.core.context import AppContext, own_mailboxes
from bot.core.models import OutboxMessage
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email
from bot.core.ports import Connectors, DirectoryChanges
from bot.core.settings import Connection
from bot.engine.sweep import run_sweep
from tests.support.helpers import Row, SchoolBuilder, at
from tests.support.scale import bench_size

SCHOOLS = bench_size(4, 40)
STAFF = bench_size(3, 25)
MONDAY = date(2026, 11, 23)


class Counted:
    """A directory that counts its reads (one a tenant a sweep is the promise)."""

    def __init__(self, directory: Any, reads: Counter[str], tenant: str) -> None:
        self.directory, self.reads, self.tenant = directory, reads, tenant

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        """Count, then read."""
        self.reads[self.tenant] += 1
        changes: DirectoryChanges = self.directory.fetch(cursor)
        return changes


def school_id(n: int) -> str:
    """The n-th school's id."""
    return f"s{n:02d}"


def trust(home: Path, database_url: str) -> tuple[AppContext, Connectors, Counter[str]]:
    """The trust on disk and its connectors, built by the app's wiring, reads counted."""
    builder = SchoolBuilder(home)
    builder.people = []
    builder.policy("online-safety", "2026.1", title="Online Safety Policy",
                   published="2026-11-02")
    builder.requirement(id="ack-os", kind="acknowledge_policy", policy="online-safety",
                        audience={"roles": ["staff"]})
    schools = []
    for n in range(SCHOOLS):
        sid, domain = school_id(n), f"{school_id(n)}.example"
        head = f"head@{domain}"
        builder.people.append(Row(head, f"Head {n}", "staff", "All Staff", school=sid))
        builder.people += [Row(f"p{i}@{domain}", f"Staff {n}-{i}", "staff", "All Staff",
                               school=sid) for i in range(STAFF)]
        schools.append({**builder.school, "id": sid, "name": f"School {n}", "headteacher": head,
                        "dsl": [head], "deputy_dsl": [], "sender": f"office@{domain}",
                        **({"connection": "tenant-b"} if n >= SCHOOLS // 2 else {})})
    builder.school, builder.others = schools[0], schools[1:]
    ctx = builder.context(database_url, connections={
        "tenant-b": Connection(tenant_id="00000000-0000-4000-8000-00000000b001",
                               sender="compliance-bot@tenant-b.example")})
    reads: Counter[str] = Counter()
    real = wiring._build_platform

    def counted(settings: Any) -> Connectors:
        built = real(settings)
        tenant = "B" if settings.mail_from == "compliance-bot@tenant-b.example" else "A"
        built.directory = Counted(built.directory, reads, tenant)
        return built

    wiring._build_platform = counted
    try:
        connectors = wiring.build_connectors(ctx.settings)
        connectors.connection("tenant-b")
    finally:
        wiring._build_platform = real
    return ctx, connectors, reads


def sent_files(ctx: AppContext) -> list[Path]:
    """The .eml files every mailbox wrote."""
    return sorted(ctx.settings.outbox_dir.rglob("*.eml"))


@pytest.mark.benchmark
def test_a_trust_over_two_tenants_reads_each_once_and_sends_each_school_from_its_own(
    tmp_path: Path, sqlite_url: str
) -> None:
    ctx, connectors, reads = trust(tmp_path / "home", sqlite_url)
    sent: list[tuple[str, float]] = []
    started = time.perf_counter()
    results, stats = run_sweep(ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY,
                               now=at(MONDAY, 8),
                               on_sent=lambda key: sent.append((key, time.perf_counter())))
    first_wall = time.perf_counter() - started
    assert all(not r.failed for r in results), [r.failed for r in results]
    assert stats is not None
    assert dict(reads) == {"A": 1, "B": 1}  # one directory read per tenant
    last = school_id(SCHOOLS - 1)
    with ctx.store.session() as session:
        rows = session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.school_id,
                                      OutboxMessage.purpose, OutboxMessage.status)).all()
    purposes = Counter(r.purpose for r in rows)
    last_digest = [t for key, t in sent
                   if any(r.idempotency_key == key and r.school_id == last
                          and "digest" in r.purpose for r in rows)]
    last_first = [t for key, t in sent if any(r.idempotency_key == key and r.school_id == last
                                              for r in rows)]

    cpu, wall = time.process_time(), time.perf_counter()
    run_sweep(ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY, 9))
    quiet_cpu, quiet_wall = time.process_time() - cpu, time.perf_counter() - wall
    assert dict(reads) == {"A": 2, "B": 2}

    with ctx.store.transaction() as session:
        enqueue_email(session, school_id=last, key=f"{last}-alert", purpose="report_alert",
                      urgency=Urgency.SAFEGUARDING, draft=EmailDraft(
                          (f"head@{last}.example",), "A new concern", "t", "h"))
    handed = time.perf_counter()
    alert = dispatch(ctx.store, connectors.mailer, None,
                     mailboxes=own_mailboxes(ctx.config.schools, connectors))
    alert_s = time.perf_counter() - handed

    with ctx.store.session() as session:
        final = session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.school_id,
                                       OutboxMessage.status, OutboxMessage.channel)).all()
    keys = [r.idempotency_key for r in final]
    assert len(keys) == len(set(keys))  # 0 duplicates queued
    assert {r.status for r in final} == {"sent"}, Counter(r.status for r in final)  # 0 lost
    assert alert.sent == 1
    emails = [r for r in final if r.channel == "email"]
    files = sent_files(ctx)
    assert len(files) == len(emails)  # each email sent once, as one file
    # every school's mail left from its own mailbox, in its own tenant
    senders = Counter(parseaddr(line.removeprefix("From:"))[1]
                      for path in files
                      for line in path.read_text(encoding="utf-8").splitlines()
                      if line.startswith("From:"))
    assert set(senders) == {f"office@{school_id(n)}.example" for n in range(SCHOOLS)}
    assert sum(senders.values()) == len(emails)
    print(f"\n{SCHOOLS} schools over two tenants, {STAFF + 1} staff a school, a mailbox each: "
          f"{len(final)} messages ({dict(purposes)}), {len(emails)} emails\n"
          f"  first sweep (queue and send): {first_wall:.2f} s wall; the last school's first "
          f"message after {(min(last_first) - started) if last_first else float('nan'):.2f} s, "
          f"its first digest after "
          f"{(min(last_digest) - started) if last_digest else float('nan'):.2f} s\n"
          f"  quiet sweep: {quiet_cpu:.2f} s CPU, {quiet_wall:.2f} s wall\n"
          f"  directory reads per sweep: tenant A 1, tenant B 1 (two sweeps: {dict(reads)})\n"
          f"  the alert at the last school: handed over {alert_s * 1000:.0f} ms after queueing")
    ctx.store.dispose()
