"""Benchmark: a real multi-process deployment on one PostgreSQL — a digest day for a school.

Run with ``COMPLIANCE_BOT_TEST_POSTGRES_URL=... uv run pytest
tests/benchmarks/test_deployment_benchmark.py -s`` (300 staff; 10,000 with
``COMPLIANCE_BOT_BENCH=full``). The sweep queues one digest per person (as of a past Monday);
then, as separate processes started through the ``compliance-bot`` command: first ONE dispatch
worker alone for a fifth of the queue (its rate is the baseline), then the deployment — one
scheduler, three dispatch workers and the web app with two worker processes — delivers the rest
to a real SMTP server (aiosmtpd, its own process). Asserted: every digest arrived exactly once
(0 duplicates, 0 lost), a second scheduler refuses to start, both web processes answer /readyz.
Printed: messages a second, one worker versus the deployment.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import OutboxMessage
from bot.engine.sweep import run_sweep
from tests.support.helpers import at
from tests.support.scale import bench_size
from tests.support.served import read_line, started, stop
from tests.support.smtp import _free_port

PEOPLE = bench_size(300, 10_000)
MONDAY = date(2026, 11, 16)  # a past school day: its digests are due at once
SECRET = "bench-secret-0123456789-abcdefghijklmn"
CLI = str(Path(sys.executable).parent / "compliance-bot")
HANG_GUARD_SECONDS = 3600  # only stops a hung run; nothing is asserted about time
SERVER = """
import collections, json, sys
from aiosmtpd.controller import Controller
keys = collections.Counter()
class Keep:
    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.split(b"\\r\\n"):
            if line.lower().startswith(b"x-compliance-bot-key:"):
                keys[line.split(b":", 1)[1].strip().decode()] += 1
            if not line:
                break
        return "250 OK"
c = Controller(Keep(), hostname="127.0.0.1", port=int(sys.argv[1])); c.start()
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps(keys), flush=True)
c.stop()
"""


def _school(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "policies").mkdir()
    with (home / "directory.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "roles", "groups", "manager_email"])
        for i in range(PEOPLE):
            writer.writerow(
                [
                    f"p{i}@bench.example",
                    f"Person {i}",
                    "staff",
                    f"All Staff;Team {i % 40}",
                    "p0@bench.example" if i else "",
                ]
            )
    policies, requirements = [], []
    for n in range(3):
        (home / "policies" / f"p{n}.md").write_text(f"# Policy {n}\n", encoding="utf-8")
        policies.append(
            {
                "id": f"p{n}",
                "title": f"Policy {n}",
                "version": "1",
                "document": f"policies/p{n}.md",
                "published": "2026-11-02",
            }
        )
        requirements.append(
            {
                "id": f"ack-{n}",
                "kind": "acknowledge_policy",
                "policy": f"p{n}",
                "audience": {"roles": ["staff"]},
            }
        )
    requirements.append(
        {
            "id": "train-0",
            "kind": "complete_training",
            "course": "Safeguarding",
            "audience": {"groups": ["All Staff"]},
        }
    )
    school = {
        "id": "bench",
        "name": "Benchmark Academy",
        "headteacher": "p0@bench.example",
        "policies": policies,
        "requirements": requirements,
    }
    (home / "school.yaml").write_text(
        yaml.safe_dump({"organisation": {"name": "Bench"}, "schools": [school]}), encoding="utf-8"
    )


@contextmanager
def _smtp() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    assert read_line(server).strip() == "ready"
    try:
        yield port, server
    finally:
        stop(server)


def _start(env: dict[str, str], logs: Path, *args: str) -> subprocess.Popen[bytes]:
    return started([CLI, "run", *args], env=env, log=logs / f"{args[0].lstrip('-')}.log")


def _wait(ctx: AppContext, done: int) -> int:
    """Poll until at least ``done`` digests are sent; returns how many are."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while True:
        with ctx.store.session() as session:
            sent = int(
                session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) or 0
            )
        if sent >= done:
            return sent
        assert time.monotonic() < deadline, f"hung: {sent} of {done} sent"
        time.sleep(0.5)


