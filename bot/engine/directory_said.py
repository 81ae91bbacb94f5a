"""The directory's lines in the school's language (``cy``: Welsh; ``cy+en``: Welsh / English),
as ``sweep``, ``status`` and ``directory status`` print them: a stopped sync and the command
that confirms it, who is missing and until when, the posts the role table does not know (their
holders owe nothing until each is mapped), and the frame of a sync's read error, rejected rows
and notes.

The lines the directory steps write into a sync's report (a note, a file not read) are said
here too, in the school's language when they are made; a connector's own
reason for a row or an error, names, addresses and job titles stay as they were given.

Example::

    missing_lines(missing, "cy")  # one missing person
    # ["[yellow]Mae 1 person ar goll o'r cyfeiriadur[/]: …", "  Amy Able (…): ar goll ers …", …]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Protocol

from babel.dates import format_date

from bot.core.i18n import N_, say_in
from bot.engine.leavers import MissingPerson, PendingRemovals, RemovalStop

__all__ = [
    "EXTRA_PEOPLE_FILE",
    "PEOPLE_REGISTER",
    "SyncReport",
    "handover_line",
    "missing_lines",
    "posts_to_map_lines",
    "report_lines",
    "say",
    "stop_lines",
]

# the sources a note names, in the school's words
PEOPLE_REGISTER = N_("people register")
EXTRA_PEOPLE_FILE = N_("extra people file")

_MORE = N_("%(names)s and %(num)d more")
_STOPPED = N_(
    "[red]Directory sync stopped[/]: it would mark %(removed)d of the %(active)d people as "
    "missing from the directory (more than %(limit)s): %(names)s. Nobody was changed; "
    "reminders and report clocks carried on with the people already known."
)
_STOPPED_SINCE = N_(
    "[red]Directory sync stopped[/] since %(day)s: it would mark %(removed)d of the %(active)d "
    "people as missing from the directory: %(names)s. Nobody has been changed."
)
_IF_GONE = N_(
    "If they really have gone, confirm it, then run the sweep again (or wait for the next one):"
)
_CONFIRM_REMOVALS = N_("compliance-bot directory confirm-removals --school %(id)s --as YOUR-EMAIL")
_IF_NOT = N_("If they have not, put them back in the directory; the next sweep carries on.")
_CONFIRMED = N_("Confirmed by %(who)s: the next sweep applies it.")
_MISSING = N_("%(name)s (%(email)s): missing since %(since)s, keeps their duties until %(until)s")
_MORE_MISSING = N_("…and %(num)d more: compliance-bot directory status")
_LEAVE_SOONER = N_("To confirm someone has left sooner:")
_CONFIRM_LEAVER = N_("compliance-bot directory confirm-leaver EMAIL --as YOUR-EMAIL")
_TO_MAP = N_(
    "Posts to map: the role table does not say what these posts give, so their holders are set "
    "up owing nothing until it does:"
)
_TO_MAP_FIX = N_(
    "Map each post once: compliance-bot roles map 'POST' ROLE (staff, volunteer, governor, "
    "clerk, supply or none), or on the People in roles page; the next sweep gives its holders "
    "that role."
)
# the frame of a sync's read error, said around it (the error once, also in cy+en)
_NOT_READ = N_("directory not read")
_CARRIED_ON = N_("carried on with the people already known")
_REJECTED = N_("rejected")
_NOTE = N_("note")
_HANDOVER = N_("[yellow]handover needed[/]: %(account)s (a holder has left)")


def say(language: str, sentence: str, **values: object) -> str:
    """The catalogue's ``sentence`` (marked ``N_``) in ``language`` with its named values; a
    value that is a function of the language (a source's name, a date) is said in each
    language's own way."""
    return say_in(language, lambda tr: tr.gettext(sentence), **values)


def _command(language: str, sentence: str, **values: object) -> str:
    """A command to copy, indented four spaces and said once: its placeholders in the
    school's first language (Welsh in ``cy+en``)."""
    return "    " + say("cy" if language == "cy+en" else language, sentence, **values)


def _day(day: date, *, year: bool = False) -> Callable[[str], str]:
    """'3 Nov' (or '3 Nov 2026'), no leading zero, as people write it; Welsh by
    ``babel.dates`` ('3 Tach 2026')."""

    def said(language: str) -> str:
        if language == "cy":
            return format_date(day, "d MMM y" if year else "d MMM", locale="cy")
        return f"{day.day} {day:%b}" + (f" {day.year}" if year else "")

    return said


def _names(names: Sequence[str], shown: int = 10) -> Callable[[str], str]:
    """The first ``shown`` names, and how many more, in each language's words."""
    listed = ", ".join(names[:shown])
    if len(names) <= shown:
        return lambda language: listed
    return lambda language: say(language, _MORE, names=listed, num=len(names) - shown)


def stop_lines(stop: RemovalStop | PendingRemovals, school_id: str, language: str) -> list[str]:
    """A stopped directory sync in plain words: who, why, and the command that confirms."""
    names = _names(stop.names)
    if isinstance(stop, RemovalStop):
        head = say(
            language,
            _STOPPED,
            removed=stop.would_remove,
            active=stop.active,
            limit=f"{stop.limit:.0%}",
            names=names,
        )
    else:
        head = say(
            language,
            _STOPPED_SINCE,
            day=_day(stop.since, year=True),
            removed=len(stop.names),
            active=stop.active,
            names=names,
        )
    if isinstance(stop, RemovalStop) or not stop.confirmed_by:
        return [
            head,
            "  " + say(language, _IF_GONE),
            _command(language, _CONFIRM_REMOVALS, id=school_id),
            "  " + say(language, _IF_NOT),
        ]
    return [head, "  " + say(language, _CONFIRMED, who=stop.confirmed_by)]


def missing_lines(missing: Sequence[MissingPerson], language: str) -> list[str]:
    """Who is missing from the directory, since when, and until when they keep their duties."""
    if not missing:
        return []
    lines = [
        say_in(
            language,
            lambda tr: tr.ngettext(
                "[yellow]%(num)d person is missing from the directory[/]: they keep their duties "
                "until the date shown, unless the directory lists them again:",
                "[yellow]%(num)d people are missing from the directory[/]: they keep their duties "
                "until the date shown, unless the directory lists them again:",
                len(missing),
            ),
            num=len(missing),
        )
    ]
    lines += [
        "  "
        + say(
            language,
            _MISSING,
            name=m.name,
            email=m.email,
            since=_day(m.since),
            until=_day(m.leaves_on, year=True),
        )
        for m in missing[:20]
    ]
    if len(missing) > 20:
        lines.append("  " + say(language, _MORE_MISSING, num=len(missing) - 20))
    return [*lines, "  " + say(language, _LEAVE_SOONER), _command(language, _CONFIRM_LEAVER)]


def posts_to_map_lines(posts: Mapping[str, Sequence[str]], language: str) -> list[str]:
    """The posts the role table does not know, with their holders and how to map them."""
    if not posts:
        return []
    return [
        say(language, _TO_MAP),
        *(f"  '{title}': {_names(names)(language)}" for title, names in sorted(posts.items())),
        "  " + say(language, _TO_MAP_FIX),
    ]


class SyncReport(Protocol):
    """What ``report_lines`` reads of a sync's report (``bot.engine.directory``'s, which
    imports this module for its sentences)."""

    error: str | None
    rejected: list[str]
    notes: list[str]
    held: int
    unmapped: dict[str, list[str]]


def report_lines(report: SyncReport, language: str) -> list[str]:
    """Under a sync's counts: its read error, rejected rows, notes, the posts to map and the
    people kept on rows that could not be read (each row and note as the sync wrote it; the
    first ten of each)."""
    lines = []
    if report.error:
        not_read, carried_on = say(language, _NOT_READ), say(language, _CARRIED_ON)
        lines.append(f"  [red]{not_read}[/]: {report.error} — {carried_on}")
    rejected, note = say(language, _REJECTED), say(language, _NOTE)
    lines += [f"  [yellow]{rejected}[/] {row}" for row in report.rejected[:10]]
    lines += [f"  {note}: {line}" for line in report.notes[:10]]
    lines += ["  " + line for line in posts_to_map_lines(report.unmapped, language)]
    if report.held:
        lines.append(
            "  "
            + say_in(
                language,
                lambda tr: tr.ngettext(
                    "%(num)d person on rows that could not be read kept as they were (with their "
                    "duties); correct the rows above",
                    "%(num)d people on rows that could not be read kept as they were (with their "
                    "duties); correct the rows above",
                    report.held,
                ),
                num=report.held,
            )
        )
    return lines


def handover_line(account: str, language: str) -> str:
    """An official account whose holder has left."""
    return "  " + say(language, _HANDOVER, account=account)
