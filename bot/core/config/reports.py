"""The report settings of school.yaml (``reports:``): the form's options, and the report clocks
— how long each runs, where a working day ends, and the working hours outside which their
reminders wait (quiet hours). The rules that use them are in ``bot.features.reports.rules``."""

from __future__ import annotations

import re
from datetime import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from bot.core.config.said import CheckError
from bot.core.language.said_forms import and_list

__all__ = ["DEFAULT_TRIAGE", "ClockRule", "ReportClocks", "ReportSettings", "WorkingHours"]


class _Strict(BaseModel):
    """As every part of school.yaml (``config._Strict``): unknown keys refused, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Urgency = Literal["immediate", "high", "normal"]


class ClockRule(_Strict):
    """How long one report clock runs: calendar ``hours``, ``working_days`` (Monday to Friday
    minus the nation's bank holidays) or ``school_days`` — exactly one. A day-counted clock runs
    to the end of its last day (``working_day_ends``), as a DSL reads "one working day";
    ``end_of_day: false`` keeps the time of day it started instead."""

    hours: int | None = Field(default=None, ge=1, le=720)
    working_days: int | None = Field(default=None, ge=1, le=10)
    school_days: int | None = Field(default=None, ge=1, le=10)
    # None (not written) means the end of the day for day-counted clocks; an export keeps only
    # what the school wrote, so a school that chose false keeps it
    end_of_day: bool | None = None
    # with ``hours``: a clock started out of office hours runs to the end of the next working
    # day instead (Wales' staff route: "within 24 hours ... next working day if out of hours")
    out_of_hours: Literal["next_working_day"] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ClockRule:
        given = [n for n in ("hours", "working_days", "school_days") if getattr(self, n)]
        if len(given) != 1:
            if given:
                raise CheckError("one_measure_got", given=and_list(given))
            raise CheckError("one_measure")
        if self.end_of_day and self.hours:
            raise CheckError("end_of_day")
        if self.out_of_hours and not self.hours:
            raise CheckError("out_of_hours")
        return self

    @property
    def ends_at_end_of_day(self) -> bool:
        """Whether the clock runs to the end of its last day (every day-counted clock unless
        the school wrote ``end_of_day: false``)."""
        return not self.hours and self.end_of_day is not False


def _clock_time_value(value: Any, name: str) -> Any:
    """A time written '17:00' (or unquoted 17:00), else a clear error naming the setting."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted ``17:00`` as 1020 (minutes): turn it back into '17:00'
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str | time) or (
        isinstance(value, str) and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value)
    ):
        raise CheckError("clock_time", name=name, value=repr(value))
    return value


class WorkingHours(_Strict):
    """When the DSL team is at work: ``start`` to ``end`` on working days (Monday to Friday
    minus the nation's bank holidays). With ``quiet_hours`` on, clock warnings and routine
    chasing that fall outside them wait for the next start (judged when they would be sent); an
    immediate report's triage hour still goes at once, up to the first "deadline passed", and
    the ICO's clock about to run out goes at weekends too, though never at night."""

    start: time = time(7, 0)
    end: time = time(19, 0)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: Any, info: ValidationInfo) -> Any:
        return _clock_time_value(value, f"working_hours {info.field_name}")

    @model_validator(mode="after")
    def _order(self) -> WorkingHours:
        if self.end <= self.start:
            raise CheckError("hours_order", end=f"{self.end:%H:%M}", start=f"{self.start:%H:%M}")
        return self


class ReportClocks(_Strict):
    """Report deadlines per kind (and triage per urgency), the warnings before a deadline and
    the chasing after it: every ``overdue_every_hours`` up to ``overdue_max`` messages."""

    ico: ClockRule = ClockRule(hours=72)
    # concerns about staff: None (not written) is the nation pack's staff-route clock
    lado: ClockRule | None = None
    triage: dict[Urgency, ClockRule] = {}
    warn_at: tuple[float, ...] = (0.5, 0.9)
    overdue_every_hours: int = Field(default=24, ge=1, le=168)
    overdue_max: int = Field(default=5, ge=1, le=20)
    working_day_ends: time = time(17, 0)
    # warnings and routine chasing wait for working hours (see ``WorkingHours``)
    quiet_hours: bool = True
    working_hours: WorkingHours = WorkingHours()

    @field_validator("working_day_ends", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        return _clock_time_value(value, "working_day_ends")

    @model_validator(mode="after")
    def _day_ends_in_working_hours(self) -> ReportClocks:
        hours = self.working_hours
        written = "working_hours" in self.model_fields_set
        if written and self.quiet_hours and not hours.start <= self.working_day_ends <= hours.end:
            raise CheckError(
                "day_ends",
                ends=f"{self.working_day_ends:%H:%M}",
                start=f"{hours.start:%H:%M}",
                end=f"{hours.end:%H:%M}",
            )
        return self

    @property
    def working_window(self) -> tuple[time, time]:
        """The working hours, from start to end inclusive, widened to take in
        ``working_day_ends`` when the school set that but not the hours (an older file's
        ``working_day_ends: '19:30'`` keeps its deadline inside them)."""
        hours = self.working_hours
        ends = self.working_day_ends
        return min(hours.start, ends), max(hours.end, ends)

    @field_validator("ico")
    @classmethod
    def _ico(cls, rule: ClockRule) -> ClockRule:
        if not rule.hours or rule.hours > 72:
            raise CheckError("ico_clock")
        return rule

    @field_validator("lado")
    @classmethod
    def _lado(cls, rule: ClockRule | None) -> ClockRule | None:
        if rule is not None and rule.school_days:
            raise CheckError("lado_clock")
        return rule

    @field_validator("warn_at")
    @classmethod
    def _fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(not 0 < v < 1 for v in value):
            raise CheckError("warn_at")
        return tuple(sorted(set(value)))


DEFAULT_TRIAGE: dict[str, ClockRule] = {
    "immediate": ClockRule(hours=1),
    "high": ClockRule(working_days=1),
    # an ordinary concern ("she is scared to go home") is not left for the holidays: the DSL is
    # on call through them, so it counts working days too
    "normal": ClockRule(working_days=1),
}


class ReportSettings(_Strict):
    """Report-form options and the report clocks."""

    allow_anonymous: bool = True
    # older files' way to count a normal report's triage in school days; when written it is
    # kept (``clocks.triage.normal`` overrides it); when not, normal counts working days
    triage_school_days: int | None = Field(default=None, ge=1, le=10)
    public_link: bool = True
    clocks: ReportClocks = ReportClocks()

    def clock_rule(self, kind: str, urgency: str, staff_route: ClockRule) -> ClockRule:
        """The rule for a clock: ICO, the staff route's (``lado``: the school's, else
        ``staff_route``, its nation's), or triage by the report's urgency."""
        if kind == "ico":
            return self.clocks.ico
        if kind == "lado":
            return self.clocks.lado or staff_route
        for level, rule in self.clocks.triage.items():
            if level == urgency:
                return rule
        if urgency == "normal" and self.triage_school_days is not None:
            return ClockRule(school_days=self.triage_school_days)
        return DEFAULT_TRIAGE.get(urgency, DEFAULT_TRIAGE["normal"])
