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
from bot.core.config.said import say_problems
from bot.core.i18n import both, day_text, translations
from bot.core.messages import lines_in, notice
from bot.core.models import School
from bot.core.outbox import Urgency, enqueue_email
from bot.core.store import Store

__all__ = ["PURPOSE", "describe", "record_settings"]

log = logging.getLogger(__name__)

PURPOSE = "settings_problem"


def describe(problem: SettingsProblem, language: str = "en") -> str:
    """What is in force for the school meanwhile, in plain words (the pages and ``status``),
    in ``language`` (both, Welsh first, in ``cy+en``)."""
    if language == "cy+en":  # each whole, so the date inside is not said twice in each
        return both(describe(problem, "cy"), describe(problem, "en"))
    _ = translations(language).gettext
    if problem.kept_since is None:
        return _(
            "%(school)s's settings have a problem, and the bot has never had settings for it "
            "that pass the checks: it does nothing for the school (no reminders, no emails) "
            "until the problem is fixed."
        ) % {"school": problem.name}
    return _(
        "%(school)s's settings have a problem, so the bot keeps using the settings it last "
        "accepted (%(day)s) until it is fixed."
    ) % {"school": problem.name, "day": day_text(to_local(problem.kept_since).date(), language)}


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
    language = school.language if school is not None else problem.language or "cy+en"
    subject, greeting, small, *paragraphs = lines_in(
        language, lambda language: _problem_lines(problem, language)
    )
    draft = notice(
        school=school or problem.name,
        language=language,
        to=to,
        subject=subject,
        greeting=greeting,
        paragraphs=paragraphs,
        small=small,
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


def _problem_lines(problem: SettingsProblem, language: str) -> list[str]:
    """The problem's email in ``language`` (``en`` or ``cy``): subject, greeting, small print,
    then its paragraphs; what to fix is the checks' own lines, said in ``language`` (``said``)."""
    _ = translations(language).gettext
    if problem.held:
        meanwhile = _(
            "Until it is fixed the bot does nothing for the school: no reminders, no "
            "digests and no chasing."
        )
    else:
        assert problem.kept_since is not None
        meanwhile = _(
            "Until it is fixed the bot carries on with the school's settings as they were when "
            "it last accepted them, on %(day)s: reminders and the rest go on as before."
        ) % {"day": day_text(to_local(problem.kept_since).date(), language)}
    values = {"school": problem.name, "meanwhile": meanwhile}
    return [
        _("%(school)s: the bot could not use the school's new settings") % values,
        _("Hello,"),
        _("You receive this as an administrator of the bot for the school."),
        _(
            "The bot checked the settings for %(school)s and found a problem, so it has not "
            "applied them. %(meanwhile)s The other schools are not affected."
        )
        % values,
        _("What to fix (the file, its line and the setting):"),
        *say_problems(problem.message, language),
        _(
            "Please fix it, or ask whoever runs the bot for the school (your IT provider). You "
            "will not get this email again for this problem; the dashboard and the setup page "
            "show it until it is fixed."
        ),
    ]
