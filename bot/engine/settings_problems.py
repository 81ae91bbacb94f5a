"""A school whose settings fail the checks: recorded by the sweep, told to its admins once.

The configuration in force is built school by school (``bot.core.config.per_school``): a school
whose entry fails keeps its last good settings, or is held when it never had any, and the other
schools carry on. Each sweep stores the accepted schools' settings as their last good ones and
each school's problem; a problem the school has not had before is emailed, once, to the
school's administrators (else its head) and the trust's administrators, through the outbox
(its key names the school and the problem's fingerprint). Like a failing step's warning, it is
a notice about the bot itself: it goes while the school is in preview too.

A file that cannot be read at all (a YAML error) is every school's problem but theirs to fix
only for the trust: it is told once to the trust's administrators, with the line and the
school whose entry holds it, and each school's own admins hear only that the trust's file
cannot be read, that their school carries on with its last settings and that the trust's IT
lead has been told (a trust without administrators: each school's admins get the whole).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.config import OrgConfig, SchoolConfig
from bot.core.config.per_school import SettingsProblem, record
from bot.core.database.store import Store
from bot.core.days.clock import to_local
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Joined, Msg, shared_language
from bot.core.models import School
from bot.core.outbox import Urgency, enqueue_email
from bot.core.rendering.messages import notice

__all__ = ["PURPOSE", "describe", "record_settings"]

log = logging.getLogger(__name__)

PURPOSE = "settings_problem"


def describe(problem: SettingsProblem) -> Msg:
    """What is in force for the school meanwhile, in plain words (the pages and ``status``)."""
    if problem.whole and problem.kept_since is not None:
        return Msg(
            N_(
                "The settings file cannot be read, so %(school)s carries on with the settings it "
                "last accepted (%(day)s) until it is fixed."
            ),
            school=problem.name,
            day=to_local(problem.kept_since).date(),
        )
    if problem.kept_since is None:
        return Msg(
            N_(
                "%(school)s's settings have a problem, and the bot has never had settings for it "
                "that pass the checks: it does nothing for the school (no reminders, no emails) "
                "until the problem is fixed."
            ),
            school=problem.name,
        )
    return Msg(
        N_(
            "%(school)s's settings have a problem, so the bot keeps using the settings it last "
            "accepted (%(day)s) until it is fixed."
        ),
        school=problem.name,
        day=to_local(problem.kept_since).date(),
    )


def record_settings(store: Store, config: OrgConfig, now: datetime) -> int:
    """Store each school's last good settings and problem (``per_school.record``) and email
    each new problem once; returns how many emails were queued."""
    with store.transaction() as session:
        new = record(session, config, now)
        schools = {school.id: school for school in config.schools}
        told: set[str] = set()  # a problem of the whole file reaches the trust's admins once
        trust = list(config.organisation.trust_admins)
        queued = 0
        for problem in new:
            log.warning(
                "settings of %s not applied (%s): %s",
                problem.school_id,
                "kept the last good ones" if not problem.held else "held",
                problem.message.splitlines()[0],
            )
            school = schools.get(problem.school_id)
            if problem.whole and trust:  # the trust's to fix: each school hears it is told
                if problem.message not in told:
                    queued += _tell(
                        session,
                        problem,
                        config.organisation.name,
                        trust,
                        shared_language(s.language for s in config.schools),
                    )
                own = [a for a in problem.admins if a not in trust]
                if own:
                    queued += _tell(session, problem, school, own, lines=_told_trust_lines)
                told.add(problem.message)
                continue
            to = [a for a in problem.admins if a not in trust or problem.message not in told]
            told.add(problem.message)
            if to:
                queued += _tell(session, problem, school, to)
    return queued


def _tell(
    session: Session,
    problem: SettingsProblem,
    school: SchoolConfig | str | None,
    to: list[str],
    language: str | None = None,
    *,
    lines: Callable[[SettingsProblem], list[Text]] | None = None,
) -> int:
    """The one email for this problem of this school, or (``school`` the trust's name, in
    ``language``) the trust's one email about a file that cannot be read; ``lines``: its
    words (subject, greeting, small print, then the paragraphs)."""
    if session.get(School, problem.school_id) is None:  # held from the start: no row yet
        session.add(School(id=problem.school_id[:64], name=problem.name[:200]))
        session.flush()
    # held (no settings accepted yet): the language its entry asks for, else both, Welsh first
    trust = isinstance(school, str)
    language = language or (
        school.language if isinstance(school, SchoolConfig) else problem.language or "cy+en"
    )
    subject, greeting, small, *paragraphs = (lines or _problem_lines)(problem)
    draft = notice(
        school=school or problem.name,
        to=to,
        subject=subject,
        greeting=greeting,
        paragraphs=paragraphs,
        small=small,
        language=language,
    )
    return int(
        enqueue_email(
            session,
            school_id=problem.school_id,
            key=f"{PURPOSE}:file:{hashlib.sha256(problem.message.encode()).hexdigest()[:16]}"
            if trust
            else f"{PURPOSE}:{problem.school_id}:{problem.sha256[:16]}",
            purpose=PURPOSE,
            urgency=Urgency.WAITING,
            draft=draft,
        )
    )


def _told_trust_lines(problem: SettingsProblem) -> list[Text]:
    """What a school's own admins hear of a trust's file that cannot be read: that, what is in
    force for their school, and that the trust's IT lead has been told (nothing to fix)."""
    return [
        Msg(N_("%(school)s: the trust's settings file cannot be read"), school=problem.name),
        Msg(N_("Hello,")),
        Msg(N_("You receive this as an administrator of the bot for the school.")),
        describe(problem)
        if problem.kept_since is None
        else Msg(
            N_(
                "The trust's settings file cannot be read; %(school)s carries on with its last "
                "settings (accepted on %(day)s); your trust's IT lead has been told."
            ),
            school=problem.name,
            day=to_local(problem.kept_since).date(),
        ),
        Msg(
            N_(
                "You do not need to do anything. You will not get this email again for this "
                "problem."
            )
        ),
    ]


