"""Benchmark: the DSL's tracked list with 20,000 reports (3,000 unless
``COMPLIANCE_BOT_BENCH=full``), and the public form's POST at
concurrency 8 (targets: p95 under 50 ms and under 300 ms), on SQLite and PostgreSQL.

The real app is served as ``compliance-bot run --web-only --workers N`` over a school with every
safeguarding role: the list and the form each with one web process and with two (the production
layout the README and ``deploy/`` give). A load generator in another
process drives it over HTTP, so that its own work stays off the server's cores:

* ``/reports`` — a report every 105 minutes (20,000: four years; most closed, the recent ones
  open with running clocks; some about the headteacher, some about the DSL, who must not see
  those), signed in as the DSL, 8 requests at once over 8 keep-alive connections (a DSL team
  and a busy morning):
  the first page, a later page and two filtered and sorted pages. Each answer's rows are
  checked against the order the list promises, worked out here in Python from the stored data.
* the public form — 8 visitors at once, each GETting the form (a browser's session cookie and
  CSRF token) and then POSTing a report, as a parent would, after 16 reports not measured
  (each web process's first pages load its code, as on a server that has been up a while).
  The form is rate limited per sender address (5 in 10 minutes); every visitor here comes
  from an address of its own,
  given as the proxy's ``X-Forwarded-For`` (uvicorn trusts it from 127.0.0.1), so the figures
  measure intake, not the limiter. Afterwards every report is stored exactly once, with its
  at-once alert queued.

Run with ``uv run pytest tests/benchmarks/test_reports_benchmark.py -m benchmark -s`` (set
``COMPLIANCE_BOT_TEST_POSTGRES_URL`` for the PostgreSQL variants). Only correctness is
asserted; the printed figures are the report.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, literal, select, text

from bot.core.models import AuditEvent, OutboxMessage, Person, Report, ReportClock
from bot.engine.config_sync import ensure_school
from bot.features.reports.intake import link_token
from bot.features.reports.rules import CATEGORIES, STATUSES, URGENCY_ORDER
from tests.benchmarks.test_dashboard_benchmark import CLI, _get, _ms
from tests.features.reports.test_support import CSRF, Env, make_env
from tests.support.helpers import SchoolBuilder
from tests.support.scale import bench_size
from tests.support.served import served
from tests.support.smtp import _free_port

REPORTS = bench_size(3_000, 20_000)
LIST_REQUESTS = bench_size(25, 100)  # per page kind, one at a time
LIST_TARGET_MS = 50.0
POSTS = bench_size(64, 320)  # public-form reports, 8 in flight
WARM_UP = 16  # reports sent first, not measured: each web process's first pages load its code
CONCURRENCY = 8
POST_TARGET_MS = 300.0
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DSL = "dsl@oak.example"
SECRET = "bench-secret-0123456789-abcdefghijklmn"
ROW = re.compile(rb'<td><a href="/reports/(CR-[0-9A-Z-]+)">')
PAGE = 50
LIST_PATHS = [
    "/reports",
    f"/reports?page={REPORTS // PAGE * 5 // 8}",
    "/reports?status=open&sort=due&page=2",
    "/reports?category=data_breach&sort=urgency&page=3",
]


def _env(school: SchoolBuilder, database_url: str) -> Env:
    return make_env(school, database_url)


def _store_reports(env: Env) -> list[dict[str, Any]]:
    """``REPORTS`` reports, one every 105 minutes, each with its clock; returns what the list
    reads."""
    rng = random.Random(29)
    school = env.school
    with env.context.store.transaction() as session:
        ensure_school(session, school)
        deputy = session.scalar(select(Person.id).where(Person.email == "deputy@oak.example"))
        rows: list[dict[str, Any]] = []
        for n in range(REPORTS):
            created = NOW - timedelta(minutes=105 * (REPORTS - n) + rng.randrange(60))
            recent = NOW - created < timedelta(days=60)
            status = rng.choice(list(STATUSES)) if recent else "closed"
            about = rng.random()
            rows.append(
                {
                    "school_id": school.id,
                    "reference": f"CR-{created.year}-{n + 1:05d}",
                    "category": rng.choice(list(CATEGORIES)),
                    "urgency": rng.choice(list(URGENCY_ORDER)),
                    "status": status,
                    "owner_id": deputy if rng.random() < 0.3 else None,
                    "involved": [],
                    "what_happened": "benchmark",
                    "about_headteacher": about < 0.005,
                    "about_person": DSL if 0.005 <= about < 0.01 else None,
                    "created_at": created,
                    "closed_at": created + timedelta(days=20) if status == "closed" else None,
                }
            )
        for start in range(0, REPORTS, 2_000):
            session.execute(insert(Report), rows[start : start + 2_000])
        ids = {ref: id_ for ref, id_ in session.execute(select(Report.reference, Report.id))}
        clocks = []
        for row in rows:
            row["id"] = ids[row["reference"]]
            running = row["status"] == "new"
            row["due_at"] = row["created_at"] + timedelta(hours=rng.randrange(4, 96))
            clocks.append(
                {
                    "school_id": school.id,
                    "report_id": row["id"],
                    "kind": "triage",
                    "started_at": row["created_at"],
                    "due_at": row["due_at"],
                    "stopped_at": None if running else row["created_at"] + timedelta(hours=2),
                    "stopped_by": None if running else DSL,
                    "escalations_sent": 0,
                }
            )
            if not running:
                row["due_at"] = None
        for start in range(0, REPORTS, 2_000):
            session.execute(insert(ReportClock), clocks[start : start + 2_000])
    return rows


def _expected(rows: list[dict[str, Any]], path: str) -> list[str]:
    """The references a page must show, in order, worked out from the stored rows."""
    query = dict(p.split("=") for p in path.partition("?")[2].split("&") if p)
    seen = [r for r in rows if r["about_person"] != DSL]  # the DSL never sees one about them
    if query.get("status") == "open":
        seen = [r for r in seen if r["status"] != "closed"]
    if "category" in query:
        seen = [r for r in seen if r["category"] == query["category"]]
    order = list(STATUSES)
    keys: dict[str, Callable[[dict[str, Any]], tuple[float, float, int]]] = {
        "newest": lambda r: (-r["created_at"].timestamp(), 0.0, -r["id"]),
        "urgency": lambda r: (URGENCY_ORDER[r["urgency"]], -r["created_at"].timestamp(), -r["id"]),
        "due": lambda r: (
            r["due_at"].timestamp() if r["due_at"] else float("inf"),
            -r["created_at"].timestamp(),
            -r["id"],
        ),
        "status": lambda r: (order.index(r["status"]), -r["created_at"].timestamp(), -r["id"]),
    }
    seen.sort(key=keys[query.get("sort", "newest")])
    page = int(query.get("page", "1"))
    return [r["reference"] for r in seen[(page - 1) * PAGE : page * PAGE]]


def _signed_in(base: str, email: str) -> httpx.Client:
    """A client signed in as ``email`` (the demo's password-free sign-in)."""
    client = httpx.Client(base_url=base, timeout=120)
    token = CSRF.search(client.get("/signin").text)
    assert token, "no CSRF token on the sign-in page"
    answer = client.post("/signin", data={"email": email, "csrf_token": token.group(1)})
    assert answer.status_code in (200, 303), answer.status_code
    return client


def _serve(env: Env, database_url: str, port: int, workers: int) -> Any:
    """``compliance-bot run --web-only --workers N`` answering, stopped on the way out."""
    command = [CLI, "run", "--web-only", "--workers", str(workers), "--port", str(port)]
    return served(
        command,
        env=_server_env(env, database_url, port),
        url=f"http://127.0.0.1:{port}",
        log=env.context.settings.home / f"server-{port}.log",
    )


def _server_env(env: Env, database_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "COMPLIANCE_BOT_HOME": str(env.context.settings.home),
        "COMPLIANCE_BOT_DATABASE_URL": database_url,
        "COMPLIANCE_BOT_SECRET_KEY": SECRET,
        "COMPLIANCE_BOT_DEMO": "1",
        "COMPLIANCE_BOT_BASE_URL": f"http://127.0.0.1:{port}",
    }


async def _read_list(port: int, cookie: str) -> dict[str, tuple[list[float], list[bytes]]]:
    """8 keep-alive connections, 8 requests in flight: (latencies, bodies) per page kind."""
    out: dict[str, tuple[list[float], list[bytes]]] = {p: ([], []) for p in LIST_PATHS}
    requests = {
        p: (
            f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: cb_session={cookie}\r\n\r\n"
        ).encode()
        for p in LIST_PATHS
    }
    work = iter(range(LIST_REQUESTS * len(LIST_PATHS)))

    async def reader_() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for path in LIST_PATHS:  # warm-up: each page once on each connection
            await _get(reader, writer, requests[path])
        for i in work:
            path = LIST_PATHS[i % len(LIST_PATHS)]
            start = time.perf_counter()
            status, body = await _get(reader, writer, requests[path])
            out[path][0].append(time.perf_counter() - start)
            out[path][1].append(body if status == 200 else b"status %d" % status)
        writer.close()

    await asyncio.gather(*(reader_() for _ in range(CONCURRENCY)))
    return out


def _list_load(base: str, queue: Any) -> None:
    """The list's load generator (its own process)."""
    cookie = _signed_in(base, DSL).cookies["cb_session"]
    out = asyncio.run(_read_list(int(base.rsplit(":", 1)[1]), cookie))
    # the bodies are compared here, in the generator: only the references cross back
    queue.put({p: (lat, [ROW.findall(b) for b in bodies]) for p, (lat, bodies) in out.items()})


def _in_process(target: Callable[..., None], *args: Any) -> Any:
    """Run ``target(*args, queue)`` in a fresh process; what it puts on the queue."""
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    proc = spawn.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get(timeout=3600)
    proc.join(timeout=60)
    return result


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) the process ``pid`` and its children (uvicorn's worker
    processes) have used (Linux ``/proc``; 0 elsewhere): the server's work per report,
    whatever else the machine is doing."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # itself, or a child
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _database_cpu(env: Env) -> dict[int, float]:
    """PostgreSQL's server processes for this database and the CPU time each has used
    (nothing on SQLite, whose work is done inside the web process)."""
    engine = env.context.store.engine
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        pids = conn.scalars(
            text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    return {pid: _cpu_seconds(pid) for pid in pids}


def _label(database_url: str) -> str:
    return "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"


@pytest.mark.benchmark
@pytest.mark.slow
@pytest.mark.parametrize("web_workers", [1, 2], ids=["1-web-process", "2-web-processes"])
def test_reports_list(school: SchoolBuilder, database_url: str, web_workers: int) -> None:
    """The list read by 8 at once from one web process, and from two (``run --web-only
    --workers 2``, the production layout in the README and deploy/)."""
    env = _env(school, database_url)
    started = time.perf_counter()
    rows = _store_reports(env)
    stored = time.perf_counter() - started
    if not database_url.startswith("sqlite"):
        # years of reports come vacuumed, with the planner's statistics (autovacuum keeps
        # both, and vacuums a table after 1,000 inserts); a table filled a moment ago has
        # neither yet, and PostgreSQL would plan for an empty one
        engine = env.context.store.engine
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE reports, report_clocks"))
    env.context.store.dispose()
    port = _free_port()
    with _serve(env, database_url, port, web_workers) as server:
        cpu_before, db_before = _cpu_seconds(server.pid), _database_cpu(env)
        result = _in_process(_list_load, f"http://127.0.0.1:{port}")
        cpu = _cpu_seconds(server.pid) - cpu_before
        database = _database_cpu(env)
    db_cpu = sum(seconds - db_before.get(pid, 0.0) for pid, seconds in database.items())
    with env.context.store.session() as session:
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.object_type == "report_list", AuditEvent.actor == DSL)
        )
    # every read of the list is audited (each connection's warm-up read of each page too)
    reads = len(LIST_PATHS) * (LIST_REQUESTS + CONCURRENCY)
    assert audited == reads
    lines = []
    everything = [t for path in LIST_PATHS for t in result[path][0]]
    for path in LIST_PATHS:
        latencies, shown = result[path]
        want = [ref.encode() for ref in _expected(rows, path)]
        assert len(want) == PAGE and len(latencies) == LIST_REQUESTS
        assert all(refs == want for refs in shown), f"{path}: wrong rows"
        lines.append(
            f"  {path}: p50 {_ms(latencies, 0.5):.1f} ms, p95 {_ms(latencies, 0.95):.1f} ms"
            f" (target < {LIST_TARGET_MS:.0f} ms)"
        )
    print(
        f"\nBENCHMARK /reports, {REPORTS:,} reports ({_label(database_url)}, stored in"
        f" {stored:.1f} s), signed in as the DSL, {CONCURRENCY} requests at once,"
        f" {web_workers} web process{'es' if web_workers > 1 else ''},"
        f" {LIST_REQUESTS} requests per page: all pages p50"
        f" {_ms(everything, 0.5):.1f} ms, p95 {_ms(everything, 0.95):.1f} ms"
        f" (target < {LIST_TARGET_MS:.0f} ms); server CPU {1000 * cpu / reads:.1f} ms per read"
        + (f" + PostgreSQL {1000 * db_cpu / reads:.1f} ms" if database else "")
        + f"; load average {Path('/proc/loadavg').read_text().split()[0]}\n"
        + "\n".join(lines)
    )


