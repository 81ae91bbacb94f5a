"""The pure reminder rules: open duties and people in, digests (stages, items, copies) out."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.config import Cadence, Escalation, RequirementConfig, SchoolConfig
from bot.engine.reminders import (
    OpenDuty,
    Recipient,
    at_weekly_cap,
    chasing_stopped_to,
    digest_key,
    is_capped,
    plan_digests,
)

OPENED = date(2026, 9, 1)  # a Tuesday
DUE = date(2026, 9, 15)
HEAD = "head@x.org"
CADENCE = Cadence(
    before_due=(3,),
    on_due=False,
    overdue_every_days=7,
    max_reminders=4,
    escalate=(
        Escalation(after_overdue=1, to="line_manager"),
        Escalation(after_overdue=2, to="headteacher"),
    ),
)
REQUIREMENTS = {
    1: RequirementConfig.model_validate(
        {
            "id": "ack",
            "kind": "acknowledge_policy",
            "policy": "os",
            "audience": {"roles": ["staff"]},
        }
    ),
    2: RequirementConfig.model_validate(
        {
            "id": "sg",
            "kind": "complete_training",
            "course": "Safeguarding",
            "audience": {"roles": ["staff"]},
        }
    ),
}
CADENCES = {"standard": CADENCE}
PEOPLE = {
    1: Recipient(1, HEAD, "Hana Head", "Hana", None),
    2: Recipient(2, "line@x.org", "Lena Line", "Lena", 1),
    3: Recipient(3, "ben@x.org", "Ben Brook", None, 2),
}


def duty(
    did: int,
    person_id: int,
    *,
    requirement_id: int = 1,
    due_on: date = DUE,
    last_stage: int = -1,
    reminders_sent: int = 0,
) -> OpenDuty:
    """An open duty opened on OPENED."""
    return OpenDuty(
        id=did,
        person_id=person_id,
        requirement_id=requirement_id,
        cycle="v1",
        opened_on=OPENED,
        due_on=due_on,
        last_stage=last_stage,
        reminders_sent=reminders_sent,
        version_id=None,
        account_id=None,
    )


def plan(duties: list[OpenDuty], today: date) -> list[tuple[int, tuple[str, ...], tuple[str, ...]]]:
    """(person, labels, cc) of each digest."""
    return [
        (d.person.id, d.labels, d.cc)
        for d in plan_digests(duties, PEOPLE, REQUIREMENTS, CADENCES, HEAD, today)
    ]


def test_the_first_reminder_is_the_ask_and_nothing_again_until_the_next_stage() -> None:
    assert plan([duty(10, 3)], OPENED) == [(3, ("ask",), ())]
    asked = duty(10, 3, last_stage=0, reminders_sent=1)
    assert plan([asked], OPENED + timedelta(days=1)) == []
    assert plan([asked], DUE - timedelta(days=3)) == [(3, ("before:3",), ())]


def test_a_late_first_reminder_is_still_the_ask() -> None:
    assert plan([duty(10, 3)], DUE - timedelta(days=2)) == [(3, ("ask",), ())]


def test_overdue_copies_the_line_manager_then_the_head() -> None:
    sent = {"last_stage": 1, "reminders_sent": 2}
    assert plan([duty(10, 3, **sent)], DUE + timedelta(days=7)) == [(3, ("overdue:1",), ())]
    sent = {"last_stage": 2, "reminders_sent": 3}
    assert plan([duty(10, 3, **sent)], DUE + timedelta(days=14)) == [
        (3, ("overdue:2",), ("line@x.org",))
    ]
    digests = plan_digests(
        [duty(10, 3, last_stage=3, reminders_sent=3)],
        PEOPLE,
        REQUIREMENTS,
        CADENCES,
        HEAD,
        DUE + timedelta(days=21),
    )
    assert [(d.cc, d.escalated) for d in digests] == [
        (("line@x.org", HEAD), ("line_manager", "headteacher"))
    ]


def test_the_head_is_never_copied_on_their_own_reminder_nor_twice() -> None:
    overdue = {"last_stage": 3, "reminders_sent": 3}
    # Lena's manager is the head: copied once, as manager and head
    assert plan([duty(10, 2, **overdue)], DUE + timedelta(days=21)) == [
        (2, ("overdue:3",), (HEAD,))
    ]
    assert plan([duty(11, 1, **overdue)], DUE + timedelta(days=21)) == [(1, ("overdue:3",), ())]


def test_the_head_is_not_told_they_were_reported_to_themselves() -> None:
    """The demo's head got 'your line manager and the headteacher have been told' on their own
    overdue task, and no one was copied: only an escalation that reaches someone is named."""
    overdue = {"last_stage": 3, "reminders_sent": 3}
    today = DUE + timedelta(days=21)
    digests = plan_digests([duty(11, 1, **overdue)], PEOPLE, REQUIREMENTS, CADENCES, HEAD, today)
    assert [(d.cc, d.escalated) for d in digests] == [((), ())]
    digests = plan_digests([duty(10, 2, **overdue)], PEOPLE, REQUIREMENTS, CADENCES, HEAD, today)
    assert [(d.cc, d.escalated) for d in digests] == [((HEAD,), ("line_manager", "headteacher"))]


def test_an_inactive_manager_is_not_copied() -> None:
    people = {pid: p for pid, p in PEOPLE.items() if pid != 2}
    digests = plan_digests(
        [duty(10, 3, last_stage=2, reminders_sent=3)],
        people,
        REQUIREMENTS,
        CADENCES,
        HEAD,
        DUE + timedelta(days=14),
    )
    assert [(d.cc, d.escalated) for d in digests] == [((), ())]  # nobody "has been told"


def test_the_cap_stops_reminders() -> None:
    capped = duty(10, 3, last_stage=3, reminders_sent=4)
    assert plan([capped], DUE + timedelta(days=28)) == []


def test_one_digest_lists_every_open_item_and_records_only_the_due_stages() -> None:
    due_now = duty(10, 3)
    later = duty(
        11, 3, requirement_id=2, due_on=DUE + timedelta(days=30), last_stage=0, reminders_sent=1
    )
    unknown = duty(12, 3, requirement_id=99)
    leaver = duty(13, 4)
    [digest] = plan_digests(
        [due_now, later, unknown, leaver], PEOPLE, REQUIREMENTS, CADENCES, HEAD, OPENED
    )
    assert [d.id for d in digest.items] == [10, 11]
    assert digest.labels == ("ask",)
    assert digest.stage_updates() == [(10, 0, 1)]


def test_digests_follow_the_order_of_the_duties() -> None:
    duties = [duty(10, 3), duty(11, 2), duty(12, 3, requirement_id=2)]
    assert [
        d.person.id for d in plan_digests(duties, PEOPLE, REQUIREMENTS, CADENCES, HEAD, OPENED)
    ] == [3, 2]
    assert digest_key("oak", 3, OPENED) == "reminder:oak:3:2026-09-01"


def test_reminders_go_out_on_school_days_only_unless_the_window_says_otherwise() -> None:
    school = SchoolConfig.model_validate(
        {"id": "s", "name": "S", "headteacher": HEAD, "holidays": ["2026-09-01"]}
    )
    assert not school.is_sending_day(date(2026, 9, 5))  # a Saturday
    assert not school.is_sending_day(OPENED)  # a holiday
    assert school.is_sending_day(date(2026, 9, 2))
    every_day = school.model_copy(
        update={
            "sending_window": school.sending_window.model_copy(update={"school_days_only": False})
        }
    )
    assert every_day.is_sending_day(date(2026, 9, 5))


def test_a_capped_item_leaves_the_digest_while_others_are_still_chased() -> None:
    # Ben's policy item had all 4 reminders; his training item is still being chased
    capped = duty(1, 3, last_stage=5, reminders_sent=4, due_on=date(2026, 9, 8))
    chased = duty(2, 3, requirement_id=2, due_on=date(2026, 9, 18))
    [digest] = plan_digests(
        [capped, chased], PEOPLE, REQUIREMENTS, CADENCES, HEAD, date(2026, 9, 15)
    )
    assert [d.id for d in digest.items] == [2]
    assert [d.duty.id for d in digest.due] == [2]
    # once only capped items are left, the person gets no digest at all
    assert plan_digests([capped], PEOPLE, REQUIREMENTS, CADENCES, HEAD, date(2026, 9, 29)) == []


def test_nothing_is_sent_before_a_start_date_nor_about_a_duty_not_yet_open() -> None:
    starter = Recipient(4, "nia@x.org", "Nia New", "Nia", 2, start_date=date(2026, 9, 14))
    people = {**PEOPLE, 4: starter}
    early = OpenDuty(
        id=9,
        person_id=4,
        requirement_id=1,
        cycle="v1",
        opened_on=date(2026, 9, 14),
        due_on=date(2026, 9, 24),
        last_stage=-1,
        reminders_sent=0,
        version_id=None,
        account_id=None,
    )
    for day in (date(2026, 9, 10), date(2026, 9, 11)):  # 14 days before due, before she starts
        assert plan_digests([early], people, REQUIREMENTS, CADENCES, HEAD, day) == []
    [digest] = plan_digests([early], people, REQUIREMENTS, CADENCES, HEAD, date(2026, 9, 14))
    assert digest.labels == ("ask",)


def test_chasing_stopped_goes_to_the_manager_then_the_head_never_the_person() -> None:
    assert chasing_stopped_to(PEOPLE[3], PEOPLE, HEAD, "chair@x.org") == "line@x.org"
    no_manager = Recipient(5, "sam@x.org", "Sam", None, None)
    assert chasing_stopped_to(no_manager, PEOPLE, HEAD, None) == HEAD
    gone_manager = Recipient(6, "kim@x.org", "Kim", None, 99)  # manager left (not active)
    assert chasing_stopped_to(gone_manager, PEOPLE, HEAD, None) == HEAD
    assert chasing_stopped_to(PEOPLE[1], PEOPLE, HEAD, "chair@x.org") == "chair@x.org"
    assert chasing_stopped_to(PEOPLE[1], PEOPLE, HEAD, None) is None
    assert is_capped(duty(1, 3, reminders_sent=4), CADENCE)
    assert not is_capped(duty(1, 3, reminders_sent=3), CADENCE)


def test_two_digests_in_the_last_six_days_hold_a_person_for_the_weekly_limit() -> None:
    """Digest keys of the 6 days before today count; today's own, older ones and a card's
    nudge do not; a held person gets no digest today."""
    today = date(2026, 9, 14)

    def ago(person: int, days: int, school: str = "oak") -> str:
        return digest_key(school, person, today - timedelta(days=days))

    keys = [
        ago(1, 6),
        ago(1, 2),
        ago(2, 7),
        ago(2, 1),
        ago(3, 1) + ":feed",
        ago(3, 0),
        ago(3, 1, "elm"),
    ]
    assert at_weekly_cap(keys, "oak", today, 2) == {1}
    assert at_weekly_cap(keys, "oak", today, 1) == {1, 2}
    duties = [duty(1, 1), duty(2, 2)]
    due = plan_digests(duties, PEOPLE, REQUIREMENTS, CADENCES, HEAD, DUE)
    held = plan_digests(duties, PEOPLE, REQUIREMENTS, CADENCES, HEAD, DUE, held={1})
    assert [d.person.id for d in due] == [1, 2] and [d.person.id for d in held] == [2]
