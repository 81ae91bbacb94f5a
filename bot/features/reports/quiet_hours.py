"""A report's clocks in quiet hours (pure: data and ``now`` in): the school's working hours,
which escalations may break them and which wait for the morning or the next working day, and
the escalation stage a clock has reached by ``now``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta

from bot.core.config import ClockRule, SchoolConfig
from bot.core.days.clock import LONDON
from bot.features.reports.rules import next_working_day_at

__all__ = [
    "NIGHT_ENDS",
    "NIGHT_STARTS",
    "WARNINGS_JOIN",
    "breaks_quiet_hours",
    "escalation_stage",
    "in_working_hours",
    "night_wait",
    "overdue_round",
    "quiet_hours_wait",
    "working_hours_resume",
]


def in_working_hours(school: SchoolConfig, moment: datetime) -> bool:
    """Whether ``moment`` falls in the school's working hours on a working day (bank holidays,
    Christmas Day among them, and weekends are quiet all day)."""
    local = moment.astimezone(LONDON)
    start, end = school.reports.clocks.working_window
    return school.is_working_day(local.date()) and start <= local.time() <= end


def working_hours_resume(school: SchoolConfig, moment: datetime) -> datetime:
    """``moment`` itself inside working hours, else the next start of working hours."""
    if in_working_hours(school, moment):
        return moment
    start = school.reports.clocks.working_window[0]
    return next_working_day_at(school, moment.astimezone(LONDON), start)


def breaks_quiet_hours(
    kind: str, rule: ClockRule, urgency: str, stage: int, warn_at: Sequence[float]
) -> bool:
    """Whether a clock's escalation goes outside working hours: an immediate report's
    hour-counted triage (its hour) up to its first "deadline passed", at any hour — the only
    clock that may wake anyone — and the ICO's calendar hours about to run out (its final
    warning and the first "deadline passed") at a weekend or on a bank holiday, though never
    at night (``night_wait``). The staff route's clock ends in office hours (``clock_due``) and
    day-counted clocks at the end of a working day, so their warnings wait; so do the overdue
    reminders after the first, whatever the clock: the team already knows the deadline
    passed."""
    if not rule.hours or stage > len(warn_at) + 1:
        return False
    if kind == "triage":
        return urgency == "immediate"
    return kind == "ico" and stage >= len(warn_at)


# the night, when nobody is woken for a clock but an immediate report's hour (22:00 to 07:00)
NIGHT_STARTS = time(22, 0)
NIGHT_ENDS = time(7, 0)


def night_wait(moment: datetime, due: datetime) -> datetime:
    """``moment`` itself outside the night, else 07:00 after it — or 21:59 before it when
    07:00 would be at or past ``due`` (a warning must come before the deadline it warns of).

    Example: an ICO breach found Monday 10:00 is due Thursday 10:00; its 90 % warning falls
    Thursday 02:48 and goes at 07:00. Found Monday 06:00, the warning (Wednesday 22:48) goes
    Wednesday 21:59, since Thursday 07:00 is after the deadline (06:00)."""
    local = moment.astimezone(LONDON)
    if NIGHT_ENDS <= local.time() < NIGHT_STARTS:
        return moment
    day = local.date() + timedelta(days=1 if local.time() >= NIGHT_STARTS else 0)
    morning = datetime.combine(day, NIGHT_ENDS, tzinfo=LONDON).astimezone(UTC)
    if morning < due or moment >= due:
        return morning
    evening = datetime.combine(day - timedelta(days=1), NIGHT_STARTS, tzinfo=LONDON)
    return (evening - timedelta(minutes=1)).astimezone(UTC)


# a warning within this of a held warning's release goes with it (``escalation_stage``)
WARNINGS_JOIN = timedelta(hours=1)


def escalation_stage(
    started: datetime,
    due: datetime,
    now: datetime,
    *,
    warn_at: Sequence[float] = (0.5, 0.9),
    every: timedelta = timedelta(hours=24),
    cap: int = 5,
    wait: Callable[[datetime, int], datetime] | None = None,
) -> int:
    """0 before the first warning; 1..len(warn_at) as each share of the time goes; then
    len(warn_at) + n for the n-th overdue reminder (the first at the deadline, each next one
    ``every`` after the one before, at most ``cap``), so a clock that stays overdue is chased on
    a cap, never silently dropped.

    ``wait(moment, stage)`` says when a stage that falls at ``moment`` may go (quiet hours:
    ``quiet_hours_wait``); a held overdue reminder pushes the next one back with it, so none is
    skipped and none comes sooner than ``every`` after the one before. A warning that falls
    within ``WARNINGS_JOIN`` of a held warning's release goes with it: one message naming the
    deadline, not two of the same words minutes apart.
    """

    def when(moment: datetime, stage: int) -> datetime:
        return wait(moment, stage) if wait is not None else moment

    total = (due - started).total_seconds()
    warned = 0
    released: datetime | None = None  # when the last warning held for working hours goes
    for number, point in enumerate(warn_at, start=1):
        at = started + timedelta(seconds=total * point) if total > 0 else started
        goes = when(at, number)
        if released is not None and at <= released + WARNINGS_JOIN:
            goes = min(goes, released)
        elif goes > at:
            released = goes
        if goes <= now:
            warned = number
    stage = warned
    at = due
    for round_ in range(1, cap + 1):
        sent = when(at, len(warn_at) + round_)
        if sent > now:
            break
        stage = len(warn_at) + round_
        at = sent + every
    return stage


def quiet_hours_wait(
    school: SchoolConfig, kind: str, rule: ClockRule, urgency: str, due: datetime
) -> Callable[[datetime, int], datetime] | None:
    """The ``wait`` for ``escalation_stage`` under the school's quiet hours (None when they
    are off): a stage that breaks them goes when it falls (an ICO stage out of the night,
    ``night_wait``), any other at the next start of working hours."""
    clocks = school.reports.clocks
    if not clocks.quiet_hours:
        return None

    def wait(moment: datetime, stage: int) -> datetime:
        if not breaks_quiet_hours(kind, rule, urgency, stage, clocks.warn_at):
            return working_hours_resume(school, moment)
        return moment if kind == "triage" else night_wait(moment, due)

    return wait


def overdue_round(stage: int, warn_at: Sequence[float]) -> int:
    """Which overdue reminder a stage is (0 for a warning before the deadline)."""
    return max(stage - len(warn_at), 0)