async def _post_reports(
    base: str, path: str, numbers: range
) -> tuple[list[float], list[float], list[str]]:
    """8 visitors at once, each GET then POST, a report for each of ``numbers``; (POST
    latencies, GET latencies, references)."""
    work = iter(numbers)
    posts: list[float] = []
    gets: list[float] = []
    references: list[str] = []

    async def visitor() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            for n in work:
                client.cookies.clear()  # each report a new visitor, from an address of its own
                headers = {"X-Forwarded-For": f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"}
                start = time.perf_counter()
                form = await client.get(path, headers=headers)
                gets.append(time.perf_counter() - start)
                token = CSRF.search(form.text)
                assert form.status_code == 200 and token
                data = {
                    "csrf_token": token.group(1),
                    "category": ("cyberbullying", "data_breach", "staff_concern")[n % 3],
                    "involved": ["pupil"],
                    "what_happened": f"Benchmark report number {n}.",
                    "occurred": "Monday lunchtime",
                    "location": "Online",
                    "reporter_name": "Pat Parent",
                    "reporter_relationship": "parent",
                }
                # a browser sends the empty file box too (multipart/form-data)
                files = {"attachments": ("", b"", "application/octet-stream")}
                start = time.perf_counter()
                answer = await client.post(path, data=data, files=files, headers=headers)
                posts.append(time.perf_counter() - start)
                found = re.search(r"CR-\d{4}-[A-Z0-9]{4,6}\b", answer.text)
                assert answer.status_code == 200 and found, answer.status_code
                references.append(found.group(0))

    await asyncio.gather(*(visitor() for _ in range(CONCURRENCY)))
    return posts, gets, references


def _form_load(base: str, path: str, queue: Any) -> None:
    """The form's load generator (its own process)."""
    warm = asyncio.run(_post_reports(base, path, range(WARM_UP)))[2]
    began = time.perf_counter()
    measured = range(WARM_UP, WARM_UP + POSTS)
    posts, gets, references = asyncio.run(_post_reports(base, path, measured))
    queue.put((posts, gets, references, time.perf_counter() - began, warm))


@pytest.mark.benchmark
@pytest.mark.slow
@pytest.mark.parametrize("web_workers", [1, 2], ids=["1-web-process", "2-web-processes"])
def test_public_form_post_at_concurrency_8(
    school: SchoolBuilder, database_url: str, web_workers: int
) -> None:
    """One web process (``run``'s default, as on a small install) and two (``run --web-only
    --workers 2``, the production layout in the README and deploy/)."""
    env = _env(school, database_url)
    env.context.store.dispose()
    port = _free_port()
    path = f"/report/oak/{link_token(SECRET, 'oak')}"
    # leaving the block waits for the responses' work after them (uvicorn's graceful stop)
    with _serve(env, database_url, port, web_workers) as server:
        cpu_before = _cpu_seconds(server.pid)
        posts, gets, references, wall, warm = _in_process(
            _form_load, f"http://127.0.0.1:{port}", path
        )
        time.sleep(1)  # the last answers' hand-over, after the response
        cpu = _cpu_seconds(server.pid) - cpu_before
    with env.context.store.session() as session:
        stored = list(session.scalars(select(Report.reference)))
        alert_rows = session.execute(
            select(
                OutboxMessage.idempotency_key,
                OutboxMessage.status,
                OutboxMessage.sent_at,
                Report.created_at,
            )
            .join(
                Report,
                OutboxMessage.idempotency_key == literal("report-alert:oak:") + Report.reference,
            )
            .where(OutboxMessage.purpose == "report_alert")
        ).all()
        alerts = {row.idempotency_key for row in alert_rows}
        reports = session.scalar(select(func.count()).select_from(Report))
    handed = [
        (row.sent_at - row.created_at).total_seconds()
        for row in alert_rows
        if row.status == "sent" and row.sent_at is not None
    ]
    print(
        f"\nBENCHMARK public form ({_label(database_url)}), {POSTS} reports, {CONCURRENCY}"
        f" visitors at once, {web_workers} web process{'es' if web_workers > 1 else ''}:"
        f" POST p50 {_ms(posts, 0.5):.0f} ms,"
        f" p95 {_ms(posts, 0.95):.0f} ms (target < {POST_TARGET_MS:.0f} ms);"
        f" the form's GET p95 {_ms(gets, 0.95):.0f} ms; {POSTS / wall:.1f} reports/s;"
        f" server CPU {1000 * cpu / (POSTS + WARM_UP):.1f} ms per report (GET, POST and its"
        " hand-over)"
        f"; {len(handed)} of {len(alert_rows)} alert emails handed to the mailer by the web"
        f" process, p95 {_ms(handed, 0.95):.0f} ms after the report was stored"
        f" ({dict(Counter(row.status for row in alert_rows))})"
    )
    assert len(references) == POSTS and len(set(references + warm)) == POSTS + WARM_UP
    # every report stored once, with its at-once email alert queued (the channel card beside it
    # shares the purpose: only the emails are counted here)
    assert reports == POSTS + WARM_UP and sorted(stored) == sorted(references + warm)
    assert {k for k in alerts if k.startswith("report-alert:")} == {
        f"report-alert:oak:{ref}" for ref in references + warm
    }
    # and handed to the platform by the request that stored the report, not left for a pass
    assert len(handed) == len(alert_rows) == POSTS + WARM_UP
    env.context.store.dispose()
