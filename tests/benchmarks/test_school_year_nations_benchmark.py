"""A school year per nation, every calendar day, through the real sweep (see
``tests/engine/test_school_year_nations.py`` for what is walked and checked). With
``COMPLIANCE_BOT_BENCH=full`` the whole 2026-27 year (several minutes per nation); else four to
seven weeks each, around days that set the nations apart (long enough for the walk's five
awkward complaints): England's Christmas break, Wales's Easter, Scotland's St Andrew's Day
(taught through) into its Christmas break, Northern Ireland's St Patrick's Day and Easter.
``uv run pytest -n 0 tests/benchmarks/test_school_year_nations_benchmark.py -s`` prints each
walk's figures (emails per person per week, review emails per governor)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.engine.test_school_year_nations import NATIONS, check_and_report, walk
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder
from tests.support.scale import bench_size

pytestmark = pytest.mark.benchmark

# each nation's stretch in CI (the islands' own days: Liberation Day in Jersey and Guernsey,
# the Spring bank holiday and half term, the TT week in Man); the whole year at full size
CI_STRETCHES = {
    "england": (date(2026, 12, 14), date(2027, 1, 8)),
    "wales": (date(2027, 3, 15), date(2027, 4, 20)),
    "scotland": (date(2026, 11, 23), date(2027, 1, 8)),
    "northern-ireland": (date(2027, 3, 1), date(2027, 4, 9)),
    "jersey": (date(2027, 4, 26), date(2027, 6, 11)),
    "guernsey": (date(2027, 4, 12), date(2027, 5, 21)),
    "isle-of-man": (date(2027, 5, 24), date(2027, 7, 9)),
}
YEARS = {
    nation: bench_size(
        stretch,
        (date(2026, 8, 17) if nation == "scotland" else date(2026, 9, 1), date(2027, 7, 31)),
    )
    for nation, stretch in CI_STRETCHES.items()
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


@pytest.mark.parametrize("nation", ["england", "jersey"])
def test_an_independent_schools_year_tells_its_proprietor_body(
    nation: str, school: SchoolBuilder, sqlite_url: str, frozen_clock: FrozenClock
) -> None:
    """An independent school (``independent: true``), its policies approved by default by "the
    proprietor": each of its proprietor body's eight members gets every review email the chair
    gets (a governor's share elsewhere), and nothing it is sent says governors."""
    first, last = YEARS[nation]
    year = walk(school, sqlite_url, frozen_clock, nation, first, last, independent=True)
    names = {str(t["name"]) for t in NATIONS[nation]["terms"]}  # type: ignore[attr-defined]
    names |= {n.rsplit(" ", 1)[0] for n in names}
    check_and_report(year, f"{nation} (independent)", names)
