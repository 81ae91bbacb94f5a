"""Benchmark: what a fresh process pays for a sweep (#80 item 6: a new process reads only what
changed).

Two schools, every sweep a ``compliance-bot sweep`` process of its own (a CLI run, a restart,
a deploy), bytecode compiled as installed, its CPU and wall seconds taken from outside
(``getrusage(RUSAGE_CHILDREN)`` in a small wrapper process):

* **a newcomer's school** of 10,000 staff and 300 governors (300 and 20 in CI;
  ``COMPLIANCE_BOT_BENCH=full``), made as a new user makes one: the newcomer's generated files
  (``tests/support/newcomer.py``: a staff CSV with job titles, volunteers, governors and a
  clerk; five policies in Word, PDF and Markdown; the local authority's term dates) through
  ``init --answers`` and ``start-sending``, the clerk bringing the four FGB policies' reviews
  forward to 28 October (``policies confirm-date``); then its first sweep (Monday 14
  September 2026: everyone reminded, every governor's review digest with four calendar
  files), a quiet sweep the same day, the next school day, and the digest day (Monday 28
  September: everyone reminded again, the reviews' 30-day digests); targets (#91): the next
  school day under 3 CPU s, the digest day under 5, the quiet same-day sweep under 3;
* **a trust's quiet sweep**: the quiet-sweep benchmark's trust (200 schools x 500 staff in one
  staff file, 100,000; 4 x 25 in CI) swept twice in this process, as the scheduler sweeps it,
  (``run_sweep`` with the app's own connectors), then once more the same morning by a fresh
  process; target under 10 CPU s (19.1 before #80).

Run with ``uv run pytest -m benchmark -n 0 -s tests/benchmarks/test_fresh_process_benchmark.py``
(SQLite). Printed: each process's CPU and wall seconds and peak memory, what it queued, and the
machine's conditions (``conditions()``). Asserted (correctness only): the first sweep queues a
reminder for everyone (staff, volunteers, governors), the quiet and next-day sweeps queue
nothing, the digest day one for everyone again, everyone listed is a person; each Monday every
governor and the clerk get one review digest, all carrying the same four calendar files; the trust's
scheduler sweeps kept their read of the staff file in the database, and its fresh quiet sweep
opens no duty and queues nothing.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, func, select

from bot.core.models import Duty, KeptRead, OutboxMessage, Person
from bot.engine.sweep import run_sweep
from tests.benchmarks.test_quiet_sweep_benchmark import MONDAY as TRUST_MONDAY
from tests.benchmarks.test_quiet_sweep_benchmark import SCHOOLS, STAFF, _build
from tests.benchmarks.test_sweep_cli_benchmark import _WRAPPER as WRAPPER
from tests.benchmarks.test_sweep_cli_benchmark import SECRET, Measured, _compile_bytecode
from tests.support.helpers import at
from tests.support.newcomer import answers_file, policy_folder, staff_csv, term_calendar
from tests.support.scale import bench_size, conditions

PEOPLE = bench_size(300, 10_000)
GOVERNORS = bench_size(20, 300)  # ~1,200 review events on a digest day, as issue 91 profiled
FIRST = date(2026, 9, 14)  # a Monday of the autumn term
NEXT = date(2026, 9, 15)  # the next school day: nothing new falls due
DIGEST = date(2026, 9, 28)  # everyone reminded again (a walk of the school days found it)
REVIEW_DUE = date(2026, 10, 28)  # FIRST is in its 60-day alert, DIGEST its 30-day one
FGB_POLICIES = (  # the four the Full Governing Body reviews: every governor hears of them
    "child-protection-safeguarding",
    "online-safety",
    "social-media-acceptable-use",
    "staff-code-conduct",
)


def _cli(folder: Path, *args: str, home: Path | None = None) -> Measured:
    """``compliance-bot ARGS`` run in ``folder`` as its own process, measured from outside."""
    import json
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_BOT_")}
    env.update(COMPLIANCE_BOT_SECRET_KEY=SECRET, COLUMNS="200")
    if home is not None:
        env.update(
            COMPLIANCE_BOT_HOME=str(home),
            COMPLIANCE_BOT_DATABASE_URL=f"sqlite:///{home / 'trust.db'}",
        )
    exe = Path(sys.executable).with_name("compliance-bot")
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(exe), *args],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(out.stdout)
    assert figures["rc"] == 0, figures["stderr"]
    return Measured(figures["wall"], figures["cpu"], figures["rss_mb"])


def _count(database: Path, what: str, day: date | None = None) -> int:
    """Reminders queued for ``day`` (their keys name it), or all duties, people or kept reads."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            if what == "duties":
                return int(conn.scalar(select(func.count()).select_from(Duty)) or 0)
            if what == "people":
                return int(conn.scalar(select(func.count()).select_from(Person)) or 0)
            if what == "kept":
                return int(conn.scalar(select(func.count()).select_from(KeptRead)) or 0)
            assert day is not None
            return int(
                conn.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(
                        OutboxMessage.purpose == "reminder",
                        OutboxMessage.idempotency_key.like(f"%:{day.isoformat()}"),
                    )
                )
                or 0
            )
    finally:
        engine.dispose()


