"""CI's time against its budget. `.ci/run` writes each phase's seconds to .ci/out/phases.tsv and
the default suite's per-test times to .ci/out/junit.xml; a phase or a test over its budget is
printed and warned about (``OverBudget``, which pyproject's filters keep a warning) and never
failed: a loaded machine is slow, not wrong. The check reads whatever the files hold when it runs:
in CI's default suite, the phases before it; in .ci/run's last phase, the whole run."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET

import pytest

from tests.support.paths import REPO

OUT = REPO / ".ci" / "out"
WHOLE_RUN, SUITE = 25 * 60, 8 * 60  # seconds: .ci/run end to end, and its default suite
ONE_TEST = 30.0  # seconds for one test of the default suite


class OverBudget(UserWarning):
    """Something CI ran took longer than its budget: worth making faster, not a failure."""


def phases(text: str) -> dict[str, float]:
    """phases.tsv: a line ``NAME<TAB>SECONDS`` per phase."""
    pairs = (line.split("\t") for line in text.splitlines() if line.strip())
    return {name: float(seconds) for name, seconds in pairs}


def per_test(xml: str) -> dict[str, float]:
    """junit.xml: each test's seconds (setup, call and teardown), by ``module::name``."""
    return {
        f"{case.get('classname')}::{case.get('name')}": float(case.get("time") or 0)
        for case in ET.fromstring(xml).iter("testcase")
    }


def over_budget(phase_seconds: dict[str, float], test_seconds: dict[str, float]) -> list[str]:
    """What went over its budget, the slowest tests first."""
    whole, suite = sum(phase_seconds.values()), phase_seconds.get("suite", 0.0)
    over = [f"the whole run: {whole:.0f} s (budget {WHOLE_RUN} s)"] if whole > WHOLE_RUN else []
    if suite > SUITE:
        over.append(f"the default suite: {suite:.0f} s (budget {SUITE} s)")
    slow = sorted(((s, name) for name, s in test_seconds.items() if s > ONE_TEST), reverse=True)
    return over + [f"{name}: {s:.1f} s (budget {ONE_TEST:.0f} s a test)" for s, name in slow]


def report(over: list[str]) -> None:
    """Print the list and warn about each line."""
    for line in over:
        print(f"over budget: {line}")
        warnings.warn(line, OverBudget, stacklevel=2)


SAMPLE_PHASES = "installs\t95\nnpm-ci\t12\npostgresql\t3\nsuite\t610\nbenchmarks\t700\n"
SAMPLE_JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.web.test_pages" name="test_quick" time="0.412"/>
<testcase classname="tests.connectors.m365.test_sharepoint" name="test_rows[a]" time="41.5"/>
<testcase classname="tests.cli.test_x" name="test_skipped"><skipped message="x"/></testcase>
</testsuite></testsuites>"""


def test_a_run_s_files_are_read_and_what_is_over_budget_listed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seconds = phases(SAMPLE_PHASES)
    tests = per_test(SAMPLE_JUNIT)
    assert seconds["suite"] == 610 and tests["tests.web.test_pages::test_quick"] == 0.412
    assert tests["tests.cli.test_x::test_skipped"] == 0
    assert over_budget(seconds, tests) == [
        "the default suite: 610 s (budget 480 s)",  # the whole run's 1,420 s is within 1,500
        "tests.connectors.m365.test_sharepoint::test_rows[a]: 41.5 s (budget 30 s a test)",
    ]
    assert over_budget({**seconds, "latency-benchmarks": 118}, {})[0] == (
        "the whole run: 1538 s (budget 1500 s)"
    )
    assert over_budget({"suite": 300}, {"tests.a::test_quick": 0.4}) == []
    with warnings.catch_warnings(record=True) as caught:  # pyproject keeps it a warning
        report(["tests.a::test_slow: 41.5 s (budget 30 s a test)"])
    assert [str(w.message) for w in caught] == ["tests.a::test_slow: 41.5 s (budget 30 s a test)"]
    assert (
        capsys.readouterr().out == "over budget: tests.a::test_slow: 41.5 s (budget 30 s a test)\n"
    )


def test_the_last_ci_run_against_its_budget() -> None:
    """Whatever .ci/out holds (nothing outside CI): each thing over budget is a warning."""
    phase_file, junit = OUT / "phases.tsv", OUT / "junit.xml"
    seconds = phases(phase_file.read_text(encoding="utf-8")) if phase_file.exists() else {}
    tests = per_test(junit.read_text(encoding="utf-8")) if junit.exists() else {}
    print(f"\n{len(seconds)} phases ({sum(seconds.values()):.0f} s), {len(tests)} tests timed")
    report(over_budget(seconds, tests))
