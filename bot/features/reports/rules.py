"""Breach and concern reports, the pure rules (DESIGN.md §4): the vocabulary (categories,
statuses, urgencies, labels), urgency, which clock a report starts and when it runs out, and
references. Quiet hours and the escalation stages are ``quiet_hours``; a submitted form is
checked by ``submission``.

Nothing here touches the database: rules take data and ``now``. Who is alerted and who may
read a report is in ``routing``; the running clocks are escalated by ``clocks``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from bot.core.config import ClockRule, SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.guards.forms import FormErrors
from bot.core.language.i18n import N_, Lazy, Msg, Said, nmsg, spoken
from bot.core.language.said_forms import capital
from bot.core.language.words import Words, human_date, school_words

__all__ = [
    "CATEGORIES",
    "ENTRY_KINDS",
    "INVOLVED_ROLES",
    "MAX_ACTIONS",
    "MAX_ENTRY",
    "MAX_NAMES",
    "MAX_WHAT",
    "REFERENCE_CODE_LENGTH",
    "REFERENCE_PATTERN",
    "RELATIONSHIPS",
    "STAFF_BREACH_CATEGORIES",
    "STATUSES",
    "URGENCIES",
    "URGENCY_ORDER",
    "ReportInputError",
    "assess_urgency",
    "clock_due",
    "clock_kind",
    "clock_labels",
    "clock_summary",
    "describe_clock",
    "format_reference",
    "illegal_content_advice",
    "is_suspected_illegal",
    "local_time",
    "next_working_day_at",
    "referral_targets",
]

# --------------------------------------------------------------------------- vocabulary

CATEGORIES: dict[str, str] = {
    "mobile_device": N_("Mobile device misuse"),
    "social_media": N_("Social media misuse"),
    "cyberbullying": N_("Cyberbullying"),
    "nude_images": N_("Nude or semi-nude image sharing"),
    "filtering": N_("Filtering or monitoring breach"),
    "data_breach": N_("Personal data breach"),
    "staff_concern": N_("Concern about a member of staff"),
    "visitor": N_("Visitor breach"),
    "other": N_("Other"),
}
INVOLVED_ROLES: dict[str, str] = {
    "pupil": N_("Pupil"),
    "staff": N_("Member of staff"),
    "visitor": N_("Visitor"),
    "parent": N_("Parent or carer"),
    "other": N_("Someone else"),
    "unknown": N_("Not known"),
}
RELATIONSHIPS: dict[str, str] = {
    "staff": N_("Member of staff or volunteer"),
    "pupil": N_("Pupil"),
    "parent": N_("Parent or carer"),
    "governor": N_("A %(governor)s"),
    "visitor": N_("Visitor or contractor"),
    "other": N_("Other"),
}
STATUSES: dict[str, str] = {
    "new": N_("New"),
    "triaged": N_("Triaged"),
    "investigating": N_("Investigating"),
    "referred": N_("Referred"),
    "closed": N_("Closed"),
}
URGENCIES: dict[str, str] = {
    "immediate": N_("Immediate"),
    "high": N_("High"),
    "normal": N_("Normal"),
}
URGENCY_ORDER = {"immediate": 0, "high": 1, "normal": 2}


def clock_labels(words: Words) -> dict[str, Lazy]:
    """Each clock's name in the school's words: 'LADO referral decision' (England), 'child
    protection referral decision' (Scotland); the data-protection regulator's is the pack's
    ('ICO notification decision'; Jersey: 'JOIC notification decision')."""
    return {
        "lado": Msg(words.staff_route_decision),
        "ico": Msg(N_("%(regulator)s notification decision"), regulator=Msg(words.regulator)),
        "triage": Msg(N_("%(dsl)s triage"), dsl=Msg(words.dsl)),
    }


# plain policy breaches: a member of staff's line manager hears (content-free) when the report
# is recorded as being about them; allegations (LADO) and child-protection kinds do not
STAFF_BREACH_CATEGORIES = frozenset(
    {"mobile_device", "social_media", "filtering", "data_breach", "visitor", "other"}
)


def referral_targets(words: Words) -> dict[str, Lazy]:
    """Who a referral may go to, in the school's words (the staff route is the nation's)."""
    return {
        "lado": capital(Msg(words.staff_route_full)),
        "ico": capital(Msg(words.regulator_full)),
        "police": Msg(N_("Police")),
        "social_care": capital(Msg(words.social_care)),
        "other": Msg(N_("Other agency")),
    }


ENTRY_KINDS: dict[str, str] = {  # translated where shown
    "action": N_("Action"),
    "decision": N_("Decision"),
    "note": N_("Note"),
    "correction": N_("Correction"),
    "referral": N_("Referral"),
    "status": N_("Status change"),
    "owner": N_("Owner"),
    "outcome": N_("Outcome"),
    "lessons": N_("Lessons learnt"),
    "system": N_("Recorded by the bot"),
}


def illegal_content_advice(words: Words) -> Msg:
    """What to do with suspected illegal content, naming the school's safeguarding lead."""
    return Msg(
        N_(
            "Suspected illegal content: do not view, copy or forward the images or messages. "
            "Secure the device (do not switch it on or off; lock it away). Tell the %(dsl)s "
            "now — the %(dsl)s decides whether to involve the police."
        ),
        dsl=Msg(words.dsl),
    )


