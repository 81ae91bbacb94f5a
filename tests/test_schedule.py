"""The heaviest modules are handed to the workers first (tests/support/schedule.py), and the
table that names them stays true: every listed module exists, and a module CI timed as heavy
but not listed is a warning (as tests/test_ci_budget.py's budget is)."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass

import pytest

from tests.support.paths import REPO
from tests.support.schedule import HEAVY, HEAVY_SECONDS, heaviest_first
from tests.test_ci_budget import OUT, OverBudget, per_test


@dataclass
class Item:
    nodeid: str


def test_every_listed_module_exists_once() -> None:
    assert [m for m in HEAVY if not (REPO / m).is_file()] == []
    assert [m for m, n in Counter(HEAVY).items() if n > 1] == []


def test_listed_modules_go_first_then_the_most_tests_and_each_module_stays_whole() -> None:
    light, lighter = "tests/a/test_light.py", "tests/a/test_lighter.py"
    ids = [
        f"{lighter}::test_one",
        f"{HEAVY[1]}::test_x[sqlite]",
        f"{light}::Case::test_one",
        f"{HEAVY[0]}::test_y",
        f"{light}::test_two",
        f"{HEAVY[1]}::test_x[postgres]",
    ]
    assert [i.nodeid for i in heaviest_first([Item(i) for i in ids])] == [
        f"{HEAVY[0]}::test_y",
        f"{HEAVY[1]}::test_x[sqlite]",
        f"{HEAVY[1]}::test_x[postgres]",
        f"{light}::Case::test_one",
        f"{light}::test_two",
        f"{lighter}::test_one",
    ]


def test_xdist_keeps_the_order_it_is_given(request: pytest.FixtureRequest) -> None:
    """xdist's own reorder (scopes by number of tests) would undo the order (conftest.py)."""
    assert getattr(request.config.option, "loadscopereorder", False) is False


def test_ci_s_heavy_modules_are_listed() -> None:
    """Whatever CI's last junit holds (nothing outside CI): a heavy module not listed in
    HEAVY is a warning, never a failure."""
    junit = OUT / "junit.xml"
    tests = per_test(junit.read_text(encoding="utf-8")) if junit.exists() else {}
    seconds: Counter[str] = Counter()
    for name, spent in tests.items():
        parts = name.split("::")[0].split(".")
        seconds["/".join(p for p in parts if not p[:1].isupper()) + ".py"] += spent
    for module, spent in seconds.most_common():
        if spent >= HEAVY_SECONDS and module not in HEAVY:
            warnings.warn(
                f"{module}: {spent:.0f} s in CI; list it in tests/support/schedule.py's HEAVY",
                OverBudget,
                stacklevel=1,
            )
