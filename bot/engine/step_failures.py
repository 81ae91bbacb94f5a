"""Steps that fail: recorded for their school, shown, told to the school's admin once, cleared.

Each step of a school's sweep runs in isolation (``bot.engine.sweep``): one that raises is
rolled back alone, and the others — and the other schools — carry on. What failed is kept here,
one row a school and step from its first failure until the step next succeeds: the step, since
when, the error's class, how many runs failed. Never the error's text: it may quote a report or
a person. ``compliance-bot status``, the dashboard and ``/setup`` show the rows in plain words,
and the school's administrators get one email an episode, through the outbox (its key names
the school, the step and the episode's first failure).

A directory (or MIS) read that would mark too many people as gone at once changes nobody and
is *held* (``HELD``): shown the same way, in its own words, with the two commands that end it,
and mailed to the trust's administrators as well as the school's.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import to_local
from bot.core.language.i18n import N_, Msg, nmsg
from bot.core.models import StepFailure
from bot.core.outbox import Urgency, enqueue_email
from bot.core.outbox.waiting import moment_words
from bot.core.rendering.messages import notice
from bot.engine.steps import registered

__all__ = [
    "ALERT_PURPOSE",
    "ENGINE_TITLES",
    "HELD",
    "FailingStep",
    "StepFailed",
    "describe",
    "failing_steps",
    "log_failure",
    "record_steps",
    "status_line",
    "step_title",
]

log = logging.getLogger(__name__)

ALERT_PURPOSE = "step_failed"
HELD = "directory_held"  # the directory or the MIS would mark too many people gone: held
# the engine's own steps, as a head or an administrator would say them
ENGINE_TITLES = {
    HELD: N_("reading the staff directory (held: it would mark many people as gone at once)"),
    "directory": N_("reading the staff directory"),
    "extra_people": N_("adding the people kept outside the directory"),
    "mis": N_("reading the staff list from the school's MIS"),
    "settings": N_("applying the school's settings"),
    "handovers": N_("checking who holds the official accounts"),
    "duties": N_("working out who owes what and sending reminders"),
    "school": N_("saving the sweep's work"),
}


@dataclass(frozen=True)
class StepFailed:
    """A step that raised for a school in one run: its name and the error's class."""

    step: str
    error: str


@dataclass(frozen=True)
class FailingStep:
    """A step failing for a school now, as the pages and ``status`` show it."""

    school_id: str
    step: str
    title: str  # in plain words
    error: str  # the exception's class (for whoever runs the bot, not for the school)
    since: datetime
    last_at: datetime
    failures: int


def step_title(step: str) -> str:
    """A step's name in plain words ("sending the governors' review alerts")."""
    if step in ENGINE_TITLES:
        return ENGINE_TITLES[step]
    try:
        titles = registered().titles
    except RuntimeError:  # nothing registered (a tool reading the table)
        titles = {}
    return titles.get(step) or step.replace("_", " ")


def record_steps(
    session: Session,
    school: SchoolConfig,
    failed: Sequence[StepFailed],
    succeeded: Iterable[str],
    now: datetime,
    trust_admins: Sequence[str] = (),
) -> int:
    """Record one run's outcome for a school: a step that succeeded is cleared, a failing one
    is kept (an episode's first failure mails the admins; a hold the trust's admins too).
    Returns how many emails were queued."""
    done = [s for s in succeeded if s not in {f.step for f in failed}]
    if "directory" in done and HELD not in {f.step for f in failed}:
        done.append(HELD)  # the directory read went through, and nothing held it
    if done:
        session.execute(
            delete(StepFailure).where(
                StepFailure.school_id == school.id, StepFailure.step.in_(done)
            )
        )
    known = {
        row.step: row
        for row in session.scalars(select(StepFailure).where(StepFailure.school_id == school.id))
    }
    mailed = 0
    for failure in {f.step: f for f in failed}.values():
        row = known.get(failure.step)
        if row is not None:
            row.last_at, row.error, row.failures = now, failure.error[:120], row.failures + 1
            continue
        row = StepFailure(
            school_id=school.id,
            step=failure.step[:80],
            error=failure.error[:120],
            since=now,
            last_at=now,
            failures=1,
        )
        session.add(row)
        known[failure.step] = row
        trust = tuple(trust_admins) if failure.step == HELD else ()
        mailed += _tell_admins(session, school, failure.step, now, trust)
    return mailed


def _tell_admins(
    session: Session, school: SchoolConfig, step: str, since: datetime, trust: Sequence[str] = ()
) -> int:
    """The one email of an episode to the school's administrators (else the head) and
    ``trust`` (the trust's administrators, for a hold), in the school's language."""
    to = tuple(dict.fromkeys([*(school.admins or [school.headteacher]), *trust]))
    lines = _held_lines if step == HELD else _alert_lines
    subject, greeting, small, *paragraphs = lines(school, step, since)
    draft = notice(  # said in the school's language
        school=school,
        to=list(to),
        subject=subject,
        greeting=greeting,
        paragraphs=paragraphs,
        small=small,
    )
    return int(
        enqueue_email(
            session,
            school_id=school.id,
            key=f"{ALERT_PURPOSE}:{school.id}:{step}:{since.strftime('%Y%m%dT%H%M%S')}",
            purpose=ALERT_PURPOSE,
            urgency=Urgency.SAFEGUARDING if step == "report_sweep" else Urgency.WAITING,
            draft=draft,
        )
    )


