"""The lines the bot writes into a report's chronology, and how a reader sees them.

Each line is written in English, exactly as it always was, from one of the catalogue sentences
below: a chronology entry is sealed into the audit chain when written (``bot.core.audit.seals``),
so what is stored never changes, in any language. When the report is shown, a line the bot
wrote is recognised by the sentence it was written from and said again in the reader's language
(``cy+en``: Welsh, then the line as stored); the stored line stays the record, and the exports
and the evidence pack keep it as it is. A line not recognised (written before, or with words
the school has since changed) is shown as stored.
"""

from __future__ import annotations

import re
from functools import cache
from gettext import NullTranslations

from bot.core.i18n import N_, both, translations
from bot.core.words import Words, words_in
from bot.features.reports.rules import (
    STATUSES,
    clock_labels,
    illegal_content_advice,
    referral_targets,
)

__all__ = [
    "BOT_KINDS",
    "CLOCK_STOPPED_IN_TIME",
    "CLOCK_STOPPED_LATE",
    "DECIDED_NOT_TO_REFER",
    "IMMEDIATE_RISK",
    "NOBODY",
    "NOBODY_ALERTED",
    "NO_LINE_MANAGER",
    "OWNER_SET",
    "REFERRED",
    "STATUS_CHANGED",
    "SUBJECT_RECORDED",
    "SUBJECT_RECORDED_OWNER",
    "WITHHELD",
    "said",
    "withheld",
]

# the kinds of entry whose lines the bot writes (a person's own actions, notes and corrections
# are their words, shown as they wrote them)
BOT_KINDS = frozenset({"system", "status", "owner", "referral", "decision"})

STATUS_CHANGED = N_("Status changed from %(status_from)s to %(status_to)s.")
OWNER_SET = N_("Owner set to %(owner)s.")
NOBODY = N_("nobody")
REFERRED = N_("Referred to %(referral)s.")  # + the person's own details, as they wrote them
DECIDED_NOT_TO_REFER = N_("Decision: no referral to %(referral)s needed.")  # + details
CLOCK_STOPPED_LATE = N_("Clock stopped: %(clock)s (after its deadline)")
CLOCK_STOPPED_IN_TIME = N_("Clock stopped: %(clock)s (in time)")
NO_LINE_MANAGER = N_(
    "No line manager to tell: the directory names none for the member of staff (or only the "
    "person it is about)."
)
SUBJECT_RECORDED = N_(
    "Recorded by %(who)s as being about %(person)s: they are not told and cannot see this report."
)
SUBJECT_RECORDED_OWNER = N_(
    "Recorded by %(who)s as being about %(person)s: they are not told and cannot see this "
    "report. They were its owner; it has no owner now."
)
NOBODY_ALERTED = N_(
    "Nobody could be alerted: the configuration names no %(dsl)s, deputy or %(head)s for this "
    "kind of report."
)
IMMEDIATE_RISK = N_(
    "The reporter said a child may be at risk of harm right now. A child may be at risk of "
    "harm right now: if so call 999, and tell the %(dsl)s in person now."
)


def withheld(count: int, tr: NullTranslations | None = None) -> str:
    """The line for attached files not stored (suspected illegal images), not yet filled
    (``%(num)s``): English unless ``tr`` is given."""
    return (tr or NullTranslations()).ngettext(
        "%(num)s attached file was not stored: images that may be indecent must not be copied "
        "or kept. Secure the original device instead.",
        "%(num)s attached files were not stored: images that may be indecent must not be "
        "copied or kept. Secure the original device instead.",
        count,
    )


WITHHELD = (withheld(1), withheld(2))  # the English lines, as stored
_WHOLE = (
    STATUS_CHANGED,
    OWNER_SET,
    CLOCK_STOPPED_LATE,
    CLOCK_STOPPED_IN_TIME,
    NO_LINE_MANAGER,
    SUBJECT_RECORDED_OWNER,
    SUBJECT_RECORDED,
    NOBODY_ALERTED,
    IMMEDIATE_RISK,
)
_FOLLOWED = (REFERRED, DECIDED_NOT_TO_REFER)  # the person's own details may follow


@cache
def _pattern(sentence: str) -> re.Pattern[str]:
    """The English sentence as a pattern, each value a named group."""
    parts = re.split(r"%\((\w+)\)s", sentence)
    return re.compile(
        "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
    )


def _values(
    found: dict[str, str], words: Words, tr: NullTranslations
) -> dict[str, str | int] | None:
    """Each value said in ``tr``'s language, or None when one is not what the bot writes there."""
    local = words_in(words, tr)
    said: dict[str, str | int] = {}
    for name, value in found.items():
        result = _value(name, value, words, local, tr)
        if result is None:
            return None
        said[name] = result
    return said


def _value(
    name: str, value: str, words: Words, local: Words, tr: NullTranslations
) -> str | int | None:
    """One value in ``tr``'s language: a status, a referral, a clock, the pack's words, a count;
    a person's name or address as it is."""
    if name in ("status_from", "status_to"):
        return tr.gettext(value) if value in STATUSES.values() else None
    if name == "owner":
        return tr.gettext(NOBODY) if value == NOBODY else value
    if name == "referral":
        return _same_key(value, referral_targets(words), referral_targets(local, tr))
    if name == "clock":
        return _same_key(value, clock_labels(words), clock_labels(local, tr))
    if name in ("dsl", "head"):
        key = "dsl" if name == "dsl" else "headteacher"
        return str(getattr(local, key)) if value == getattr(words, key) else None
    if name == "num":
        return int(value) if value.isdigit() else None
    return value


def _same_key(value: str, english: dict[str, str], local: dict[str, str]) -> str | None:
    key = next((k for k, v in english.items() if v == value), None)
    return local[key] if key is not None else None


def _welsh(text: str, words: Words, tr: NullTranslations) -> str:
    """The line said in ``tr``'s language, or as stored when it is not recognised."""
    if text == illegal_content_advice(words):
        return illegal_content_advice(words_in(words, tr), tr)
    for sentence in (*_WHOLE, *WITHHELD):
        found = _pattern(sentence).fullmatch(text)
        values = _values(found.groupdict(), words, tr) if found else None
        if values is not None:
            if sentence in WITHHELD:
                count = int(values["num"])
                return withheld(count, tr) % values
            return tr.gettext(sentence) % values
    for sentence in _FOLLOWED:
        found = _pattern(sentence).match(text)
        rest = text[found.end() :] if found else None
        if found and (not rest or rest.startswith(" ")):
            values = _values(found.groupdict(), words, tr)
            if values is not None:
                return tr.gettext(sentence) % values + (rest or "")
    return text


def said(text: str, kind: str, words: Words, language: str) -> str:
    """A chronology line as the reader reads it: a line the bot wrote (``BOT_KINDS``) in
    ``language`` (``words``: the school's, in English, as the line was written); any other,
    and every line in English, as stored."""
    if language == "en" or kind not in BOT_KINDS:
        return text
    if language == "cy+en":
        welsh = _welsh(text, words, translations("cy"))
        return both(welsh, text)
    return _welsh(text, words, translations(language))
