"""The school's words for what the code calls otherwise: counts, roles, reminder stages, times.

Every page, email and command that shows a count, a role or a reminder stage goes through these
helpers, so no internal name (``deputy_dsl``, ``overdue:2``) or "(s)" plural reaches a person.
The words that differ by nation (the DSL's title, LADO, KCSIE, FGB) come from the school's
nation pack with its overrides: ``school_words(school)`` (``bot.core.nations``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.config.fields import ROLES
from bot.core.days.clock import to_local
from bot.core.language.i18n import N_, Dated, Day, Joined, Lazy, Msg, N_plural, Said, nmsg, spoken
from bot.core.nations import DEFAULT_NATION, WORD_KEYS, Words, school_words_for
from bot.core.nations.inspectorates import inspectorate

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ROLE_ORDER",
    "SaidWords",
    "Words",
    "capital",
    "csv_text",
    "day_and_time",
    "default_words",
    "has_phrase",
    "header_words",
    "human_date",
    "human_time",
    "left_out_words",
    "name_words",
    "plain_key",
    "plural",
    "role_list",
    "role_name",
    "said_words",
    "school_words",
    "spreadsheet_safe",
    "stage_list",
    "stage_name",
    "version_name",
    "zip_files",
]


class _HasWords(Protocol):
    """A school configuration: its nation and its own words (``SchoolConfig``)."""

    @property
    def country(self) -> str: ...

    @property
    def words(self) -> Mapping[str, str]: ...

    @property
    def independent(self) -> bool: ...

    @property
    def inspected_by(self) -> str | None: ...


def school_words(school: _HasWords) -> Words:
    """The school's words: its nation pack's, its inspectorate's name, and the school's
    overrides on top."""
    said = school.inspected_by
    name = inspectorate(said).name if said else NOT_STATED_INSPECTORATE
    own = {"inspectorate": name, **school.words}
    return school_words_for(school.country, own, independent=school.independent)


# the inspectorate of a school that has not said who inspects it, where the school must say
NOT_STATED_INSPECTORATE = N_("the inspectorate (not stated)")


class SaidWords:
    """A school's words said in the language of where they are shown: each a ``Msg`` of the
    nation pack's word ('pennaeth' for 'headteacher' in Welsh: the catalogue translates it and
    cites its source), a word the school chose as it chose it. The pack is never changed."""

    __slots__ = ("words",)

    def __init__(self, words: Words) -> None:
        self.words = words

    def __getattr__(self, key: str) -> Msg:
        return Msg(getattr(self.words, key))


def said_words(words: Words | SaidWords) -> SaidWords:
    """``words`` as ``SaidWords`` (unchanged when they are already)."""
    return words if isinstance(words, SaidWords) else SaidWords(words)


def default_words() -> Words:
    """England's words, for a line written before any school is known (a fresh ``init``)."""
    return school_words_for(DEFAULT_NATION)


# the roles in reading order; the nation-dependent ones take their name from the school's words
ROLE_ORDER: tuple[str, ...] = (*ROLES, "trust_admin", "trust_safeguarding_lead")
_PLAIN_ROLES = {  # the rest read as they are written; each in the catalogue (``|translated``)
    "volunteer": N_("volunteer"),
    "supply": N_("supply staff"),
    "dpo": N_("data protection officer"),
    "account_holder": N_("official account holder"),
    "admin": N_("administrator"),
    "trust_admin": N_("trust-wide administrator"),
    "trust_safeguarding_lead": N_("trust safeguarding lead"),
}
# the roles whose names are the school's words (``Words``), under the same key but the chair's
_ROLE_WORD = {"chair_of_governors": "chair"}

# the overdue reminders' ordinals, each its own sentence (Welsh puts "cyntaf" after the noun)
_OVERDUE = (
    N_("first overdue reminder"),
    N_("second overdue reminder"),
    N_("third overdue reminder"),
    N_("fourth overdue reminder"),
    N_("fifth overdue reminder"),
    N_("sixth overdue reminder"),
    N_("seventh overdue reminder"),
    N_("eighth overdue reminder"),
    N_("ninth overdue reminder"),
    N_("tenth overdue reminder"),
)
# after the tenth, a language without English's ordinals says the number
_OVERDUE_PAST_TENTH = N_("overdue reminder number %(num)d")