MAX_WHAT = 20_000
MAX_ACTIONS = 5_000
MAX_NAMES = 200
MAX_ENTRY = 10_000


# --------------------------------------------------------------------------- errors


class ReportInputError(FormErrors):
    """What was submitted is not acceptable; ``errors`` maps each field to a clear message."""


# --------------------------------------------------------------------------- urgency and clocks


def is_suspected_illegal(category: str, ticked: bool) -> bool:
    """Nude or semi-nude image sharing is always treated as possibly illegal content."""
    return ticked or category == "nude_images"


def assess_urgency(category: str, suspected_illegal: bool, immediate_risk: bool) -> str:
    """Immediate for risk now, illegal content or staff allegations; high for breaches."""
    if immediate_risk or suspected_illegal or category in ("nude_images", "staff_concern"):
        return "immediate"
    if category in ("data_breach", "cyberbullying", "filtering"):
        return "high"
    return "normal"


def clock_kind(category: str) -> str:
    """Which clock a new report starts: the staff route's (``lado``), ICO or triage."""
    return {"staff_concern": "lado", "data_breach": "ico"}.get(category, "triage")


def clock_due(
    kind: str, started: datetime, school: SchoolConfig, *, urgency: str = "normal"
) -> datetime:
    """When a clock runs out, by the school's rule for its kind and urgency.

    Calendar hours are counted in UTC, so a clock change neither adds nor takes an hour;
    working days are Monday to Friday minus the nation's bank holidays (school holidays do not
    stop them); school days also skip the school's closures. A day-counted clock ends at
    ``working_day_ends`` (17:00) on its last day — filed Sunday 00:45, Saturday 11:00 or
    Friday 15:00, one working day ends Monday 17:00 — unless the rule says
    ``end_of_day: false``, when it keeps the time of day it started.
    """
    rule = school.clock_rule(kind, urgency)
    local = started.astimezone(LONDON)
    clocks = school.reports.clocks
    if rule.out_of_hours:
        # Wales' staff route (Wales Safeguarding Procedures, Section 5): "within no more than
        # 24 hours ... (next working day - if out of office hours)". Our reading: office hours
        # are a working day of the nation (not a weekend or bank holiday) from the start of
        # the working hours to ``working_day_ends`` (07:00 to 17:00 unless the school says
        # otherwise). Made outside them, it is due at the end of the next working day to
        # begin — the same day when made before it starts, so Friday 18:30 is due Monday
        # 17:00 (Tuesday after a bank holiday Monday). Made in office hours, it is 24 hours,
        # unless those would end out of office hours: the DSP signs off at the close of the
        # next working day instead (Friday 16:59 is due Monday 17:00, not Saturday 16:59),
        # so nothing about it is sent at a weekend or at night.
        due = started.astimezone(UTC) + timedelta(hours=rule.hours or 0)
        if _in_office_hours(school, local) and _in_office_hours(school, due.astimezone(LONDON)):
            return due
        after = due if _in_office_hours(school, local) else started
        return next_working_day_at(school, after.astimezone(LONDON), clocks.working_day_ends)
    if rule.hours:
        return started.astimezone(UTC) + timedelta(hours=rule.hours)
    if rule.working_days:
        day = school.add_working_days(local.date(), rule.working_days)
    else:
        day = school.add_school_days(local.date(), rule.school_days or 1)
    at = clocks.working_day_ends if rule.ends_at_end_of_day else local.time()
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def next_working_day_at(school: SchoolConfig, local: datetime, at: time) -> datetime:
    """``at`` o'clock on the day of ``local`` when it is a working day and ``at`` is still to
    come, else on the next working day."""
    day = local.date()
    if not school.is_working_day(day) or local.time() >= at:
        day = school.add_working_days(day, 1)
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def _in_office_hours(school: SchoolConfig, local: datetime) -> bool:
    """A working day, from the start of the working hours until the working day ends."""
    clocks = school.reports.clocks
    return school.is_working_day(local.date()) and (
        clocks.working_hours.start <= local.time() < clocks.working_day_ends
    )


_COUNTS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _number_word(number: int) -> str:
    """'one' to 'ten', then digits ('12'): how the clock's sentences count in English; other
    languages write the digits."""
    if spoken() == "en" and 1 <= number <= len(_COUNTS):
        return _COUNTS[number - 1]
    return str(number)