def _alert_lines(school: SchoolConfig, step: str, since: datetime) -> list[Msg]:
    """The failing job's email: subject, greeting, small print, then its paragraphs."""
    local = to_local(since)
    values = {
        "day": local.date(),
        "time": f"{local:%H:%M}",
        "school": school.name,
        "job": Msg(step_title(step)),
    }
    lines = [
        Msg(N_("%(school)s: one of the bot's jobs is not working"), **values),
        Msg(N_("Hello,")),
        Msg(N_("You receive this as an administrator of the bot for the school.")),
        Msg(
            N_(
                "Since %(day)s at %(time)s, the bot has not been able to finish one of its regular "
                "jobs for %(school)s: %(job)s. Everything else it does for the school carries on, "
                "and it tries this job again every quarter of an hour."
            ),
            **values,
        ),
    ]
    if step == "report_sweep":
        lines.append(
            Msg(
                N_(
                    "This job warns about the deadlines of concerns and breaches: until it works "
                    "again, check the deadlines on the reports list yourself."
                )
            )
        )
    lines.append(
        Msg(
            N_(
                "Please tell whoever runs the bot for the school (your IT provider): they can see "
                "which job it is and what went wrong with `compliance-bot status`. You will not "
                "get "
                "this email again for this problem; the dashboard and the setup page show it until "
                "it is fixed."
            )
        )
    )
    return lines


def _held_lines(school: SchoolConfig, step: str, since: datetime) -> list[Msg]:
    """A held directory's email: subject, greeting, small print, paragraphs: what happened,
    and the two commands that end it."""
    local = to_local(since)
    values = {"day": local.date(), "time": f"{local:%H:%M}", "school": school.name, "id": school.id}
    return [
        Msg(N_("%(school)s: the staff directory is held"), **values),
        Msg(N_("Hello,")),
        Msg(N_("You receive this as an administrator of the bot for the school or the trust.")),
        Msg(
            N_(
                "Since %(day)s at %(time)s, reading %(school)s's staff directory would mark many "
                "of its people as gone at once, so the bot has changed nobody: everyone keeps "
                "their tasks and history, and reminders and report deadlines carry on."
            ),
            **values,
        ),
        Msg(
            N_(
                "If the school has moved to another Microsoft 365 tenant or Google domain (or its "
                "addresses changed), carry its people over: compliance-bot directory move "
                "--school %(id)s --to NEW-CONNECTION --map old.example=new.example --as "
                'YOUR-EMAIL (deploy/README.md, "Moving a school to another tenant"). Nobody is '
                "asked again for what they have done."
            ),
            **values,
        ),
        Msg(
            N_(
                "If those people have really left: compliance-bot directory confirm-removals "
                "--school %(id)s --as YOUR-EMAIL. To see who they are: compliance-bot directory "
                "status --school %(id)s."
            ),
            **values,
        ),
        Msg(
            N_(
                "You will not get this email again for this hold; the dashboard, the setup page "
                "and the people page show it until one of those is run."
            )
        ),
    ]


def describe(failing: FailingStep) -> Msg:
    """One failing step in plain words, for the head and the admin ("Not working since ..."),
    a held directory with what ends it."""
    local = to_local(failing.since)
    if failing.step == HELD:
        return Msg(
            N_(
                "Held since %(day)s, %(time)s: reading the staff directory would mark many people "
                "as gone at once, so nobody was changed. If the school moved tenant or domain: "
                "compliance-bot directory move --school %(id)s; if they left: compliance-bot "
                "directory confirm-removals --school %(id)s"
            ),
            day=local.date(),
            time=f"{local:%H:%M}",
            id=failing.school_id,
        )
    return Msg(
        N_("Not working since %(day)s, %(time)s: %(job)s (the bot's other jobs carry on)"),
        day=local.date(),
        time=f"{local:%H:%M}",
        job=Msg(failing.title),
    )


def status_line(failing: FailingStep) -> Msg:
    """One failing step as ``status`` shows it to whoever runs the bot: the step's code, its
    error's class and the log's English line are quoted as they are, for an administrator to
    find them."""
    return nmsg(
        "[bold red]Step failing:[/] %(step)s (%(title)s) — %(error)s, %(num)d run since "
        '%(since)s; last %(last)s. The log says where ("the sweep step %(step)s failed").',
        "[bold red]Step failing:[/] %(step)s (%(title)s) — %(error)s, %(num)d runs since "
        '%(since)s; last %(last)s. The log says where ("the sweep step %(step)s failed").',
        failing.failures,
        step=failing.step,
        title=Msg(failing.title),
        error=failing.error,
        since=moment_words(failing.since, "%d %b %Y", "dd MMM y"),
        last=moment_words(failing.last_at, "%d %b", "dd MMM"),
    )


def failing_steps(session: Session, school_id: str | None = None) -> list[FailingStep]:
    """The steps failing now (for one school, or every school), oldest episode first."""
    query = select(StepFailure).order_by(StepFailure.since, StepFailure.id)
    if school_id is not None:
        query = query.where(StepFailure.school_id == school_id)
    return [
        FailingStep(
            r.school_id, r.step, step_title(r.step), r.error, r.since, r.last_at, r.failures
        )
        for r in session.scalars(query)
    ]


def log_failure(school_id: str, step: str, exc: BaseException) -> None:
    """Log a failed step for whoever runs the bot: the class and where it was raised, never
    the error's text (it may quote a report or a person)."""
    raised = traceback.extract_tb(exc.__traceback__)[-1:]
    where = "".join(f" at {Path(f.filename).name}:{f.lineno} in {f.name}" for f in raised)
    log.error(
        "school %s: the sweep step %s failed (%s%s); the other steps carried on",
        school_id,
        step,
        type(exc).__name__,
        where,
    )
