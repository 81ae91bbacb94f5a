"""The board pack's small counts stay hidden whatever is added up (#94): over generated trusts,
every count the pack hides has at least two values that agree with everything it shows (each
school's counts and labels, the trust's totals, allegations among concerns, referrals at
least those missed or running), worked out here by enumeration, not by the rule's own sums.
And the boundary: a school's 4 is never printed, a 5 is never "fewer than 5"."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.trust.board import (
    FEWER_THAN_5,
    NOT_SHOWN,
    Clocks,
    SchoolBoard,
    board_csv,
    protect,
    shown_count,
    total,
)

DAY = date(2026, 9, 1)


def _school(name: str, concerns: int, allegations: int, referrals: Clocks) -> SchoolBoard:
    return SchoolBoard(
        name=name,
        term="Autumn 2026",
        term_start=DAY,
        term_end=date(2026, 12, 18),
        staff=10,
        training=None,
        acknowledged=None,
        reading=None,
        scr_gaps=None,
        concerns=concerns,
        allegations=allegations,
        referrals=referrals,
        breaches=Clocks(),
        policies_overdue=None,
    )


def _domain(row: SchoolBoard, key: str, value: int, cap: int) -> range:
    """What a reader knows of one count from its cell alone (referrals: from those met in
    time, ``_agrees``)."""
    if key == "referrals" and key in row.hidden:
        return range(cap + 1)
    shown = shown_count(value, row, key)
    if shown == FEWER_THAN_5:
        return range(5)
    if shown == NOT_SHOWN:
        return range(5, cap + 1)
    return range(value, value + 1)


def _feasible(
    rows: Sequence[SchoolBoard], whole: SchoolBoard, keys: tuple[str, ...], figures: dict
) -> list[dict[str, set[int]]]:
    """Each school's values of ``keys`` that some whole table agreeing with what is shown
    allows (enumerated: each school's candidates, then the shown totals reached by the
    others' sums)."""
    cap = sum(figures[k](r) for r in rows for k in keys) + 5
    shown_totals = {k: figures[k](whole) for k in keys if k not in whole.hidden}
    candidates = []
    for r in rows:
        found = []
        domains = [_domain(r, k, figures[k](r), cap) for k in keys]
        for values in itertools.product(*domains):
            named = dict(zip(keys, values, strict=True))
            if _agrees(r, named):
                found.append(values)
        candidates.append(found)
    result = []
    for i in range(len(rows)):
        reach = {tuple(0 for _ in keys)}
        for j, found in enumerate(candidates):
            if j != i:
                reach = {
                    tuple(a + b for a, b in zip(s, c, strict=True))
                    for s in reach
                    for c in found
                    if all(
                        s[n] + c[n] <= shown_totals[k]
                        for n, k in enumerate(keys)
                        if k in shown_totals
                    )
                }
        ok: dict[str, set[int]] = {k: set() for k in keys}
        for c in candidates[i]:
            if any(
                all(s[n] + c[n] == shown_totals[k] for n, k in enumerate(keys) if k in shown_totals)
                for s in reach
            ):
                for n, k in enumerate(keys):
                    ok[k].add(c[n])
        result.append(ok)
    return result


def _agrees(row: SchoolBoard, named: dict[str, int]) -> bool:
    """A school's candidate values agree with its own shown cells."""
    if "allegations" in named and named["allegations"] > named["concerns"]:
        return False
    if "referrals" in named:
        missed = row.referrals.late + row.referrals.running
        in_time = named["referrals"] - missed
        met = shown_count(row.referrals.in_time, row, "referrals")
        return (
            in_time >= 0
            and (met != FEWER_THAN_5 or in_time < 5)
            and (met != NOT_SHOWN or in_time >= 5)
            and (not isinstance(met, int) or in_time == met)
        )
    return True


FIGURES = {
    "concerns": lambda r: r.concerns,
    "allegations": lambda r: r.allegations,
    "referrals": lambda r: r.referrals.started,
}

school = st.tuples(
    st.integers(0, 8), st.integers(0, 8), st.integers(0, 6), st.integers(0, 2), st.integers(0, 1)
)


@settings(max_examples=150, deadline=None)
@given(st.lists(school, min_size=1, max_size=4))
def test_no_hidden_count_can_be_worked_out_from_what_is_shown(
    drawn: list[tuple[int, int, int, int, int]],
) -> None:
    rows = [
        _school(f"S{i}", max(c, a), min(c, a), Clocks(met, late, running))
        for i, (c, a, met, late, running) in enumerate(drawn)
    ]
    shown, whole = protect(rows, total(rows, "Trust"))
    assert whole is not None
    checks = (("concerns", "allegations"), ("referrals",))
    for keys in checks:
        for row, ok in zip(shown, _feasible(shown, whole, keys, FIGURES), strict=True):
            for key in keys:
                value = FIGURES[key](row)
                assert value in ok[key], (key, row.name, drawn)  # the truth is feasible
                if key in row.hidden:
                    assert len(ok[key]) >= 2, (key, row.name, sorted(ok[key]), drawn)
                else:
                    assert value >= 5 or key in row.hidden
    for key in FIGURES:  # a hidden total: the schools' own cells never tell it
        if key in whole.hidden:
            assert any(key in r.hidden for r in shown)


def _csv(counts: list[int]) -> dict[str, dict[str, str]]:
    rows = [_school(f"S{i}", c, 0, Clocks()) for i, c in enumerate(counts)]
    shown, whole = protect(rows, total(rows, "Trust"))
    assert whole is not None
    text = board_csv([(r, None) for r in [*shown, whole]])
    return {row["school"]: row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}


def test_a_four_is_never_printed_and_a_five_never_fewer_than_five() -> None:
    # one small count: the total would tell it, so the next smallest is hidden with it
    rows = _csv([4, 12, 20])
    assert [rows[s]["concerns_opened"] for s in ("S0", "S1", "S2", "trust")] == [
        "fewer than 5",
        "not shown",
        "20",
        "36",
    ]
    rows = _csv([5, 12])
    assert [rows[s]["concerns_opened"] for s in ("S0", "S1", "trust")] == ["5", "12", "17"]
    # two small counts of 0 would be told by a total of 0: the total is not shown
    rows = _csv([0, 0])
    assert [rows[s]["concerns_opened"] for s in ("S0", "S1", "trust")] == [
        "fewer than 5",
        "fewer than 5",
        "not shown",
    ]
    # 12 = 4 + 3 + 5: a 5 hidden beside a 4 would be told (4 + 5 + 0 is the only way to 9 with
    # it at least 5 and the 4 under 5 is not): hidden as "not shown", never "fewer than 5"
    for counts in ([4, 5], [4, 5, 9], [3, 5, 5]):
        rows = _csv(counts)
        for i, count in enumerate(counts):
            said = rows[f"S{i}"]["concerns_opened"]
            assert said != "4" and (count < 5) == (said == "fewer than 5"), (counts, rows)