def plain_key(text: str) -> str:
    """Words as people type them, for comparing: no accents, no case, single spaces
    ("Siobhan  o'NEILL" and "Siobhán O'Neill" are the same)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def header_words(text: str) -> str:
    """A spreadsheet column's header as its words are compared (``has_phrase``): plain
    (``plain_key``), without punctuation or brackets' marks, space-padded ("First Name
    [Required]" → " first name required ", "Lived/worked abroad?" → " lived worked abroad ")."""
    return f" {' '.join(re.findall(r'[a-z0-9]+', plain_key(text).replace(chr(39), '')))} "


def has_phrase(words: str, phrases: Iterable[str]) -> bool:
    """Whether ``header_words`` hold one of ``phrases`` (its words together, whole)."""
    return any(f" {p} " in words for p in phrases)


# titles written before a name (English, Irish and Welsh use); never part of who is meant
_HONORIFICS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "fr",
        "father",
        "rev",
        "revd",
        "reverend",
        "canon",
        "msgr",
        "mgr",
        "sr",
        "sister",
        "br",
        "brother",
        "prof",
        "professor",
        "sir",
        "dame",
        "lady",
        "lord",
        "cllr",
        "councillor",
    }
)


def name_words(text: str, *, accents: bool = False) -> list[str]:
    """A name's words as people search for them: plain (``plain_key``; lower case only, with
    ``accents``), without punctuation and without titles ("Fr. Brendan Maguire" →
    ["brendan", "maguire"])."""
    key = " ".join(text.casefold().split()) if accents else plain_key(text)
    words = (w.strip(".,;:()'\"") for w in key.replace(".", ". ").split())
    return [w for w in words if w and plain_key(w) not in _HONORIFICS]


def capital(text: str) -> str:
    """``text`` with its first letter a capital, as a sentence or title starts: "governors'
    report" -> "Governors' report" (an HTML-safe text stays safe: nothing is escaped again)."""
    said = str(text)
    return type(text)(said[:1].upper() + said[1:])


def plural(count: int, singular: str, many: str | None = None) -> str:
    """'1 message', '2 messages', '3 policies' (give ``many`` when adding 's' is wrong)."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def role_name(role: str, words: Words | None = None) -> str:
    """A role as the school says it: ``deputy_dsl`` → 'deputy DSL' (England's words when
    ``words`` is not given; pass ``school_words(school)``)."""
    words = words or default_words()
    word = _ROLE_WORD.get(role, role)
    if word in WORD_KEYS:
        return str(getattr(words, word))
    return _PLAIN_ROLES.get(role, role.replace("_", " "))


def role_list(roles: Iterable[str], words: Words | None = None) -> Lazy:
    """Several roles in a stable order, joined for reading: 'DSL, headteacher'; each said in
    the language of where it is shown ('staff, gwirfoddolwr')."""
    order = {name: i for i, name in enumerate(ROLE_ORDER)}
    names = [role_name(r, words) for r in sorted(set(roles), key=lambda r: (order.get(r, 99), r))]
    return Joined((Msg(name) for name in names), ", ")


def _ordinal(number: int) -> str:
    """'11th', '22nd', '103rd' (an overdue reminder after the tenth)."""
    teens = 10 <= number % 100 <= 20
    suffix = "th" if teens else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def stage_name(label: str) -> Lazy:
    """A reminder stage in words (the stored label never changes): ``ask`` → 'first request',
    ``before:7`` → '7 days before the due date', ``due`` → 'on the due date', ``overdue:2`` →
    'second overdue reminder'."""
    kind, _, number = label.partition(":")
    if kind == "ask":
        return Msg(N_("first request"))
    if kind == "due":
        return Msg(N_("on the due date"))
    if kind == "before" and number.isdigit():
        return nmsg(
            "%(num)d day before the due date", "%(num)d days before the due date", int(number)
        )
    if kind == "overdue" and number.isdigit():
        if 1 <= int(number) <= len(_OVERDUE):
            return Msg(_OVERDUE[int(number) - 1])
        return Said(lambda: _past_tenth(int(number)))
    return Msg(N_("reminder"))


def _past_tenth(number: int) -> str:
    """An overdue reminder after the tenth: English's ordinal, as it always was; a language
    without English's ordinals says the number ("nodyn atgoffa hwyr rhif 11")."""
    if spoken() == "en":
        return f"{_ordinal(number)} overdue reminder"
    return str(Msg(_OVERDUE_PAST_TENTH, num=number))


