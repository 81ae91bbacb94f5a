"""Statutory rules in the pure engine: a full course with a refresher (the full course counts
as the refresher), a five-yearly record check, and reading campaigns that roll over each
September and on a new edition, by audience."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from pydantic import ValidationError

from bot.core.config import RequirementConfig
from bot.engine.duties import NewDuty, Plan, plan_duties
from bot.engine.duty_facts import DutyFacts, Evidence, PersonFacts, RequirementFacts, VersionFacts

DSL = PersonFacts(1, "dsl@school.example", frozenset({"dsl", "staff"}), frozenset())
FIRST_SEEN = date(2024, 9, 1)


def req(rid: int = 1, **config: object) -> RequirementFacts:
    return RequirementFacts(rid, RequirementConfig.model_validate(config), FIRST_SEEN)


def dsl_training() -> RequirementFacts:
    return req(
        id="dsl-training",
        kind="complete_training",
        course="DSL training",
        refresher="DSL annual update",
        full_every="2 years",
        refresh_every="1 year",
        audience={"roles": ["dsl", "deputy_dsl"]},
    )


def plan(
    reqs: Sequence[RequirementFacts],
    people: Sequence[PersonFacts],
    today: date,
    *,
    trained: dict[tuple[int, str], date] | None = None,
    acknowledged: dict[tuple[int, int], date] | None = None,
    existing: Sequence[DutyFacts] = (),
    editions: dict[str, tuple[VersionFacts, ...]] | None = None,
) -> Plan:
    evidence = Evidence(acknowledged=acknowledged or {}, trained=trained or {})
    return plan_duties(reqs, people, {}, [], evidence, existing, {}, today, editions=editions)


def stored(opened: Sequence[NewDuty], first_id: int = 100) -> list[DutyFacts]:
    """The plan's new duties as the store would hold them."""
    return [
        DutyFacts(first_id + n, d.requirement_id, d.person_id, d.cycle, d.status)
        for n, d in enumerate(opened)
    ]


# --------------------------------------------------------------------------- full + refresher


def test_a_dsl_fresh_from_the_full_course_is_not_chased_for_that_years_refresher() -> None:
    trained = {(1, "dsl training"): date(2025, 10, 1)}
    for today in (date(2025, 10, 2), date(2026, 1, 15), date(2026, 8, 31)):
        assert plan([dsl_training()], [DSL], today, trained=trained).to_open == []
    # a year on, the refresher is owed (not the full course)
    due = plan([dsl_training()], [DSL], date(2026, 9, 15), trained=trained).to_open
    assert [(d.cycle, d.due_on) for d in due] == [("refresh:2026-10-01", date(2026, 10, 1))]


def test_the_full_course_taken_early_closes_an_open_refresher_and_resets_both_clocks() -> None:
    open_refresher = [DutyFacts(7, 1, 1, "refresh:2026-10-01", "open")]
    trained = {(1, "dsl training"): date(2026, 9, 20)}  # did the full course again instead
    result = plan(
        [dsl_training()], [DSL], date(2026, 9, 21), trained=trained, existing=open_refresher
    )
    assert [(c.duty_id, c.status) for c in result.to_close] == [(7, "done")]
    assert result.to_open == []
    # the next ask is the refresher a year after the full course
    later = plan([dsl_training()], [DSL], date(2027, 9, 1), trained=trained)
    assert [d.cycle for d in later.to_open] == ["refresh:2027-09-20"]


def test_a_refresher_resets_only_its_own_clock_and_the_full_course_falls_due() -> None:
    trained = {(1, "dsl training"): date(2025, 10, 1), (1, "dsl annual update"): date(2026, 9, 20)}
    assert plan([dsl_training()], [DSL], date(2026, 10, 5), trained=trained).to_open == []
    due = plan([dsl_training()], [DSL], date(2027, 9, 10), trained=trained).to_open
    # the refresher would fall due eleven days before the full course: the full course is owed
    assert [d.cycle for d in due] == ["renew:2027-10-01"]


def test_never_trained_owes_the_full_course_not_the_refresher() -> None:
    due = plan([dsl_training()], [DSL], date(2026, 9, 1)).to_open
    assert [d.cycle for d in due] == ["initial"]


def test_northern_ireland_designated_teacher_refresher_every_three_years() -> None:
    teacher = req(
        id="designated-teacher",
        kind="complete_training",
        course="Designated teacher training",
        refresher="Designated teacher refresher",
        refresh_every="3 years",
        audience={"roles": ["dsl", "deputy_dsl"]},
    )
    trained = {(1, "designated teacher training"): date(2023, 10, 1)}
    assert plan([teacher], [DSL], date(2026, 8, 1), trained=trained).to_open == []
    due = plan([teacher], [DSL], date(2026, 9, 15), trained=trained).to_open
    assert [(d.cycle, d.due_on) for d in due] == [("refresh:2026-10-01", date(2026, 10, 1))]
    # the refresher done: the next is three years on, never the two-day course again
    trained[(1, "designated teacher refresher")] = date(2026, 10, 10)
    closed = plan(
        [teacher],
        [DSL],
        date(2026, 10, 11),
        trained=trained,
        existing=[DutyFacts(9, 1, 1, "refresh:2026-10-01", "open")],
    )
    assert [(c.duty_id, c.status) for c in closed.to_close] == [(9, "done")]
    assert plan([teacher], [DSL], date(2029, 9, 1), trained=trained).to_open == []
    assert [
        d.cycle for d in plan([teacher], [DSL], date(2029, 9, 20), trained=trained).to_open
    ] == ["refresh:2029-10-10"]


