"""Benchmark: a 40-school trust over two tenants, a mailbox per school (#54).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_tenants_benchmark.py``
(CI size: 4 schools of 3 staff; ``COMPLIANCE_BOT_BENCH=full``: 40 schools of 25).

Half the schools are the install's tenant, half a second tenant's (``connection: tenant-b``),
each school with a mailbox of its own in its tenant (``sender``). Several schools share each
tenant, so each school names its all-staff group (``directory.staff_group``) and the tenant's
people are split by membership (nobody's school is written beside them). The connectors are
the app's own, built by ``bot.wiring`` (one set per connection), on the local platform: each
tenant's directory is the trust's staff file, counted as it is read, and each mailbox an .eml
outbox of its own, so the figures are the bot's work, not a fake service's. The real sweep
queues Monday's digests and reminders for every school; a concern's alert is then queued at
the last school behind all of them and handed over as the web request does (urgent rows
only), before the backlog is dispatched; then the sweep runs again with nothing new (the
quiet sweep).

Printed: the first sweep's wall time, the alert's hand-over time and place (first out), the
backlog's dispatch time and when the last school's first digest left; the quiet sweep's CPU
and wall time; directory reads per sweep for each tenant; the machine's load. Asserted
(correctness only): one directory read per tenant per sweep, each school's people are its own
group's, the alert leaves before any digest, every queued message sent exactly once (0
duplicates, 0 lost) from its school's own mailbox.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import bot.wiring as wiring
from bot.core.deployment.context import AppContext, own_mailboxes
from bot.core.deployment.settings import Connection
from bot.core.models import OutboxMessage, Person
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email
from bot.core.ports import Connectors, DirectoryChanges
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
    builder.policy("online-safety", "2026.1", title="Online Safety Policy", published="2026-11-02")
    builder.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    schools = []
    for n in range(SCHOOLS):
        sid, domain = school_id(n), f"{school_id(n)}.example"
        head = f"head@{domain}"
        group = f"All Staff {sid}"  # the school's all-staff group: whose staff they are
        builder.people.append(Row(head, f"Head {n}", "staff", group))
        builder.people += [
            Row(f"p{i}@{domain}", f"Staff {n}-{i}", "staff", group) for i in range(STAFF)
        ]
        schools.append(
            {
                **builder.school,
                "id": sid,
                "name": f"School {n}",
                "headteacher": head,
                "dsl": [head],
                "deputy_dsl": [],
                "sender": f"office@{domain}",
                "directory": {"staff_group": group},
                **({"connection": "tenant-b"} if n >= SCHOOLS // 2 else {}),
            }
        )
    builder.school, builder.others = schools[0], schools[1:]
    ctx = builder.context(
        database_url,
        connections={
            "tenant-b": Connection(
                tenant_id="00000000-0000-4000-8000-00000000b001",
                sender="compliance-bot@tenant-b.example",
            )
        },
    )
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
    started = time.perf_counter()
    results, _ = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        connectors,
        as_of=MONDAY,
        now=at(MONDAY, 8),
        deliver=False,
    )
    sweep_wall = time.perf_counter() - started
    assert all(not r.failed for r in results), [r.failed for r in results]
    assert dict(reads) == {"A": 1, "B": 1}  # one directory read per tenant
    with ctx.store.session() as session:
        people = Counter(session.scalars(select(Person.school_id)))
        strays = session.scalar(
            select(func.count())
            .select_from(Person)
            .where(
                func.substr(Person.email, func.instr(Person.email, "@") + 1)
                != Person.school_id + ".example"
            )
        )
    assert people == {school_id(n): STAFF + 1 for n in range(SCHOOLS)}  # each its own group
    assert strays == 0

    # a concern at the last school, queued behind every school's Monday mail
    last = school_id(SCHOOLS - 1)
    with ctx.store.transaction() as session:
        enqueue_email(
            session,
            school_id=last,
            key=f"{last}-alert",
            purpose="report_alert",
            urgency=Urgency.SAFEGUARDING,
            draft=EmailDraft((f"head@{last}.example",), "A new concern", "t", "h"),
        )
    boxes = own_mailboxes(ctx.config.schools, connectors)
    sent: list[tuple[str, float]] = []
    handed = time.perf_counter()
    alert = dispatch(
        ctx.store,
        connectors.mailer,
        connectors.notifier,
        mailboxes=boxes,
        up_to=Urgency.WAITING,
        on_sent=lambda key: sent.append((key, time.perf_counter())),
    )
    alert_s = time.perf_counter() - handed
    assert alert.sent >= 1 and f"{last}-alert" in [k for k, _ in sent]
    backlog = time.perf_counter()
    dispatch(
        ctx.store,
        connectors.mailer,
        connectors.notifier,
        mailboxes=boxes,
        on_sent=lambda key: sent.append((key, time.perf_counter())),
    )
    backlog_s = time.perf_counter() - backlog

    with ctx.store.session() as session:
        final = session.execute(
            select(
                OutboxMessage.idempotency_key,
                OutboxMessage.school_id,
                OutboxMessage.purpose,
                OutboxMessage.status,
                OutboxMessage.channel,
            )
        ).all()
    by_key = {r.idempotency_key: r for r in final}
    order = [k for k, _ in sent]
    digests = [i for i, k in enumerate(order) if "digest" in by_key[k].purpose]
    assert digests and order.index(f"{last}-alert") < min(digests)  # the alert left first
    last_digest = [
        t for k, t in sent if by_key[k].school_id == last and "digest" in by_key[k].purpose
    ]

    cpu, wall = time.process_time(), time.perf_counter()
    run_sweep(ctx.store, ctx.settings, ctx.config, connectors, as_of=MONDAY, now=at(MONDAY, 9))
    quiet_cpu, quiet_wall = time.process_time() - cpu, time.perf_counter() - wall
    assert dict(reads) == {"A": 2, "B": 2}

    with ctx.store.session() as session:
        final = session.execute(
            select(
                OutboxMessage.idempotency_key,
                OutboxMessage.school_id,
                OutboxMessage.purpose,
                OutboxMessage.status,
                OutboxMessage.channel,
            )
        ).all()
    keys = [r.idempotency_key for r in final]
    assert len(keys) == len(set(keys)) and len(order) == len(set(order))  # 0 duplicates
    assert {r.status for r in final} == {"sent"}, Counter(r.status for r in final)  # 0 lost
    assert len(order) == len(final)  # the quiet sweep queued nothing new
    emails = [r for r in final if r.channel == "email"]
    files = sent_files(ctx)
    assert len(files) == len(emails)  # each email sent once, as one file
    # every school's mail left from its own mailbox, in its own tenant
    senders = Counter(
        parseaddr(line.removeprefix("From:"))[1]
        for path in files
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("From:")
    )
    assert set(senders) == {f"office@{school_id(n)}.example" for n in range(SCHOOLS)}
    assert sum(senders.values()) == len(emails)
    purposes = Counter(r.purpose for r in final)
    print(
        f"\n{SCHOOLS} schools over two tenants, {STAFF + 1} staff a school (by staff group), "
        f"a mailbox each: {len(final)} messages ({dict(purposes)}), {len(emails)} emails\n"
        f"  first sweep (queue): {sweep_wall:.2f} s wall; directory reads: A 1, B 1\n"
        f"  the alert at the last school, queued behind {len(final) - 1} messages: handed "
        f"over in {alert_s * 1000:.0f} ms, out {order.index(f'{last}-alert') + 1} of "
        f"{len(order)} (before every digest)\n"
        f"  the backlog: {backlog_s:.2f} s; the last school's first digest after "
        f"{(min(last_digest) - backlog) if last_digest else float('nan'):.2f} s\n"
        f"  quiet sweep: {quiet_cpu:.2f} s CPU, {quiet_wall:.2f} s wall; directory reads per "
        f"sweep: tenant A 1, tenant B 1 (two sweeps: {dict(reads)})\n"
        f"  0 duplicates, 0 lost"
    )
    ctx.store.dispose()
