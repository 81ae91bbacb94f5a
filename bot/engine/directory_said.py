"""The directory's lines in the active language (``cy``: Welsh; ``cy+en``: Welsh / English),
as ``sweep``, ``status`` and ``directory status`` print them: a stopped sync and the command
that confirms it, who is missing and until when, the posts the role table does not know (their
holders owe nothing until each is mapped), and the frame of a sync's read error, rejected rows
and notes.

The lines the directory steps write into a sync's report (a note, a file not read) are said
here too, in the school's language when they are made; a connector's own
reason for a row or an error, names, addresses and job titles stay as they were given.

Example::

    with speaking("cy"):
        missing_lines(missing)  # one missing person
    # ["[yellow]Mae 1 person ar goll o'r cyfeiriadur[/]: …", "  Amy Able (…): ar goll ers …", …]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol

from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Dated, Msg, each_language, nsay, say, speaking, spoken
from bot.engine.leavers import MissingPerson, PendingRemovals, RemovalStop

__all__ = [
    "EXTRA_PEOPLE_FILE",
    "PEOPLE_REGISTER",
    "SyncReport",
    "handover_line",
    "missing_lines",
    "posts_to_map_lines",
    "report_lines",
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
    "Map each post once: compliance-bot roles map 'POST' ROLE (staff, volunteer, governor, clerk, "
    "supply or none), or on the People in roles page; the next sweep gives its holders that role."
)
# the frame of a sync's read error, said around it (the error once, also in cy+en)
_NOT_READ = N_("directory not read")
_CARRIED_ON = N_("carried on with the people already known")
_REJECTED = N_("rejected")
_NOTE = N_("note")
_HANDOVER = N_("[yellow]handover needed[/]: %(account)s (a holder has left)")


def _command(sentence: str, **values: object) -> str:
    """A command to copy, indented four spaces and said once: its placeholders in the
    school's first language (Welsh in ``cy+en``)."""
    with speaking("cy" if spoken() == "cy+en" else spoken()):
        return "    " + say(sentence, **values)


def _day(day: date, *, year: bool = False) -> Dated:
    """'3 Nov' (or '3 Nov 2026'), no leading zero, as people write it; Welsh by
    ``babel.dates`` ('3 Tach 2026')."""
    return Dated(day, "%-d %b %Y" if year else "%-d %b", "d MMM y" if year else "d MMM")


def _names(names: Sequence[str], shown: int = 10) -> Text:
    """The first ``shown`` names, and how many more, in each language's words."""
    listed = ", ".join(names[:shown])
    return listed if len(names) <= shown else Msg(_MORE, names=listed, num=len(names) - shown)


def stop_lines(stop: RemovalStop | PendingRemovals, school_id: str) -> list[str]:
    """A stopped directory sync in plain words: who, why, and the command that confirms."""
    names = _names(stop.names)
    if isinstance(stop, RemovalStop):
        head = say(
            _STOPPED,
            removed=stop.would_remove,
            active=stop.active,
            limit=f"{stop.limit:.0%}",
            names=names,
        )
    else:
        head = say(
            _STOPPED_SINCE,
            day=_day(stop.since, year=True),
            removed=len(stop.names),
            active=stop.active,
            names=names,
        )
    if isinstance(stop, RemovalStop) or not stop.confirmed_by:
        return [
            head,
            "  " + say(_IF_GONE),
            _command(_CONFIRM_REMOVALS, id=school_id),
            "  " + say(_IF_NOT),
        ]
    return [head, "  " + say(_CONFIRMED, who=stop.confirmed_by)]


def missing_lines(missing: Sequence[MissingPerson]) -> list[str]:
    """Who is missing from the directory, since when, and until when they keep their duties."""
    if not missing:
        return []
    lines = [
        nsay(
            "[yellow]%(num)d person is missing from the directory[/]: they keep their duties "
            "until the date shown, unless the directory lists them again:",
            "[yellow]%(num)d people are missing from the directory[/]: they keep their duties "
            "until the date shown, unless the directory lists them again:",
            len(missing),
        )
    ]
    lines += [
        "  "
        + say(
            _MISSING,
            name=m.name,
            email=m.email,
            since=_day(m.since),
            until=_day(m.leaves_on, year=True),
        )
        for m in missing[:20]
    ]
    if len(missing) > 20:
        lines.append("  " + say(_MORE_MISSING, num=len(missing) - 20))
    return [*lines, "  " + say(_LEAVE_SOONER), _command(_CONFIRM_LEAVER)]


def posts_to_map_lines(posts: Mapping[str, Sequence[str]]) -> list[str]:
    """The posts the role table does not know, with their holders and how to map them."""
    if not posts:
        return []
    return [
        say(_TO_MAP),
        *(f"  '{title}': {_names(names)}" for title, names in sorted(posts.items())),
        "  " + say(_TO_MAP_FIX),
    ]


class SyncReport(Protocol):
    """What ``report_lines`` reads of a sync's report (``bot.engine.directory``'s, which
    imports this module for its sentences)."""

    error: Text | None
    rejected: list[Text]
    notes: list[Text]
    held: int
    unmapped: dict[str, list[str]]


def report_lines(report: SyncReport) -> list[str]:
    """Under a sync's counts: its read error, rejected rows, notes and the people kept on rows
    that could not be read (each line said in the active language; ``cy+en``: each line whole
    in Welsh, then in English; the first ten of each)."""
    return ["  " + line for line in each_language(lambda: _report_lines(report))]


def _report_lines(report: SyncReport) -> list[str]:
    lines = []
    if report.error:
        lines.append(f"[red]{say(_NOT_READ)}[/]: {report.error} — {say(_CARRIED_ON)}")
    rejected, note = say(_REJECTED), say(_NOTE)
    lines += [f"[yellow]{rejected}[/] {row}" for row in report.rejected[:10]]
    lines += [f"{note}: {line}" for line in report.notes[:10]]
    lines += posts_to_map_lines(report.unmapped)
    if report.held:
        lines.append(
            nsay(
                "%(num)d person on rows that could not be read kept as they were (with their "
                "duties); correct the rows above",
                "%(num)d people on rows that could not be read kept as they were (with their "
                "duties); correct the rows above",
                report.held,
            )
        )
    return lines


def handover_line(account: str) -> str:
    """An official account whose holder has left."""
    return "  " + say(_HANDOVER, account=account)