def _reviews(database: Path, day: date) -> tuple[int, set[tuple[str, ...]]]:
    """The governors' review digests queued for ``day`` (their keys name it), and the distinct
    sets of calendar files they carry."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            payloads = conn.scalars(
                select(OutboxMessage.payload).where(
                    OutboxMessage.purpose == "governor_review",
                    OutboxMessage.idempotency_key.like(f"%:{day.isoformat()}"),
                )
            ).all()
    finally:
        engine.dispose()
    files = {tuple(a.get("sha256") or a["data"] for a in p["attachments"]) for p in payloads}
    return len(payloads), files


def _line(name: str, m: Measured, queued: int, reviews: int = 0) -> str:
    return (
        f"  {name:<22} cpu {m.cpu:6.2f} s  wall {m.wall:6.2f} s  peak RSS {m.rss_mb:5.0f} MB"
        f"  reminders queued {queued:,}  review digests {reviews:,}"
    )


@pytest.mark.benchmark
@pytest.mark.slow
def test_a_newcomers_school_swept_by_fresh_processes(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    rows = staff_csv(inputs / "staff.csv", staff=PEOPLE, governors=GOVERNORS)
    policy_folder(inputs / "policies")
    term_calendar(inputs / "term-dates.ics")
    clerk = rows[-1]
    people = {  # by address: a name is shared by many in a school this size
        "headteacher": rows[0]["email"],
        "dsl": [rows[0]["email"]],
        "deputy_dsl": [rows[1]["email"], rows[2]["email"]],
        "dpo": rows[3]["email"],
        "chair_of_governors": rows[PEOPLE + 3]["email"],
        "clerk": clerk["email"],
    }
    answers = answers_file(inputs / "answers.yaml", rows, people=people)
    _compile_bytecode()
    made = _cli(tmp_path, "init", "--answers", str(answers), "--as-of", FIRST.isoformat())
    _cli(tmp_path, "start-sending")
    for key in FGB_POLICIES:  # the clerk brings the reviews forward: digests on both Mondays
        when = ("--date", REVIEW_DUE.isoformat(), "--as-of", FIRST.isoformat())
        _cli(tmp_path, "policies", "confirm-date", key, *when)
    database = tmp_path / ".compliance-bot" / "compliance-bot.db"
    print(
        f"\nBENCHMARK a newcomer's school of {PEOPLE:,} staff and {GOVERNORS} governors (init: "
        f"{made.cpu:.1f} CPU s), one fresh `compliance-bot sweep` process each:",
        flush=True,
    )
    queued, reviews = [], []
    for name, day in (
        ("first sweep", FIRST),
        ("quiet, the same day", FIRST),
        ("next school day", NEXT),
        ("digest day", DIGEST),
    ):
        m = _cli(tmp_path, "sweep", "--no-send", "--as-of", day.isoformat())
        before = queued[0] if queued and day == FIRST else 0  # the quiet sweep's own
        queued.append(_count(database, "reminders", day))
        reviews.append(_reviews(database, day))
        print(_line(name, m, queued[-1] - before, reviews[-1][0]), flush=True)
    print(conditions(), flush=True)
    # everyone's first reminder (staff, volunteers, governors), none more the same day, none
    # the next, and everyone's again on the digest day
    assert queued[0] == queued[1] == queued[3] > PEOPLE and queued[2] == 0
    assert _count(database, "people") == len(rows)
    # every governor and the clerk hear of the four reviews on both Mondays, never in between;
    # each digest carries the same four calendar files
    assert reviews[0][0] == reviews[1][0] == reviews[3][0] > GOVERNORS and reviews[2][0] == 0
    assert [len(r[1]) for r in (reviews[0], reviews[3])] == [1, 1]
    assert len(next(iter(reviews[3][1]))) == len(FGB_POLICIES)


@pytest.mark.benchmark
@pytest.mark.slow
def test_a_trusts_quiet_sweep_in_a_fresh_process(tmp_path: Path) -> None:
    home = tmp_path / "trust"
    context = _build(home, f"sqlite:///{home / 'trust.db'}")
    for minutes in (0, 15):  # the scheduler's first sweep of the day, then a quiet one
        results, _ = run_sweep(
            context.store,
            context.settings,
            context.config,
            context.connectors,
            as_of=TRUST_MONDAY,
            deliver=False,
            now=at(TRUST_MONDAY, 7) + timedelta(minutes=minutes),
        )
        assert not [r.failed for r in results if r.failed]
    context.store.dispose()
    config = yaml.safe_load((home / "school.yaml").read_text(encoding="utf-8"))
    assert len(config["schools"]) == SCHOOLS
    duties = _count(home / "trust.db", "duties")
    assert _count(home / "trust.db", "kept") == 1  # the staff file's read, for the next process
    _compile_bytecode()
    m = _cli(tmp_path, "sweep", "--no-send", "--as-of", TRUST_MONDAY.isoformat(), home=home)
    print(
        f"\nBENCHMARK a trust of {SCHOOLS} schools x {STAFF:,} staff ({SCHOOLS * STAFF:,} in one "
        f"staff file): a fresh process's quiet sweep the same morning\n"
        + _line(
            "fresh quiet sweep",
            m,
            _count(home / "trust.db", "reminders", TRUST_MONDAY) - SCHOOLS * STAFF,
        )
        + f"\n{conditions()}",
        flush=True,
    )
    assert _count(home / "trust.db", "duties") == duties
    assert _count(home / "trust.db", "reminders", TRUST_MONDAY) == SCHOOLS * STAFF
