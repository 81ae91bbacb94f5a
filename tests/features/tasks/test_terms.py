"""Termly tasks key on the school's own terms: any names, any number (four Scottish terms, five
terms, six half terms); nothing is invented before the first configured term or after the last
one, where the dashboard and ``status`` ask for next year's dates; a bank holiday can be a
school day (``open_days``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from bot.core.config import RequirementConfig, SchoolConfig
from bot.engine.duties import plan_duties
from bot.engine.duty_facts import DutyFacts, Evidence, PersonFacts, RequirementFacts
from bot.engine.periods import current_task_period
from bot.features.dashboard.rules import Figures
from bot.features.tasks.rules import cycle_label

SCOTTISH = [  # an Edinburgh-like 2026-27: four terms, none called Autumn, Spring or Summer
    {"name": "Term 1", "start": "2026-08-18", "end": "2026-10-09"},
    {"name": "Term 2", "start": "2026-10-19", "end": "2026-12-22"},
    {"name": "Term 3", "start": "2027-01-06", "end": "2027-03-31"},
    {"name": "Term 4", "start": "2027-04-19", "end": "2027-06-25"},
]
FIVE = [
    {"name": "Michaelmas", "start": "2026-09-02", "end": "2026-10-23"},
    {"name": "Advent", "start": "2026-11-02", "end": "2026-12-18"},
    {"name": "Lent", "start": "2027-01-05", "end": "2027-03-26"},
    {"name": "Easter", "start": "2027-04-12", "end": "2027-05-28"},
    {"name": "Trinity", "start": "2027-06-07", "end": "2027-07-21"},
]
HALVES = [
    (date(2026, 9, 2), date(2026, 10, 23)),
    (date(2026, 11, 2), date(2026, 12, 18)),
    (date(2027, 1, 5), date(2027, 2, 12)),
    (date(2027, 2, 22), date(2027, 3, 26)),
    (date(2027, 4, 12), date(2027, 5, 28)),
    (date(2027, 6, 7), date(2027, 7, 21)),
]


def _six(names: list[str]) -> list[dict[str, object]]:
    return [
        {"name": n, "start": s.isoformat(), "end": e.isoformat()}
        for n, (s, e) in zip(names, HALVES, strict=True)
    ]


def school(terms: list[dict[str, object]], **extra: object) -> SchoolConfig:
    return SchoolConfig.model_validate(
        {"id": "oak", "name": "Oak", "headteacher": "h@x.org", "terms": terms, **extra}
    )


def termly(**extra: object) -> RequirementConfig:
    return RequirementConfig.model_validate(
        {
            "id": "filtering",
            "kind": "recurring_task",
            "every": "termly",
            "due_days": 14,
            "title": "Check filtering and monitoring",
            "owners": ["dsl@x.org"],
            **extra,
        }
    )


def _keys(cal: SchoolConfig, first: date, last: date) -> list[str]:
    """The termly period owed on each school day from ``first`` to ``last``, in order, once."""
    keys: list[str] = []
    day = first
    while day <= last:
        period = current_task_period(termly(), day, first, cal)
        if period is not None and (not keys or keys[-1] != period.key):
            keys.append(period.key)
        day += timedelta(days=1)
    return keys


@pytest.mark.parametrize(
    ("terms", "keys"),
    [
        (SCOTTISH, ["Term 1 2026", "Term 2 2026", "Term 3 2027", "Term 4 2027"]),
        (FIVE, ["Michaelmas 2026", "Advent 2026", "Lent 2027", "Easter 2027", "Trinity 2027"]),
        (
            _six([f"Half term {n}" for n in range(1, 7)]),
            [
                "Half term 1 2026",
                "Half term 2 2026",
                "Half term 3 2027",
                "Half term 4 2027",
                "Half term 5 2027",
                "Half term 6 2027",
            ],
        ),
        (
            _six([f"HT{n}" for n in range(1, 7)]),
            ["HT1 2026", "HT2 2026", "HT3 2027", "HT4 2027", "HT5 2027", "HT6 2027"],
        ),
        # England's usual naming: two halves of one term are one termly period
        (
            _six(["Autumn 1", "Autumn 2", "Spring 1", "Spring 2", "Summer 1", "Summer 2"]),
            ["Autumn 2026", "Spring 2027", "Summer 2027"],
        ),
    ],
    ids=["4 Scottish terms", "5 terms", "6 half terms", "6 short names", "3 terms in halves"],
)
def test_termly_periods_are_the_schools_own_terms(
    terms: list[dict[str, object]], keys: list[str]
) -> None:
    cal = school(terms)
    # from a month before the first term to the summer after the last: nothing else appears
    assert _keys(cal, date(2026, 7, 15), date(2027, 8, 31)) == keys


def test_a_terms_own_name_reads_as_it_is_written() -> None:
    assert cycle_label(termly(), "Term 4 2027") == "Term 4 2027"
    assert cycle_label(termly(), "Autumn 2026") == "the Autumn 2026 term"


def _plan(
    cal: SchoolConfig, today: date, existing: list[DutyFacts], first_seen: date = date(2026, 8, 1)
) -> list[tuple[str, date, date, str]]:
    req = RequirementFacts(id=1, config=termly(), first_seen=first_seen)
    dsl = PersonFacts(id=9, email="dsl@x.org", roles=frozenset({"staff"}), groups=frozenset())
    plan = plan_duties([req], [dsl], {}, [], Evidence(), existing, {}, today, cal)
    return [(d.cycle, d.opened_on, d.due_on, "open") for d in plan.to_open] + [
        (str(c.duty_id), today, today, c.status) for c in plan.to_close
    ]


def test_past_the_last_term_nothing_is_created_or_backdated_and_dates_are_asked_for() -> None:
    cal = school(SCOTTISH)
    in_term_4 = _plan(cal, date(2027, 4, 19), [])
    # 14 days fall on Monday 3 May, a bank holiday: due the school day before
    assert in_term_4 == [("Term 4 2027", date(2027, 4, 19), date(2027, 4, 30), "open")]
    term_4 = DutyFacts(id=5, requirement_id=1, person_id=9, cycle="Term 4 2027", status="open")
    for day in (date(2027, 6, 26), date(2027, 7, 1), date(2027, 8, 31), date(2027, 12, 1)):
        assert _plan(cal, day, [term_4]) == [], day  # no "Summer 2027", no second Term 4
    # a task configured in the summer, after the last term: nothing is owed yet
    assert _plan(cal, date(2027, 7, 5), [], first_seen=date(2027, 7, 5)) == []
    # and no day past the last term is a school day (nothing is chased)
    assert not any(cal.is_school_day(date(2027, 6, 26) + timedelta(days=n)) for n in range(90))
    # the question: a month ahead, then after the end
    assert cal.term_dates_question(date(2027, 5, 20)) is None
    assert cal.term_dates_question(date(2027, 6, 1)) == (
        "Add next year's term dates: the last term you gave ends 25 June 2027"
    )
    asked = cal.term_dates_question(date(2027, 6, 28))
    assert asked is not None and asked.startswith(
        "Add next year's term dates: the last term you gave ended 25 June 2027"
    )
    figures = Figures(school_id="oak", as_of=date(2027, 6, 28), calendar_question=asked)
    assert figures.needs_attention()[0] == asked
    assert school([]).term_dates_question(date(2027, 6, 28)) is None  # no terms: not asked


def test_before_the_first_term_nothing_is_owed() -> None:
    assert _plan(school(SCOTTISH), date(2026, 8, 10), []) == []


def test_a_bank_holiday_can_be_a_school_day_and_any_day_closed() -> None:
    st_andrews = date(2026, 11, 30)  # a Monday; a bank holiday in Scotland
    plain = school(SCOTTISH, country="scotland")
    assert not plain.is_school_day(st_andrews)
    opened = school(
        SCOTTISH, country="scotland", open_days=[st_andrews.isoformat()], holidays=["2026-12-01"]
    )
    assert opened.is_school_day(st_andrews)
    assert not opened.is_school_day(date(2026, 12, 1))  # closed instead
    assert opened.next_school_day(date(2026, 11, 28)) == st_andrews
    assert opened.add_school_days(date(2026, 11, 27), 2) == date(2026, 12, 2)
    # statutory clocks still count the bank holiday as a non-working day
    assert not opened.is_working_day(st_andrews)
    # open days stay inside terms: an open day in the holidays is still a holiday
    assert not school(SCOTTISH, country="scotland", open_days=["2026-12-28"]).is_school_day(
        date(2026, 12, 28)
    )
    with pytest.raises(ValidationError, match="both an open day and a holiday"):
        school(SCOTTISH, open_days=["2026-12-01"], holidays=["2026-12-01"])