def stage_list(labels: Iterable[str]) -> Lazy:
    """Several stages in words: 'second overdue reminder, on the due date'."""
    return Joined((stage_name(label) for label in labels), ", ")


@lru_cache(maxsize=2048)  # a digest run writes the same few dozen dates a million times
def human_date(day: date) -> str:
    """'Friday 4 December 2026' — how schools write dates."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def day_and_time(moment: datetime) -> Joined:
    """'Monday 26 October 2026, 10:00' in the school's zone (Europe/London), said where
    shown."""
    local = to_local(moment)
    return Joined((Day(local), f", {local:%H:%M}"))


def human_time(moment: datetime) -> str:
    """'Monday 26 October 2026 at 10:00' in the school's zone (Europe/London)."""
    local = to_local(moment)
    return f"{human_date(local.date())} at {local:%H:%M}"


_VERSION_NUMBER_RE = re.compile(r"^v?\d", re.IGNORECASE)


# the label the bot dates a version by where the document states none (``policies.rules
# .dated_label``): kept in English, said in the reader's language
_DATED_LABEL_RE = re.compile(
    r"^(?P<word>adopted|reviewed|added) (?:(?P<day>\d{1,2}) )?(?P<month>[A-Z][a-z]+) "
    r"(?P<year>\d{4})(?P<again> \(\d+\))?$"
)
_DATED_WORDS = {
    "adopted": N_("adopted %(when)s"),
    "reviewed": N_("reviewed %(when)s"),
    "added": N_("added %(when)s"),
}


def version_name(label: str, *, start: bool = False) -> Lazy | str:
    """A policy version as staff read it: a number the document states is 'version 3.2'
    ('fersiwn 3.2'); a label the bot dated it by ('adopted 12 November 2026') is said in the
    reader's language ('mabwysiadwyd 12 Tachwedd 2026'); one the school chose is shown as it
    is. ``start``: capitalised, to begin a sentence."""
    said: Lazy
    if _VERSION_NUMBER_RE.match(label):
        said = Msg(N_("version %(label)s"), label=label)
    elif dated := _dated(label):
        said = dated
    else:
        return label[:1].upper() + label[1:] if start else label
    return Said(lambda: str(said)[:1].upper() + str(said)[1:]) if start else said


def _dated(label: str) -> Lazy | None:
    """A label the bot dated a version by, said in the reader's language (None: not one)."""
    if (found := _DATED_LABEL_RE.match(label)) is None:
        return None
    try:
        on = datetime.strptime(f"{found['day'] or 1} {found['month']} {found['year']}", "%d %B %Y")
    except ValueError:
        return None
    day = on.date()
    when = Dated(day, "%-d %B %Y", "d MMMM y") if found["day"] else Dated(day, "%B %Y", "MMMM y")
    happened = _DATED_WORDS[found["word"]]
    return Joined((Msg(happened, when=when), found["again"] or ""))


def spreadsheet_safe(cell: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula."""
    text = "" if cell is None else str(cell)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> str:
    """A table as CSV text, every cell made spreadsheet-safe; ``bom``: with the byte-order mark
    Excel needs to read accents in a downloaded file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return ("\ufeff" if bom else "") + out.getvalue()


def zip_files(files: dict[str, bytes], made: datetime) -> bytes:
    """The files in a zip, each dated ``made`` (the same bytes for the same files)."""
    buffer = io.BytesIO()
    stamp = (made.year, made.month, made.day, made.hour, made.minute, made.second - made.second % 2)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


_LEFT_OUT = {
    "guest": N_plural("%(count)s guest", "%(count)s guests"),
    "unlicensed account": N_plural("%(count)s unlicensed account", "%(count)s unlicensed accounts"),
    "account with no mailbox": N_plural(
        "%(count)s account with no mailbox", "%(count)s accounts with no mailbox"
    ),
}


def left_out_words(counts: Mapping[str, int]) -> Lazy:
    """A directory's left-out accounts as a person reads them: '3 guests, 2 unlicensed
    accounts' ('none' when there are none)."""
    shown: list[object] = [  # English: a kind a connector adds later, until it is put here
        nmsg(*_LEFT_OUT[kind], n) if kind in _LEFT_OUT else f"{n} {kind if n == 1 else kind + 's'}"
        for kind, n in sorted(counts.items())
        if n
    ]
    return Joined(shown, ", ") if shown else Msg(N_("none"))
