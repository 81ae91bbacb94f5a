"""The whole 2026-27 school year per nation, every calendar day, through the real sweep (see
``tests/engine/test_school_year_nations.py`` for what is walked and checked). Opt-in: several
minutes per nation. ``uv run pytest -n 0 tests/benchmarks/test_school_year_nations_benchmark.py
-s`` prints each year's figures (emails per person per week, review emails per governor)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.engine.test_school_year_nations import NATIONS, check_and_report, walk
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder

pytestmark = pytest.mark.benchmark

YEARS = {
    "england": (date(2026, 9, 1), date(2027, 7, 31)),
    "wales": (date(2026, 9, 1), date(2027, 7, 31)),
    "scotland": (date(2026, 8, 17), date(2027, 7, 31)),
    "northern-ireland": (date(2026, 9, 1), date(2027, 7, 31)),
}


@pytest.mark.parametrize("nation", list(YEARS))
def test_a_school_year_keeps_its_promises(
    nation: str, school: SchoolBuilder, sqlite_url: str, frozen_clock: FrozenClock
) -> None:
    first, last = YEARS[nation]
    year = walk(school, sqlite_url, frozen_clock, nation, first, last)
    names = {str(t["name"]) for t in NATIONS[nation]["terms"]}  # type: ignore[attr-defined]
    # half terms of one term key as the term ('Autumn 1' + 'Autumn 2' = 'Autumn')
    names |= {n.rsplit(" ", 1)[0] for n in names}
    check_and_report(year, nation, names)