def _problem_lines(problem: SettingsProblem) -> list[Text]:
    """The problem's email: subject, greeting, small print, then its paragraphs; what to fix
    is the checks' own lines."""
    if problem.held:
        meanwhile = Msg(
            N_(
                "Until it is fixed the bot does nothing for the school: no reminders, no "
                "digests and no chasing."
            )
        )
    else:
        assert problem.kept_since is not None
        meanwhile = Msg(
            N_(
                "Until it is fixed the bot carries on with the school's settings as they were when "
                "it last accepted them, on %(day)s: reminders and the rest go on as before."
            ),
            day=to_local(problem.kept_since).date(),
        )
    head: list[Text]
    if problem.whole:  # every school's file: nothing of it applied, no school's alone
        found: list[Text] = [
            Msg(
                N_(
                    "The bot could not read the trust's settings file, so it has applied none of "
                    "it: every school carries on with the settings it last accepted, and reminders "
                    "and the rest go on as before."
                )
            )
        ]
        if problem.entry:
            found.append(Msg(N_("The line is in the entry of %(school)s."), school=problem.entry))
        head = [
            Msg(N_("The trust's settings file cannot be read")),
            Msg(N_("Hello,")),
            Msg(N_("You receive this as an administrator of the bot for the school or the trust.")),
            Joined(found, " "),
        ]
    else:
        head = [
            Msg(
                N_("%(school)s: the bot could not use the school's new settings"),
                school=problem.name,
            ),
            Msg(N_("Hello,")),
            Msg(N_("You receive this as an administrator of the bot for the school.")),
            Msg(
                N_(
                    "The bot checked the settings for %(school)s and found a problem, so it has "
                    "not "
                    "applied them. %(meanwhile)s The other schools are not affected."
                ),
                school=problem.name,
                meanwhile=meanwhile,
            ),
        ]
    return [
        *head,
        Msg(N_("What to fix (the file, its line and the setting):")),
        *problem.lines,
        Msg(
            N_(
                "Please fix it, or ask whoever runs the bot for the school (your IT provider). You "
                "will not get this email again for this problem; the dashboard and the setup page "
                "show it until it is fixed."
            )
        ),
    ]
