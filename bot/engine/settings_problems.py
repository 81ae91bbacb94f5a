"""A school whose settings fail the checks: recorded by the sweep, told to its admins once.

The configuration in force is built school by school (``bot.core.config.per_school``): a school
whose entry fails keeps its last good settings, or is held when it never had any, and the other
schools carry on. Each sweep stores the accepted schools' settings as their last good ones and
each school's problem; a problem the school has not had before is emailed, once, to the
school's administrators (else its head) and the trust's administrators, through the outbox
(its key names the school and the problem's fingerprint). Like a failing step's warning, it is
a notice about the bot itself: it goes while the school is in preview too.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.clock import to_local
from bot.core.config import OrgConfig, SchoolConfig
from bot.core.config.per_school import SettingsProblem, record
from bot.core.forms import Text
from bot.core.i18n import N_, Msg, speaking
from bot.core.messages import notice
from bot.core.models import School
from bot.core.outbox import Urgency, enqueue_email
from bot.core.store import Store

__all__ = ["PURPOSE", "describe", "record_settings"]

log = logging.getLogger(__name__)

PURPOSE = "settings_problem"


def describe(problem: SettingsProblem) -> Msg:
    """What is in force for the school meanwhile, in plain words (the pages and ``status``)."""
    if problem.kept_since is None:
        return Msg(N_(
            "%(school)s's settings have a problem, and the bot has never had settings for it "
            "that pass the checks: it does nothing for the school (no reminders, no emails) "
            "until the problem is fixed."
        ), school=problem.name)
    return Msg(N_(
        "%(school)s's settings have a problem, so the bot keeps using the settings it last "
        "accepted (%(day)s) until it is fixed."
    ), school=problem.name, day=to_local(problem.kept_since).date())


def record_settings(store: Store, config: OrgConfig, now: datetime) -> int:
    """Store each school's last good settings and problem (``per_school.record``) and email
    each new problem once; returns how many emails were queued."""
    with store.transaction() as session:
        new = record(session, config, now)
        schools = {school.id: school for school in config.schools}
        told: set[str] = set()  # a problem of the whole file reaches the trust's admins once
        trust = set(config.organisation.trust_admins)
        queued = 0
        for problem in new:
            log.warning(
                "settings of %s not applied (%s): %s",
                problem.school_id,
                "kept the last good ones" if not problem.held else "held",
                problem.message.splitlines()[0],
            )
            to = [a for a in problem.admins if a not in trust or problem.message not in told]
            told.add(problem.message)
            if to:
                queued += _tell(session, problem, schools.get(problem.school_id), to)
    return queued


def _tell(
    session: Session, problem: SettingsProblem, school: SchoolConfig | None, to: list[str]
) -> int:
    """The one email for this problem of this school."""
    if session.get(School, problem.school_id) is None:  # held from the start: no row yet
        session.add(School(id=problem.school_id[:64], name=problem.name[:200]))
        session.flush()
    # held (no settings accepted yet): the language its entry asks for, else both, Welsh first
    with speaking(problem.language or "cy+en"):
        draft = notice(
            school=school or problem.name,
            to=to,
            subject=Msg(N_("%(school)s: the bot could not use the school's new settings"),
                        school=problem.name),
            greeting=Msg(N_("Hello,")),
            paragraphs=_problem_lines(problem),
            small=Msg(N_("You receive this as an administrator of the bot for the school.")),
        )
    return int(
        enqueue_email(
            session,
            school_id=problem.school_id,
            key=f"{PURPOSE}:{problem.school_id}:{problem.sha256[:16]}",
            purpose=PURPOSE,
            urgency=Urgency.WAITING,
            draft=draft,
        )
    )


def _problem_lines(problem: SettingsProblem) -> list[Text]:
    """The problem's email's paragraphs; what to fix is the checks' own lines."""
    if problem.held:
        meanwhile = Msg(N_(
            "Until it is fixed the bot does nothing for the school: no reminders, no "
            "digests and no chasing."
        ))
    else:
        assert problem.kept_since is not None
        meanwhile = Msg(N_(
            "Until it is fixed the bot carries on with the school's settings as they were when "
            "it last accepted them, on %(day)s: reminders and the rest go on as before."
        ), day=to_local(problem.kept_since).date())
    return [
        Msg(N_(
            "The bot checked the settings for %(school)s and found a problem, so it has not "
            "applied them. %(meanwhile)s The other schools are not affected."
        ), school=problem.name, meanwhile=meanwhile),
        Msg(N_("What to fix (the file, its line and the setting):")),
        *problem.lines,
        Msg(N_(
            "Please fix it, or ask whoever runs the bot for the school (your IT provider). You "
            "will not get this email again for this problem; the dashboard and the setup page "
            "show it until it is fixed."
        )),
    ]
