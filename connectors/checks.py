"""``compliance-bot check m365`` and ``check google``: one runner, and one way of saying a row.

A check is a probe of the platform (a real read, or a token obtained: never a write), whether
it worked, and what it found or how to fix it, said in the language of the schools on the
tenant or domain. Each platform's ``check.py`` holds only its own probes and its
``check_said`` sentences; this module runs them (``checker``) and says their rows: ``row``, one
row of sentences; ``probe``, a read that works or is refused; ``refused``, a refusal by its
HTTP status; ``school_rows``, a school's own mailbox; ``pacing_row``, the sending pace.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from bot.core.language.i18n import N_, each_language, say, speaking
from bot.core.ports.checks import CheckRow
from connectors.base import CallError, pacing_problem

__all__ = [
    "ANSWER",
    "CheckRow",
    "checker",
    "in_each",
    "pacing_row",
    "probe",
    "refused",
    "row",
    "said",
    "school_rows",
]

# ``in_each`` builds a sentence whole in each language of ``cy+en``; ``said`` is a catalogue
# sentence with its values (a callable value, another sentence, said in its language)
in_each = each_language
said = say
ANSWER = "%(answer)s"  # a row's part that is only the platform's own words (``answer=``)
# a refusal's (detail, fix) by HTTP status, or the platform's reading of it: (detail, fix, values)
Answers = (
    Mapping[tuple[int, ...], tuple[str, str | None]]
    | Callable[[Any], tuple[str, str | None, Mapping[str, object]]]
)


def checker(
    rows_of: Callable[..., Iterable[CheckRow]], *quiet: str
) -> Callable[..., list[CheckRow]]:
    """A platform's ``run_checks`` (a ``bot.core.ports.PlatformCheck``): ``rows_of(settings,
    schools, **seam)`` said in ``language``, with the loggers ``quiet`` silent (a failure is
    a row already).

    The function made takes ``settings``; ``schools``, the schools that send from a mailbox of
    their own (name -> mailbox), each checked as the install's sender is; ``language`` (``en``,
    ``cy``, ``cy+en``): the rows' own sentences are said in it, the platform's words as they
    are; and the platform's test seam (``transport=``, ``http=``).

    Example::

        run_checks = checker(_rows, "azure.identity")
        rows = run_checks(settings, language="cy", transport=fake.transport)
    """

    def run_checks(
        settings: Any,
        *,
        schools: Mapping[str, str] | None = None,
        language: str = "en",
        **seam: Any,
    ) -> list[CheckRow]:
        with _quiet(*quiet), speaking(language):
            return list(rows_of(settings, dict(schools or {}), **seam))

    return run_checks


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Drop the named loggers' records (and their children's) for the duration."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def row(name: str, ok: bool, detail: str, fix: str | None = None, /, **values: object) -> CheckRow:
    """One row of a ``check`` table: its name, what was found and what to fix, each a sentence
    of the platform's ``check_said`` (or a name as it is, a permission's), said in the language
    spoken with ``values`` (``said``); a part that is only the platform's answer is ``ANSWER``,
    given as ``answer=``. A new row is one call.

    Example::

        row(s.SENDER_MAILBOX, False, s.NO_SUCH_SENDER, s.EXISTING_SENDER, sender=sender,
            error=str(exc))
    """
    return CheckRow(
        said(name, **values),
        ok,
        said(detail, **values),
        None if fix is None else said(fix, **values),
    )


def refused(
    name: str,
    exc: Any,
    answers: Answers,
    other: tuple[str, str | None] = (ANSWER, None),
    /,
    **values: object,
) -> CheckRow:
    """The ``row`` of a call the platform refused (``exc`` carries its HTTP ``status``): the
    (detail, fix) sentences of ``answers`` for that status, else ``other``, or what the
    platform's own reading of it, ``answers(exc)``, gives (detail, fix and their values); said
    with ``values`` and the platform's answer (``error``, ``answer``)."""
    more: Mapping[str, object] = {}
    if callable(answers):
        detail, fix, more = answers(exc)
    else:
        detail, fix = next((a for statuses, a in answers.items() if exc.status in statuses), other)
    return row(
        name, False, detail, fix, **{"error": str(exc), "answer": str(exc), **values, **more}
    )


def probe(
    name: str,
    call: Callable[[], object],
    ok: str,
    answers: Answers,
    other: tuple[str, str | None] = (ANSWER, None),
    /,
    **values: object,
) -> CheckRow:
    """Make the platform call ``call``: the row ``ok`` (said with ``values``) when it works,
    else the platform's refusal as ``refused`` says it (``answers``, ``other``)."""
    try:
        call()
    except CallError as exc:
        return refused(name, exc, answers, other, **values)
    return row(name, True, ok, **values)


def school_rows(
    schools: Mapping[str, str], rows_of: Callable[[str], Iterable[CheckRow]]
) -> list[CheckRow]:
    """The rows of each school that sends from a mailbox of its own (name -> mailbox), checked
    as the install's sender is (``rows_of(mailbox)``), each named for its school."""
    return [
        replace(row, name=f"{row.name} ({school})")
        for school, sender in schools.items()
        for row in rows_of(sender)
    ]


_PACING = {
    "recipients": N_(
        "%(per_minute)s a minute and %(daily)s recipients a day; reminders and digests use at "
        "most %(routine_minute)s a minute and %(routine_day)s recipients a day, the rest is "
        "kept for safeguarding alerts, sign-in links and receipts (sent first)"
    ),
    "messages": N_(
        "%(per_minute)s a minute and %(daily)s messages a day; reminders and digests use at "
        "most %(routine_minute)s a minute and %(routine_day)s a day, the rest is kept for "
        "safeguarding alerts, sign-in links and receipts (sent first)"
    ),
}
_RESERVE = N_(
    "Set %(prefix)sURGENT_RESERVE_PER_MINUTE below %(prefix)sMESSAGES_PER_MINUTE and "
    "%(prefix)sURGENT_RESERVE_PER_DAY below %(daily)s."
)


def pacing_row(name: str, mail: Any, prefix: str, daily: int, unit: str) -> CheckRow:
    """The sending pace and what routine mail leaves for urgent mail (from the settings
    ``mail``, whose variables start with ``prefix``): ``daily`` ``unit`` (``recipients`` or
    ``messages``) a day at most; ``name`` the row's, said in the language spoken."""
    minute, day = mail.urgent_reserve_per_minute, mail.urgent_reserve_per_day
    ok = pacing_problem(mail, prefix, daily, unit) is None  # the reserves are never negative
    return row(
        name,
        ok,
        _PACING[unit],
        None if ok else _RESERVE,
        prefix=prefix,
        per_minute=mail.messages_per_minute,
        daily=f"{daily:,}",
        routine_minute=mail.messages_per_minute - minute,
        routine_day=f"{daily - day:,}",
    )
