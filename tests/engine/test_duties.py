"""The pure duties engine and reminder cadence."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.config import Audience, Cadence, Escalation, RequirementConfig
from bot.engine.duties import plan_duties
from bot.engine.duty_facts import (
    DutyFacts,
    Evidence,
    Holding,
    PersonFacts,
    RequirementFacts,
    VersionFacts,
)
from bot.engine.periods import add_months, cycle_start
from bot.engine.reminders import next_reminder

STAFF = frozenset({"staff"})
D0 = date(2026, 9, 1)


def ack_req(**extra: object) -> RequirementFacts:
    cfg = RequirementConfig.model_validate(
        {
            "id": "ack",
            "kind": "acknowledge_policy",
            "policy": "os",
            "audience": {"roles": ["staff"]},
            "due_days": 14,
            **extra,
        }
    )
    return RequirementFacts(id=1, config=cfg, first_seen=D0)


def person(pid: int, **extra: object) -> PersonFacts:
    return PersonFacts(id=pid, email=f"p{pid}@x.org", roles=STAFF, groups=frozenset(), **extra)  # type: ignore[arg-type]


def test_ack_duty_opens_for_audience_only() -> None:
    gov = PersonFacts(id=3, email="g@x.org", roles=frozenset({"governor"}), groups=frozenset())
    plan = plan_duties(
        [ack_req()],
        [person(1), person(2), gov],
        {"os": VersionFacts(10, "os", D0)},
        [],
        Evidence(),
        [],
        {},
        D0,
    )
    assert [(d.person_id, d.cycle, d.due_on) for d in plan.to_open] == [
        (1, "v10", D0 + timedelta(days=14)),
        (2, "v10", D0 + timedelta(days=14)),
    ]


def test_new_version_supersedes_open_duty_and_opens_next() -> None:
    existing = [DutyFacts(id=5, requirement_id=1, person_id=1, cycle="v10", status="open")]
    plan = plan_duties(
        [ack_req()],
        [person(1)],
        {"os": VersionFacts(11, "os", date(2027, 3, 1))},
        [],
        Evidence(),
        existing,
        {},
        date(2027, 3, 1),
    )
    assert [(c.duty_id, c.status) for c in plan.to_close] == [(5, "superseded")]
    assert [d.cycle for d in plan.to_open] == ["v11"]


def test_evidence_closes_and_leavers_close_as_left() -> None:
    existing = [DutyFacts(5, 1, 1, "v10", "open"), DutyFacts(6, 1, 2, "v10", "open")]
    evidence = Evidence(acknowledged={(1, 10): D0 + timedelta(days=2)})
    plan = plan_duties(
        [ack_req()],
        [person(1), person(2, active=False)],
        {"os": VersionFacts(10, "os", D0)},
        [],
        evidence,
        existing,
        {},
        D0 + timedelta(days=3),
    )
    assert sorted((c.duty_id, c.status) for c in plan.to_close) == [(5, "done"), (6, "left")]
    assert plan.to_open == []


def test_new_starter_due_from_start_date() -> None:
    starter = person(1, start_date=date(2027, 1, 11))
    plan = plan_duties(
        [ack_req(new_starter_days=10)],
        [starter],
        {"os": VersionFacts(10, "os", D0)},
        [],
        Evidence(),
        [],
        {},
        date(2027, 1, 11),
    )
    assert plan.to_open[0].due_on == date(2027, 1, 21)


def test_yearly_cycle_restarts_each_september() -> None:
    req = ack_req(yearly_on="09-01")
    evidence = Evidence(acknowledged={(1, 10): date(2026, 9, 5)})
    plan = plan_duties(
        [req],
        [person(1)],
        {"os": VersionFacts(10, "os", date(2025, 9, 1))},
        [],
        evidence,
        [],
        {},
        date(2027, 9, 1),
    )
    assert plan.to_open[0].cycle == "v10:2027" and plan.to_open[0].status == "open"
    same_year = plan_duties(
        [req],
        [person(1)],
        {"os": VersionFacts(10, "os", date(2025, 9, 1))},
        [],
        evidence,
        [],
        {},
        date(2026, 10, 1),
    )
    assert same_year.to_open[0].status == "done"


def test_training_expiry_opens_renewal_then_closes_on_completion() -> None:
    cfg = RequirementConfig.model_validate(
        {
            "id": "t",
            "kind": "complete_training",
            "course": "Online safety",
            "valid_months": 12,
            "audience": {"roles": ["staff"]},
        }
    )
    req = RequirementFacts(2, cfg, D0)
    trained = Evidence(trained={(1, "online safety"): date(2026, 9, 10)})
    assert plan_duties([req], [person(1)], {}, [], trained, [], {}, date(2027, 7, 1)).to_open == []
    plan = plan_duties([req], [person(1)], {}, [], trained, [], {}, date(2027, 8, 15))
    assert [(d.cycle, d.due_on) for d in plan.to_open] == [("renew:2027-09-10", date(2027, 9, 10))]
    renewed = Evidence(trained={(1, "online safety"): date(2027, 9, 1)})
    existing = [DutyFacts(7, 2, 1, "renew:2027-09-10", "open")]
    closing = plan_duties([req], [person(1)], {}, [], renewed, existing, {}, date(2027, 9, 2))
    assert [(c.duty_id, c.status) for c in closing.to_close] == [(7, "done")]


def test_aup_per_holding_and_resign_on_new_holding() -> None:
    cfg = RequirementConfig.model_validate({"id": "aup", "kind": "sign_aup", "policy": "aup"})
    req = RequirementFacts(3, cfg, D0)
    version = {"aup": VersionFacts(20, "aup", D0)}
    signed = Evidence(signed={(1, 20): date(2026, 9, 10)})
    holdings = [Holding(100, 1, date(2026, 9, 2), "aup"), Holding(101, 1, date(2026, 10, 1), "aup")]
    plan = plan_duties([req], [person(1)], version, holdings, signed, [], {}, date(2026, 10, 1))
    states = sorted((d.account_id, d.status) for d in plan.to_open)
    assert states == [(100, "done"), (101, "open")]  # a new account needs a fresh signature


def test_plan_is_idempotent() -> None:
    people = [person(i) for i in range(1, 6)]
    versions = {"os": VersionFacts(10, "os", D0)}
    first = plan_duties([ack_req()], people, versions, [], Evidence(), [], {}, D0)
    existing = [
        DutyFacts(i, d.requirement_id, d.person_id, d.cycle, d.status)
        for i, d in enumerate(first.to_open)
    ]
    second = plan_duties([ack_req()], people, versions, [], Evidence(), existing, {}, D0)
    assert second.to_open == [] and second.to_close == []


CADENCE = Cadence(
    before_due=(14, 3),
    on_due=True,
    overdue_every_days=7,
    max_reminders=8,
    escalate=(
        Escalation(after_overdue=3, to="line_manager"),
        Escalation(after_overdue=5, to="headteacher"),
    ),
)


Sent = list[tuple[date, str, tuple[str, ...]]]


def walk(opened: date, due: date, days: int, school_day: object = None) -> Sent:
    sent: list[tuple[date, str, tuple[str, ...]]] = []
    last, count = -1, 0
    for offset in range(days):
        today = opened + timedelta(days=offset)
        if school_day is not None and not school_day(today):  # type: ignore[operator]
            continue
        reminder = next_reminder(opened, due, last, count, CADENCE, today)
        if reminder:
            sent.append((today, reminder.label, reminder.copy))
            last, count = reminder.stage, count + 1
    return sent


def test_cadence_ask_then_14_3_due_weekly_with_escalation_and_cap() -> None:
    opened = date(2026, 9, 1)
    due = opened + timedelta(days=21)
    sent = walk(opened, due, 120)
    assert [(d - due).days for d, _, _ in sent] == [-21, -14, -3, 0, 7, 14, 21, 28]
    assert [label for _, label, _ in sent] == [
        "ask",
        "before:14",
        "before:3",
        "due",
        "overdue:1",
        "overdue:2",
        "overdue:3",
        "overdue:4",
    ]
    assert sent[6][2] == ()  # the 3rd overdue reminder copies nobody yet
    assert sent[7][2] == ("line_manager",)  # after the 3rd: the line manager
    assert len(sent) == CADENCE.max_reminders


def test_missed_stages_on_holidays_send_only_the_latest() -> None:
    opened = date(2026, 10, 12)
    due = date(2026, 10, 28)  # half term 26-30 October
    half_term = {date(2026, 10, 26) + timedelta(days=i) for i in range(5)}
    sent = walk(opened, due, 30, lambda d: d.weekday() < 5 and d not in half_term)
    labels = [(d.isoformat(), label) for d, label, _ in sent]
    assert labels[:2] == [("2026-10-12", "ask"), ("2026-10-14", "before:14")]
    assert ("2026-11-02", "due") in labels  # due fell in half term: sent once, next school day
    assert not any(d in half_term for d, _, _ in sent)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=1, max_value=120),
)
def test_add_months_never_raises_and_lands_in_the_right_month(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day


def test_cycle_start() -> None:
    assert cycle_start(date(2026, 11, 22), "09-01") == date(2026, 9, 1)
    assert cycle_start(date(2027, 3, 1), "09-01") == date(2026, 9, 1)


def test_audience_by_group_and_person_with_exclusion() -> None:
    cfg = RequirementConfig.model_validate(
        {
            "id": "a",
            "kind": "acknowledge_policy",
            "policy": "os",
            "audience": {"groups": ["Office"], "people": ["p2@x.org"], "exclude": ["p3@x.org"]},
        }
    )
    people = [
        PersonFacts(1, "p1@x.org", frozenset(), frozenset({"Office"})),
        PersonFacts(2, "p2@x.org", frozenset(), frozenset()),
        PersonFacts(3, "p3@x.org", frozenset(), frozenset({"Office"})),
    ]
    plan = plan_duties(
        [RequirementFacts(1, cfg, D0)],
        people,
        {"os": VersionFacts(1, "os", D0)},
        [],
        Evidence(),
        [],
        {},
        D0,
    )
    assert sorted(d.person_id for d in plan.to_open) == [1, 2]
    assert Audience().roles == []


def test_due_dates_move_off_weekends_and_holidays() -> None:
    from bot.core.config import SchoolConfig

    school = SchoolConfig.model_validate(
        {"id": "s", "name": "S", "headteacher": "h@x.org", "inset_days": ["2026-11-23"]}
    )
    friday = date(2026, 11, 6)  # +14 days = Friday 20th (fine); +15 = Saturday 21st
    plan = plan_duties(
        [ack_req(due_days=15)],
        [person(1)],
        {"os": VersionFacts(10, "os", friday)},
        [],
        Evidence(),
        [],
        {},
        friday,
        school=school,
    )
    assert plan.to_open[0].due_on == date(2026, 11, 24)  # Saturday -> (INSET Monday) -> Tuesday


def test_a_new_audience_member_is_due_from_today_never_born_overdue() -> None:
    # training first configured on 1 Sep; Kit becomes an account holder on 15 Oct
    cfg = RequirementConfig.model_validate(
        {
            "id": "phone",
            "kind": "complete_training",
            "course": "School phone",
            "audience": {"roles": ["account_holder"]},
            "due_days": 21,
        }
    )
    req = RequirementFacts(4, cfg, D0)
    kit = PersonFacts(
        id=1, email="kit@x.org", roles=frozenset({"account_holder"}), groups=frozenset()
    )
    today = date(2026, 10, 15)
    [new] = plan_duties([req], [kit], {}, [], Evidence(), [], {}, today).to_open
    assert (new.opened_on, new.due_on) == (today, today + timedelta(days=21))


def test_a_version_learnt_of_late_is_due_its_full_allowance_from_today() -> None:
    today = date(2026, 10, 1)
    [new] = plan_duties(
        [ack_req()], [person(1)], {"os": VersionFacts(10, "os", D0)}, [], Evidence(), [], {}, today
    ).to_open
    assert (new.opened_on, new.due_on) == (today, date(2026, 10, 15))


def test_a_new_holding_is_due_from_its_day_and_a_future_starter_from_their_start() -> None:
    cfg = RequirementConfig.model_validate(
        {"id": "aup", "kind": "sign_aup", "policy": "aup", "due_days": 10}
    )
    req = RequirementFacts(3, cfg, D0)
    version = {"aup": VersionFacts(20, "aup", D0)}
    today = date(2026, 11, 2)
    holdings = [
        Holding(100, 1, date(2026, 9, 2), "aup"),  # recorded late: asked from today
        Holding(101, 2, today, "aup"),
    ]
    starter = person(2, start_date=date(2026, 11, 9))
    plan = plan_duties([req], [person(1), starter], version, holdings, Evidence(), [], {}, today)
    dates = {d.person_id: (d.opened_on, d.due_on) for d in plan.to_open}
    assert dates[1] == (today, date(2026, 11, 12))
    assert dates[2] == (date(2026, 11, 9), date(2026, 11, 19))  # nothing before the start date
