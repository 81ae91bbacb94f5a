"""What one sweep did for one school (``SchoolSweep``): what each step read, planned and
told, and which steps failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import partial

from bot.core.config import SchoolConfig
from bot.core.guards.forms import Text
from bot.engine.directory_report import DirectoryReport
from bot.engine.leavers import MissingPerson
from bot.engine.remind import ReminderPlanned, Told
from bot.engine.step_failures import StepFailed

__all__ = ["SchoolSweep"]


@dataclass
class SchoolSweep:
    """What one sweep did for one school."""

    school_id: str
    school_name: str
    as_of: date
    school_day: bool = False
    # what the directory step read (until it runs, or when it could not: nothing)
    directory: DirectoryReport = field(default_factory=partial(DirectoryReport, complete=False))
    warnings: list[Text] = field(default_factory=list)  # the settings' (said where shown)
    opened: int = 0
    closed: dict[str, int] = field(default_factory=dict)
    reminders: list[ReminderPlanned] = field(default_factory=list)
    told: Told = field(default_factory=Told)  # them in brief (all a trust's sweep keeps)
    overdue: int = 0
    open_duties: int = 0
    handovers: list[str] = field(default_factory=list)
    missing: list[MissingPerson] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)
    # of ``extra``: counted, not queued (a school in preview, or a dry run)
    not_queued: set[str] = field(default_factory=set)
    # the school is in preview: reminders and alerts were planned, not queued
    preview: bool = False
    failed: list[StepFailed] = field(default_factory=list)  # steps that raised, rolled back
    succeeded: list[str] = field(default_factory=list)
    # whom the duties step planned: "everyone", "changed" (``planned_people`` of them), on a
    # new day "attention" (the changed and those whose date came) or nobody ("quiet"); "" when
    # it did not run
    planned: str = ""
    planned_people: int = 0

    @classmethod
    def failed_whole(cls, school: SchoolConfig, as_of: date, error: str) -> SchoolSweep:
        """A school whose sweep failed whole (``error``: the class of what was raised)."""
        return cls(school.id, school.name, as_of, failed=[StepFailed("school", error)])
