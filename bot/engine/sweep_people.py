"""The sweep's people steps, first in every school's sweep: the directory, the people outside
it, the MIS. A read that would make too many people missing changes nobody and holds the
school's directory (``hold``)."""

from __future__ import annotations

import logging

from bot.core.deployment.context import StepContext
from bot.core.models import Person, PersonGroup, PersonRole
from bot.core.ports import ConnectorError
from bot.engine.directory import sync_directory, takes_unnamed
from bot.engine.directory_report import DirectoryReport
from bot.engine.extra_people import sync_extra_people
from bot.engine.mis import ended_addresses, record_mis_error, sync_mis
from bot.engine.planner_statistics import refresh_statistics
from bot.engine.school_sweep import SchoolSweep
from bot.engine.step_failures import HELD, StepFailed

__all__ = ["extra_people", "hold", "read_directory", "read_mis"]

log = logging.getLogger(__name__)


def read_directory(c: StepContext, result: SchoolSweep) -> None:
    """The directory step: people and roles from the school's directory."""
    session, school = c.session, c.school
    shared_groups = {
        s.directory.staff_group
        for s in c.config.schools
        if s.connection == school.connection and s.directory.staff_group
    }
    try:  # in the step's own savepoint (``isolated``): a failed read is rolled back whole
        report = sync_directory(
            session,
            school,
            c.connectors.directory,
            c.today,
            # a connection's listing is its own schools': each school's staff group says
            # whose people are whose; with none named, its first school takes everyone
            default_school=takes_unnamed(c.config, school),
            not_here=ended_addresses(session, school.id, c.today),
            staff_groups=shared_groups,
            trust={
                *c.config.organisation.trust_admins,
                *c.config.organisation.trust_safeguarding_leads,
            },
        )
    except ConnectorError as exc:
        # An unreadable directory (an outage, a renamed role group, a bad file) must not stop
        # report clocks and reminders: carry on with the people already known, and say so.
        log.error(
            "school %s: directory not read, carrying on with known people: %s", school.id, exc
        )
        result.directory = DirectoryReport(complete=False, error=str(exc))
        raise  # recorded as this step failing (shown, told to the admins once)
    hold(result, report)
    result.directory = report
    refresh_statistics(session, [Person, PersonRole, PersonGroup], report.added + report.updated)


def extra_people(c: StepContext, result: SchoolSweep) -> None:
    """People outside the directory, in every mode, even when the directory was not read."""
    result.directory.absorb(
        sync_extra_people(
            c.session, c.school, c.connectors.extra_people, c.today, default_school=c.default_school
        )
    )


def read_mis(c: StepContext, result: SchoolSweep) -> None:
    """The school's MIS, when it has one: its people matched to the accounts, those with no
    account kept, accounts past their MIS end date made missing. A refusal (the school
    withdrew its approval) is kept for the admins' pages and recorded as this step failing."""
    source = c.connectors.mis.get(c.school.id)
    if source is None:
        return
    try:
        with c.session.begin_nested():
            report = sync_mis(c.session, c.school, source, c.today)
    except ConnectorError as exc:
        log.error("school %s: the MIS was not read: %s", c.school.id, exc)
        record_mis_error(c.session, c.school.id, str(exc))
        result.failed.append(StepFailed("mis", type(exc).__name__))
        return
    result.directory.absorb(report.people)
    hold(result, report.people)


def hold(result: SchoolSweep, report: DirectoryReport) -> None:
    """A read that would make too many people missing changed nobody: the school's directory
    is held (``HELD``: shown and told once) until an admin moves its people or confirms (a
    directory step that succeeds unheld ends it: ``record_steps``)."""
    if report.stopped is None:
        return
    log.warning(
        "school %s: directory held: a read would make %d of %d people missing; "
        "nobody was changed (`compliance-bot directory move` or `confirm-removals`)",
        result.school_id,
        report.stopped.would_remove,
        report.stopped.active,
    )
    result.failed.append(StepFailed(HELD, type(report.stopped).__name__))
