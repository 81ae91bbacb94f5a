"""Test sizes, the benchmarks' conditions, and the scale generator (a school of N on disk).

``COMPLIANCE_BOT_FULL_SIZE=1 uv run pytest -m slow`` runs heavy correctness tests at the size
the issue named. Benchmarks run at a CI size that proves their correctness in seconds;
``COMPLIANCE_BOT_BENCH=full`` runs them at the full sizes their figures are quoted at
(``bench_size``). ``conditions`` says what the machine was like beside a benchmark's figures.
``write_school`` builds the benchmarks' school (N people x 10 requirements).
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import Any, TypeVar

import yaml

__all__ = ["REQUIREMENTS_PER_PERSON", "bench_size", "conditions", "full_size", "write_school"]

REQUIREMENTS_PER_PERSON = 10  # six policy acknowledgements and four training courses
BENCH_FULL = os.environ.get("COMPLIANCE_BOT_BENCH", "").lower() == "full"
CALIBRATION_STEPS = 1_000_000
T = TypeVar("T")


def bench_size(ci: T, full: T) -> T:
    """A benchmark's size: ``ci`` (what CI runs: enough to prove correctness, in seconds), or
    ``full`` when ``COMPLIANCE_BOT_BENCH=full`` (the sizes the README's figures are quoted at)."""
    return full if BENCH_FULL else ci


def conditions() -> str:
    """One line to print beside a benchmark's figures: the size it ran at, a fixed pure-Python
    loop's CPU and wall milliseconds (the calibration), the load average against the cores; and,
    on a machine too busy to measure, that the figures are not a measurement."""
    cpu, wall = time.process_time(), time.perf_counter()
    total = 0
    for i in range(CALIBRATION_STEPS):
        total += i * i
    cpu, wall = (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000
    cores, load = os.cpu_count() or 1, os.getloadavg()[0]
    busy = load > cores or wall > 1.5 * cpu  # more work than cores, or the loop got < 2/3 of one
    return (
        f"[bench {'full' if BENCH_FULL else 'ci'} size; calibration {CALIBRATION_STEPS:,} "
        f"steps {cpu:.0f} ms CPU, {wall:.0f} ms wall; load {load:.1f} on {cores} cores"
        + (
            "; BUSY: the figures are not a measurement (correctness is still checked)]"
            if busy
            else "]"
        )
    )


def full_size(default: int, full: int) -> int:
    """``full`` when COMPLIANCE_BOT_FULL_SIZE is set to 1/true/yes, else ``default``."""
    wanted = os.environ.get("COMPLIANCE_BOT_FULL_SIZE", "").lower() in ("1", "true", "yes")
    return full if wanted else default


def write_school(
    home: Path, people: int, *, published: str = "2026-11-02", school: dict[str, Any] | None = None
) -> None:
    """Write school.yaml, six policies and a directory of ``people`` staff into ``home``;
    ``school`` adds keys to the school's entry (e.g. its DSL).

    Everyone is staff in "All Staff" and one of 40 teams, managed by person 0 (the head).
    The directory is written row by row, so a 100,000-person school costs no memory here.
    """
    home.mkdir(parents=True, exist_ok=True)
    (home / "policies").mkdir(exist_ok=True)
    with (home / "directory.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "roles", "groups", "manager_email"])
        for i in range(people):
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
    for n in range(6):
        (home / "policies" / f"p{n}.md").write_text(f"# Policy {n}\n", encoding="utf-8")
        policies.append(
            {
                "id": f"p{n}",
                "title": f"Policy {n}",
                "version": "1",
                "document": f"policies/p{n}.md",
                "published": published,
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
    for n in range(4):
        requirements.append(
            {
                "id": f"train-{n}",
                "kind": "complete_training",
                "course": f"Course {n}",
                "audience": {"groups": ["All Staff"]},
            }
        )
    entry = {
        "id": "bench",
        "name": "Benchmark Academy",
        "headteacher": "p0@bench.example",
        "policies": policies,
        "requirements": requirements,
        **(school or {}),
    }
    (home / "school.yaml").write_text(
        yaml.safe_dump({"organisation": {"name": "Bench"}, "schools": [entry]}), encoding="utf-8"
    )