def describe_clock(rule: ClockRule, day_ends: time | None = None) -> Msg:
    """The rule and why, in the school's words: '72 hours, weekends and holidays included';
    'one working day, ending at the end of the working day (17:00); school holidays do not stop
    it'. ``day_ends`` (the school's ``working_day_ends``) is named when given (each a whole
    sentence of the catalogue, in its plural form)."""
    at = f" ({day_ends:%H:%M})" if day_ends is not None else ""
    n = rule.hours or rule.working_days or rule.school_days or 1
    count = Said(lambda: _number_word(n))
    if rule.hours and rule.out_of_hours:
        return nmsg(
            "%(count)s hour; made out of office hours (an evening, a weekend or a bank holiday), "
            "to the end of the next working day%(at)s",
            "%(count)s hours; made out of office hours (an evening, a weekend or a bank "
            "holiday), to the end of the next working day%(at)s",
            n,
            count=count,
            at=at,
        )
    if rule.hours:
        return nmsg(
            "%(count)s hour, weekends and holidays included",
            "%(count)s hours, weekends and holidays included",
            n,
            count=count,
        )
    if rule.working_days and rule.ends_at_end_of_day:
        return nmsg(
            "%(count)s working day, ending at the end of the working day%(at)s; school holidays "
            "do not stop it",
            "%(count)s working days, ending at the end of the working day%(at)s; school "
            "holidays do not stop it",
            n,
            count=count,
            at=at,
        )
    if rule.working_days:
        return nmsg(
            "%(count)s working day, at the time of day it started; school holidays do not stop it",
            "%(count)s working days, at the time of day it started; school holidays do not stop it",
            n,
            count=count,
        )
    if rule.ends_at_end_of_day:
        return nmsg(
            "%(count)s school day, ending at the end of the school day%(at)s; weekends, bank "
            "holidays and the school's holidays are not counted",
            "%(count)s school days, ending at the end of the school day%(at)s; weekends, bank "
            "holidays and the school's holidays are not counted",
            n,
            count=count,
            at=at,
        )
    return nmsg(
        "%(count)s school day, at the time of day it started; weekends, bank holidays and "
        "the school's holidays are not counted",
        "%(count)s school days, at the time of day it started; weekends, bank holidays and "
        "the school's holidays are not counted",
        n,
        count=count,
    )


# the triage sentences of ``clock_summary``, each whole (never assembled from pieces)
_TRIAGE_LINES = (
    (
        "immediate",
        N_(
            "A child may be at risk now, or suspected illegal images (immediate "
            "urgency): %(label)s within %(rule)s."
        ),
    ),
    (
        "high",
        N_(
            "Cyberbullying, or a filtering or monitoring breach (high urgency): %(label)s "
            "within %(rule)s."
        ),
    ),
    ("normal", N_("Every other concern (normal urgency): %(label)s within %(rule)s.")),
)


def clock_summary(school: SchoolConfig) -> list[Msg]:
    """Which clock each report starts and how long it runs, one sentence each, then when its
    reminders go — what setup shows before anything is sent."""
    clocks = school.reports.clocks
    ends = clocks.working_day_ends
    labels = clock_labels(school_words(school))

    def said(sentence: str, kind: str, urgency: str) -> Msg:
        rule = describe_clock(school.clock_rule(kind, urgency), ends)
        return Msg(sentence, label=labels[kind], rule=rule)

    lines = [
        said(
            N_("A concern about a member of staff: %(label)s within %(rule)s."), "lado", "immediate"
        ),
        said(N_("A personal data breach: %(label)s within %(rule)s."), "ico", "high"),
        *(said(sentence, "triage", level) for level, sentence in _TRIAGE_LINES),
        Msg(
            N_("Working days are Monday to Friday except the bank holidays of the school's nation.")
        ),
    ]
    if clocks.quiet_hours:
        start, end = clocks.working_window
        lines.append(
            Msg(
                N_(
                    "Reminders about these deadlines go between %(start)s and %(end)s on working "
                    "days; only an immediate report's deadline is sent at any hour. The %(label)s: "
                    "its last warning and the deadline passing go at weekends and on bank holidays "
                    "too, but never between 22:00 and 07:00: one that falls at night goes at 07:00 "
                    "(at 21:59 the evening before when 07:00 is past the deadline)."
                ),
                start=f"{start:%H:%M}",
                end=f"{end:%H:%M}",
                label=labels["ico"],
            )
        )
    else:
        lines.append(
            Msg(N_("Reminders about these deadlines go at any hour, as soon as they fall."))
        )
    return lines


# --------------------------------------------------------------------------- references and times


REFERENCE_CODE_LENGTH = 5


def format_reference(year: int, code: str | int) -> str:
    """``CR-2026-7KQ3M``: a random code per year (``CR-2026-0042`` for older numbered reports).

    Codes are random, not sequential, so a gap in what one person sees never reveals a report
    kept from them (a report about the headteacher, say).
    """
    return f"CR-{year}-{code:04d}" if isinstance(code, int) else f"CR-{year}-{code}"


# new random codes, and the numbered references of reports stored before them
REFERENCE_PATTERN = re.compile(r"^CR-\d{4}-(?:\d{4,6}|[A-HJ-KM-NP-Z2-9]{5})$")


def local_time(moment: datetime) -> str:
    """'Monday 26 October 2026, 10:00' in the school's zone."""
    local = moment.astimezone(LONDON)
    return f"{human_date(local.date())}, {local:%H:%M}"