def test_scotland_pvg_membership_is_a_five_yearly_record_check() -> None:
    pvg = req(
        id="pvg",
        kind="complete_training",
        course="PVG scheme membership",
        record_check=True,
        full_every="5 years",
        audience={"roles": ["staff"]},
    )
    assert pvg.config.record_check
    checked = {(1, "pvg scheme membership"): date(2026, 4, 1)}
    assert plan([pvg], [DSL], date(2031, 2, 1), trained=checked).to_open == []
    due = plan([pvg], [DSL], date(2031, 3, 10), trained=checked).to_open
    assert [(d.cycle, d.due_on) for d in due] == [("renew:2031-04-01", date(2031, 4, 1))]


def test_refresher_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="refresher"):
        RequirementConfig.model_validate(
            {"id": "x", "kind": "complete_training", "course": "C", "refresh_every": "1 year"}
        )
    with pytest.raises(ValidationError, match="shorter"):
        RequirementConfig.model_validate(
            {
                "id": "x",
                "kind": "complete_training",
                "course": "C",
                "refresher": "R",
                "refresh_every": "2 years",
                "full_every": "1 year",
            }
        )
    with pytest.raises(ValidationError, match="18 months"):
        RequirementConfig.model_validate(
            {"id": "x", "kind": "complete_training", "course": "C", "full_every": "fortnightly"}
        )
    assert (
        RequirementConfig.model_validate(
            {"id": "x", "kind": "complete_training", "course": "C", "full_every": "18 months"}
        ).full_every
        == 18
    )


# --------------------------------------------------------------------------- reading campaigns

TEACHER = PersonFacts(1, "t@school.example", frozenset({"staff"}), frozenset())
CLEANER = PersonFacts(2, "c@school.example", frozenset(), frozenset({"Site team"}))
GOVERNOR = PersonFacts(3, "g@school.example", frozenset({"governor"}), frozenset())


def kcsie() -> RequirementFacts:
    return req(
        id="read-kcsie",
        kind="reading_campaign",
        title="Keeping children safe in education",
        due_days=30,
        yearly_on="09-01",
        audiences={
            "annex-a": {"groups": ["Site team"]},
            "part-1": {"roles": ["staff", "volunteer"]},
        },
    )


P1_2025 = VersionFacts(10, "read-kcsie/part-1", date(2025, 9, 1))
AA_2025 = VersionFacts(11, "read-kcsie/annex-a", date(2025, 9, 1))
P1_2026 = VersionFacts(20, "read-kcsie/part-1", date(2026, 9, 1))
AA_2026 = VersionFacts(21, "read-kcsie/annex-a", date(2026, 9, 1))


def test_each_audience_reads_its_own_part_and_others_are_not_asked() -> None:
    editions = {"read-kcsie/part-1": (P1_2025,), "read-kcsie/annex-a": (AA_2025,)}
    result = plan([kcsie()], [TEACHER, CLEANER, GOVERNOR], date(2025, 9, 1), editions=editions)
    assert {(d.person_id, d.policy_version_id, d.kind) for d in result.to_open} == {
        (1, 10, "reading_campaign"),
        (2, 11, "reading_campaign"),
    }
    assert all(d.due_on == date(2025, 10, 1) for d in result.to_open)


def test_september_rolls_over_to_the_new_edition_and_asks_once() -> None:
    registered_in_july = {
        "read-kcsie/part-1": (P1_2025, P1_2026),
        "read-kcsie/annex-a": (AA_2025, AA_2026),
    }
    people = [TEACHER, CLEANER]
    # 2025-26: the 2025 edition asked and acknowledged by the teacher; the cleaner never did
    first = plan(
        [kcsie()],
        people,
        date(2025, 9, 1),
        editions={k: v[:1] for k, v in registered_in_july.items()},
    )
    acked = {(1, 10): date(2025, 9, 5)}
    existing = stored(first.to_open)
    settled = plan(
        [kcsie()],
        people,
        date(2025, 9, 6),
        acknowledged=acked,
        existing=existing,
        editions={k: v[:1] for k, v in registered_in_july.items()},
    )
    assert [(c.status, c.evidence_ref) for c in settled.to_close] == [("done", "ack:2025-09-05")]
    existing = [d._replace(status="done") if d.person_id == 1 else d for d in existing]
    # July: the 2026 edition is registered for 1 September; nothing new is asked yet
    july = plan(
        [kcsie()],
        people,
        date(2026, 7, 10),
        acknowledged=acked,
        existing=existing,
        editions=registered_in_july,
    )
    assert july.to_open == [] and july.to_close == []
    # 1 September: the new edition, once each; the cleaner's unread 2025 ask closes honestly
    sept = plan(
        [kcsie()],
        people,
        date(2026, 9, 1),
        acknowledged=acked,
        existing=existing,
        editions=registered_in_july,
    )
    assert sorted((d.person_id, d.cycle) for d in sept.to_open) == [
        (1, "v20:2026"),
        (2, "v21:2026"),
    ]
    assert [(c.duty_id, c.status) for c in sept.to_close] == [(101, "not_read")]
    # the next day's sweep asks nothing again
    existing = [d for d in existing if d.id != 101] + stored(sept.to_open, 200)
    again = plan(
        [kcsie()],
        people,
        date(2026, 9, 2),
        acknowledged=acked,
        existing=existing,
        editions=registered_in_july,
    )
    assert again.to_open == [] and again.to_close == []