@pytest.mark.benchmark
@pytest.mark.postgres
def test_one_scheduler_three_workers_two_web_processes_deliver_a_digest_day(
    postgres_url: str, tmp_path: Path
) -> None:
    database_url = postgres_url  # the multi-process deployment runs on PostgreSQL only
    home = tmp_path / "trust"
    _school(home)
    with _smtp() as (port, server):
        env = {
            **os.environ,
            "COMPLIANCE_BOT_HOME": str(home),
            "COMPLIANCE_BOT_DATABASE_URL": database_url,
            "COMPLIANCE_BOT_SECRET_KEY": SECRET,
            "COMPLIANCE_BOT_LOCAL__MAIL": "smtp",
            "COMPLIANCE_BOT_LOCAL__SMTP__HOST": "127.0.0.1",
            "COMPLIANCE_BOT_LOCAL__SMTP__PORT": str(port),
            "COMPLIANCE_BOT_LOCAL__SMTP__SECURITY": "none",
        }
        subprocess.run([CLI, "migrate"], env=env, check=True, capture_output=True)
        settings = Settings(home=home, database_url=database_url, secret_key=SECRET)
        ctx = AppContext(settings)
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=MONDAY,
            now=at(MONDAY),
            deliver=False,
        )
        with ctx.store.session() as session:
            monday = dict(
                session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.channel)).all()
            )
        queued = len(monday)
        assert queued >= PEOPLE

        one = [_start(env, tmp_path, "--dispatch-only")]
        first = _wait(ctx, 1)  # timed from its first delivery: process start-up is not sending
        started = time.perf_counter()
        alone = _wait(ctx, queued // 5)
        one_rate = (alone - first) / (time.perf_counter() - started)
        stop(one[0])
        alone = _wait(ctx, 0)  # what it sent before it stopped

        web_port = _free_port()
        procs = [_start(env, tmp_path, "--scheduler-only")]
        _wait_for_lock(ctx)
        procs += [_start(env, tmp_path, "--dispatch-only") for _ in range(3)]
        procs.append(
            _start(
                env,
                tmp_path,
                "--web-only",
                "--workers",
                "2",
                "--host",
                "127.0.0.1",
                "--port",
                str(web_port),
            )
        )
        try:
            begun = _wait(ctx, alone + 1)
            started = time.perf_counter()
            total = _wait(ctx, queued)
            many_rate = (total - begun) / (time.perf_counter() - started)
            pids = _web_pids(web_port, procs[-1])
            second = subprocess.run(
                [CLI, "run", "--scheduler-only"],
                env=env,
                timeout=300,
                capture_output=True,
                text=True,
                check=False,
            )
            assert second.returncode != 0 and "another scheduler" in second.stderr
        finally:
            for proc in procs:
                stop(proc)
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write("\n")
        server.stdin.flush()
        keys = json.loads(read_line(server))
    with ctx.store.session() as session:
        statuses = dict(
            session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status)).all()
        )
    ctx.store.dispose()
    # the scheduler sweeps as it starts (as of the real today): what that queues may still wait
    # for its sending window; every message of Monday's sweep is sent, once
    assert {statuses[k] for k in monday} == {"sent"}  # 0 lost, none left uncertain
    # cards (the head's Monday card) go to a file, not the SMTP server
    assert {k for k, channel in monday.items() if channel == "email"} <= set(keys)
    assert {statuses.get(k) for k in keys} == {"sent"}  # nothing arrived that was not recorded
    assert set(keys.values()) == {1}  # 0 duplicates
    assert len(pids) >= 2  # uvicorn's worker processes (and its process watcher, if any)
    # at CI size one worker's first batch can hold the whole fifth: no rate to compare then
    ratio = f"{many_rate / one_rate:.1f}x" if one_rate > 0 else "one worker's rate not measured"
    print(
        f"\nDeployment on PostgreSQL, {PEOPLE:,} staff, {queued:,} messages: one dispatch "
        f"worker {one_rate:.0f} msg/s; one scheduler + three workers {many_rate:.0f} msg/s "
        f"({ratio}); 0 duplicates, 0 lost; 2 web processes ready"
    )


def _wait_for_lock(ctx: AppContext) -> None:
    """Wait until the scheduler process holds its advisory lock."""
    from sqlalchemy import text

    from schedules.runner import ADVISORY_LOCK_ID

    deadline = time.monotonic() + HANG_GUARD_SECONDS
    held = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = 0 AND objid = :id AND objsubid = 1"
    )
    while True:
        with ctx.store.engine.connect() as conn:
            if conn.execute(held, {"id": ADVISORY_LOCK_ID}).scalar():
                return
        assert time.monotonic() < deadline, "the scheduler never took its lock"
        time.sleep(0.5)


def _web_pids(port: int, web: subprocess.Popen[bytes]) -> set[int]:
    """Wait until the web app answers /readyz; return its worker processes (Linux /proc)."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while True:
        assert time.monotonic() < deadline, "the web processes never became ready"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == web.pid:  # the parent pid
            children.add(int(stat.parent.name))
    return children
