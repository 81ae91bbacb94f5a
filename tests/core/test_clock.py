"""Sending windows in Europe/London stay at 08:00 local across the clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.core.config import SchoolConfig
from bot.core.days.clock import last_school_day, local_today, send_after

SCHOOL = SchoolConfig.model_validate({"id": "s", "name": "S", "headteacher": "h@x.org"})


def test_window_opens_at_eight_local_either_side_of_the_october_change() -> None:
    before = send_after(SCHOOL, date(2026, 10, 23), datetime(2026, 10, 23, 5, 0, tzinfo=UTC))
    after = send_after(SCHOOL, date(2026, 10, 26), datetime(2026, 10, 26, 5, 0, tzinfo=UTC))
    assert before == datetime(2026, 10, 23, 7, 0, tzinfo=UTC)  # BST: 08:00 = 07:00 UTC
    assert after == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # GMT: 08:00 = 08:00 UTC


def test_march_change_and_after_hours_roll_to_next_school_day() -> None:
    friday_evening = datetime(2027, 3, 26, 18, 30, tzinfo=UTC)
    # Good Friday evening: Easter Monday is a bank holiday, so Tuesday after the change, 08:00 BST
    assert send_after(SCHOOL, date(2027, 3, 26), friday_evening) == datetime(
        2027, 3, 30, 7, 0, tzinfo=UTC
    )


def test_local_today_near_midnight() -> None:
    assert local_today(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)
    assert local_today(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2026, 12, 31)


def test_last_school_day_on_a_sunday() -> None:
    assert last_school_day(SCHOOL, date(2026, 11, 22)) == date(2026, 11, 20)


def test_a_missed_friday_caught_up_on_saturday_waits_for_monday() -> None:
    """Quiet hours are judged when the message is queued: Friday's reminders, caught up by a
    sweep on Saturday 10:00, go at Monday's 08:00, not on Saturday."""
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert send_after(SCHOOL, date(2026, 11, 20), saturday) == datetime(
        2026, 11, 23, 8, 0, tzinfo=UTC
    )


def test_a_missed_day_caught_up_in_a_school_days_window_goes_now() -> None:
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert send_after(SCHOOL, date(2026, 11, 23), tuesday) == tuesday