def test_a_new_edition_registered_mid_year_closes_the_old_ask_and_opens_the_new() -> None:
    first = plan([kcsie()], [TEACHER], date(2026, 9, 1), editions={"read-kcsie/part-1": (P1_2025,)})
    assert [d.cycle for d in first.to_open] == ["v10:2026"]  # a new school year, same edition
    late = VersionFacts(30, "read-kcsie/part-1", date(2026, 9, 20))
    result = plan(
        [kcsie()],
        [TEACHER],
        date(2026, 9, 20),
        existing=stored(first.to_open),
        editions={"read-kcsie/part-1": (P1_2025, late)},
    )
    assert [(c.duty_id, c.status) for c in result.to_close] == [(100, "superseded")]
    assert [(d.cycle, d.policy_version_id) for d in result.to_open] == [("v30:2026", 30)]


def test_last_years_acknowledgement_does_not_count_for_this_year() -> None:
    editions = {"read-kcsie/part-1": (P1_2025,)}
    acked = {(1, 10): date(2025, 9, 3)}
    result = plan([kcsie()], [TEACHER], date(2026, 9, 1), acknowledged=acked, editions=editions)
    assert [(d.cycle, d.status) for d in result.to_open] == [("v10:2026", "open")]


def test_a_reading_campaign_needs_audiences() -> None:
    with pytest.raises(ValidationError, match="audiences"):
        RequirementConfig.model_validate({"id": "r", "kind": "reading_campaign"})


# --------------------------------------------------------------------------- rules that know when

SITE = PersonFacts(2, "c@school.example", frozenset({"staff"}), frozenset({"Site team"}))


def test_a_part_that_ends_is_read_no_more_and_its_readers_read_part_one() -> None:
    """KCSIE 2026 has no Annex A (``until``): from 1 September 2026 the site team, in both
    audiences, are asked to read Part one, and last year's Annex A ask closes as unread."""
    annex_ends = req(
        id="read-kcsie",
        kind="reading_campaign",
        title="Keeping children safe in education",
        due_days=30,
        yearly_on="09-01",
        audiences={
            "annex-a": {"groups": ["Site team"], "until": "2026-09-01"},
            "part-1": {"roles": ["staff"]},
        },
    )
    editions = {"read-kcsie/part-1": (P1_2025, P1_2026), "read-kcsie/annex-a": (AA_2025,)}
    before = plan([annex_ends], [TEACHER, SITE], date(2026, 8, 31), editions=editions)
    assert sorted((d.person_id, d.policy_version_id) for d in before.to_open) == [(1, 10), (2, 11)]
    after = plan(
        [annex_ends],
        [TEACHER, SITE],
        date(2026, 9, 1),
        editions=editions,
        existing=stored(before.to_open),
    )
    assert sorted((d.person_id, d.policy_version_id) for d in after.to_open) == [(1, 20), (2, 20)]
    assert sorted(c.status for c in after.to_close) == ["not_read", "not_read"]


def test_a_rule_opens_duties_from_its_first_day_and_none_from_its_last() -> None:
    """s550C is in force from 29 June 2026 (``in_force``): nothing is owed the day before; a
    rule that has ended (``until`` in the past) opens nothing and closes what it left open."""
    review = req(
        id="phone-policy-review",
        kind="recurring_task",
        title="Review",
        every="yearly",
        yearly_on="09-01",
        due_days=30,
        owners=["dsl@school.example"],
        in_force="2026-06-29",
    )
    assert plan([review], [DSL], date(2026, 6, 28)).to_open == []
    opened = plan([review], [DSL], date(2026, 6, 29)).to_open
    assert [d.person_id for d in opened] == [1]
    ended = req(
        id="dsl-training",
        kind="complete_training",
        course="DSL training",
        audience={"roles": ["dsl"]},
        until="2026-01-01",
    )
    open_duty = [DutyFacts(7, 1, 1, "initial", "open")]
    result = plan([ended], [DSL], date(2026, 3, 1), existing=open_duty)
    assert result.to_open == [] and [(c.duty_id, c.status) for c in result.to_close] == [
        (7, "not_required")
    ]
