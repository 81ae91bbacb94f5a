"""A school's language: the message catalogue (gettext through Babel) for ``en``, ``cy`` and
``cy+en``, the one active language, and a sentence kept with its values until it is shown.

English is the source text: every sentence a person reads is written in English in a template
(``{% trans %}``, ``_()``) or in Python (``Msg``, ``nmsg``, ``say``, ``nsay``, or ``N_`` where
the sentence is kept in a table and said where it is used), and ``pybabel extract`` (``babel.cfg``)
writes them to ``bot/locale/messages.pot``. The Welsh catalogue,
``bot/locale/cy/LC_MESSAGES/messages.po``, is compiled when first asked for (no ``.mo`` in the
repository to fall out of step); an entry marked ``fuzzy`` (a term not confirmed) stays English.

One language is active for a job, a request or a message (``speaking``, as Django's
``translation.override`` and Flask-Babel's ``force_locale``): business code passes no language.
What is stored or raised for a person to read is a ``Msg`` (its msgid and values, as Django's
``ValidationError(message, params)`` and Home Assistant's ``translation_key`` +
``translation_placeholders``), said where it is shown, its values (a date, a nation's word, the
head's title) said in the same language as the sentence around them.

``cy+en`` (a dual-language school) says the whole message in Welsh, then the whole of it in
English, joined once (``each_language``; a sentence on its own: "Cymraeg / English"): each half
in one language, no value said twice (Welsh Language Standards: Welsh first, neither language
treated less favourably). A sentence the catalogue does not translate is shown once, in English.

Example::

    problem = Msg(N_("unknown course '%(course)s'"), course="Prevent")
    with speaking(school.language):
        html = template.render(...)      # {% trans %} and _() in the school's language
        line = str(problem)              # the sentence in it too
"""

from __future__ import annotations

import gettext as _gettext
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

if TYPE_CHECKING:  # `--help` loads no template engine (tests/cli/test_demo.py)
    from jinja2 import Environment
    from jinja2.runtime import Context

__all__ = [
    "BETWEEN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Coverage",
    "Dated",
    "Day",
    "Joined",
    "Language",
    "Lazy",
    "Msg",
    "N_plural",
    "Said",
    "both",
    "coverage",
    "each_language",
    "halves",
    "html_lang",
    "install",
    "language_name",
    "nmsg",
    "nsay",
    "person_language",
    "said_in",
    "say",
    "shared_language",
    "short_date",
    "shown",
    "speak",
    "speaking",
    "spoken",
]

Language = Literal["en", "cy", "cy+en"]
T = TypeVar("T")
LANGUAGES: tuple[str, ...] = get_args(Language)
LOCALE_DIR = Path(__file__).parents[2] / "locale"
BETWEEN = " / "  # Welsh, then this, then English (cy+en)
_NAMES = {"en": "English", "cy": "Cymraeg", "cy+en": "Cymraeg / English"}


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue where it is kept in a table; translate it where used."""
    return message


def N_plural(singular: str, plural: str, /) -> tuple[str, str]:
    """Mark a sentence and its plural for the catalogue where they are kept in a table
    (``nmsg(*pair, n)`` says them)."""
    return singular, plural


def language_name(language: str) -> str:
    """A language as its speakers write it: 'Cymraeg', 'English', 'Cymraeg / English'."""
    return _NAMES.get(language, _NAMES["en"])


def shared_language(languages: Iterable[str]) -> str:
    """The one language of several schools (a trust's, when they all chose the same; a
    connection's; a sweep's): English when they differ, or there are none."""
    found = set(languages)
    return found.pop() if len(found) == 1 else "en"


def person_language(school_language: str, chosen: str | None) -> str:
    """What a person reads: their own choice (``cy`` or ``en``) where the school is
    dual-language (``cy+en``), else the school's language."""
    if school_language == "cy+en" and chosen in ("cy", "en"):
        return str(chosen)
    return school_language


def html_lang(language: str) -> str:
    """The page's ``<html lang>``: Welsh first in ``cy`` and ``cy+en``; British English else."""
    return "cy" if language in ("cy", "cy+en") else "en-GB"


# ----------------------------------------------------------------------- the active language
_SPOKEN: ContextVar[str] = ContextVar("language", default="en")


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Say everything inside this block in ``language`` (a job's, a request's, a message's):
    ``say``, ``Msg`` and every template's ``{% trans %}`` and ``_()`` read it, as Django's
    ``translation.override`` and Flask-Babel's ``force_locale`` do."""
    token = _SPOKEN.set(language if language in LANGUAGES else "en")
    try:
        yield
    finally:
        _SPOKEN.reset(token)


def spoken() -> str:
    """The active language (``speaking``), ``en`` outside one."""
    return _SPOKEN.get()


def speak(language: str) -> None:
    """From here on say everything in ``language``, until the ``speaking`` block around this
    ends (a command that learns its school's language part way through)."""
    _SPOKEN.set(language if language in LANGUAGES else "en")


def said_in(language: str, value: object) -> str:
    """``value`` said now in ``language``."""
    with speaking(language):
        return str(value)


def each_language(build: Callable[[], T], join: Callable[[T, T], T] | None = None) -> T:
    """``build()`` in the active language; in ``cy+en`` the whole of it built in Welsh, then
    the whole of it in English, joined once (``join``; text: Welsh `` / `` English, a list
    or tuple item by item): each half in one language, no value said in both."""
    if _SPOKEN.get() != "cy+en":
        return build()
    with speaking("cy"):
        welsh = build()
    with speaking("en"):
        english = build()
    return (join or _joined)(welsh, english)


def _joined(welsh: Any, english: Any) -> Any:
    """Two builds of one thing joined: text as ``both``; lists and tuples item by item."""
    if isinstance(welsh, (list, tuple)) and len(welsh) == len(english):
        return type(welsh)(_joined(w, e) for w, e in zip(welsh, english, strict=True))
    if isinstance(welsh, str) and isinstance(english, str):
        return both(welsh, english)
    return welsh if welsh == english else english


# ------------------------------------------------------------------ a sentence and its values
class Lazy:
    """A value said in the language of where it is shown (``said``): ``str()`` says it in the
    active language; ``cy+en`` says it whole in Welsh, then in English."""

    __slots__ = ()

    def said(self, language: str) -> str:
        """This value in ``language`` (``en`` or ``cy``)."""
        raise NotImplementedError

    def __str__(self) -> str:
        language = _SPOKEN.get()
        if language == "cy+en":
            return both(self.said("cy"), self.said("en"))
        return self.said(language)

    def __add__(self, other: object) -> Joined:
        return Joined((self, other))

    def __radd__(self, other: object) -> Joined:
        return Joined((other, self))

    def __getitem__(self, key: int | slice) -> str:
        return str(self)[key]

    # as Django's lazy text: compared with text, searched and tested as what it says now
    def __eq__(self, other: object) -> bool:
        return str(self) == other if isinstance(other, str) else self is other

    def __hash__(self) -> int:
        return hash(self.said("en"))

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __getattr__(self, name: str) -> Any:
        """A text method (``split``, ``startswith``…) of what this says in the active language."""
        if name.startswith("__") or not hasattr(str, name):
            raise AttributeError(name)
        return getattr(str(self), name)


def shown(value: object, language: str) -> object:
    """A value as a sentence in ``language`` shows it: a ``Lazy`` said in it, a date as the
    school writes it (``Day``), anything else as it is (a name, a number)."""
    if isinstance(value, Lazy):
        return value.said(language)
    if callable(value):  # a value said by a function of the language (another sentence)
        return Said(value).said(language)
    if isinstance(value, date) and not isinstance(value, datetime):
        return Day(value).said(language)
    return value


class Msg(Lazy):
    """A catalogue sentence (its msgid, marked ``N_`` or written in the call) and its values,
    said when shown in the reader's language, as Django's ``ValidationError(message, params)``
    and Home Assistant's ``translation_key`` + ``translation_placeholders`` keep them: what is
    stored or raised for a person to read is one of these, never text rendered in advance.
    ``plural`` and ``n``: the plural msgid and the count choosing the form (``num`` and
    ``count`` are ``n`` unless given).

    Example::

        problem = Msg(N_("unknown course '%(course)s'"), course="Prevent")
        str(problem)  # in the active language
        problem.said("cy")
    """

    __slots__ = ("message", "n", "plural", "values")

    def __init__(
        self, message: str, plural: str | None = None, n: int | None = None, /, **values: object
    ) -> None:
        self.message, self.plural, self.n = message, plural, n
        if plural is not None:  # the count, as the catalogue names it
            values.setdefault("num", n)
            values.setdefault("count", n)
        self.values = values

    def text(self, language: str) -> str:
        """The catalogue's sentence in ``language`` (``en`` or ``cy``), its placeholders open."""
        if not self.message:  # gettext("") is the catalogue's header
            return ""
        if self.plural is None:
            return _catalogue(language).gettext(self.message)
        return _catalogue(language).ngettext(self.message, self.plural, self.n or 0)

    def said(self, language: str) -> str:
        """The sentence in ``language`` (``en`` or ``cy``), its values said in it too."""
        text = self.text(language)
        return text % _filled(text, self.values, language) if self.values else text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Msg):
            return self._key() == other._key()
        return super().__eq__(other)

    __hash__ = Lazy.__hash__  # the same sentence and values say the same English

    def _key(self) -> tuple[Any, ...]:
        return (self.message, self.plural, self.n, tuple(sorted(self.values.items())))

    def __repr__(self) -> str:
        return f"Msg({self.message!r}, {self.values!r})"


class Joined(Lazy):
    """Values said one after another in the same language (``sep`` between them)."""

    __slots__ = ("parts", "sep")

    def __init__(self, parts: Iterable[object], sep: str = "") -> None:
        self.parts, self.sep = tuple(parts), sep

    def said(self, language: str) -> str:
        """Each part said in ``language``, joined."""
        return self.sep.join(str(shown(part, language)) for part in self.parts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Joined):
            return (self.parts, self.sep) == (other.parts, other.sep)
        return super().__eq__(other)

    __hash__ = Lazy.__hash__


class Said(Lazy):
    """Anything said by a function of the active language (a line built of several sentences,
    a word chosen by a rule): ``build`` runs in the language it is shown in."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], object]) -> None:
        self.build = build

    def said(self, language: str) -> str:
        """``build()`` in ``language``."""
        with speaking(language):
            return str(self.build())


nmsg = Msg  # a ``Msg`` with a plural form chosen by ``n`` (``num`` is ``n`` unless given)


def say(message: str, /, **values: object) -> str:
    """The catalogue's ``message`` with its ``values``, said now in the active language (both
    halves, Welsh first, in ``cy+en``: each with its values in its own language)."""
    return str(Msg(message, **values))


def nsay(singular: str, plural: str, n: int, /, **values: object) -> str:
    """``say`` for a sentence with a plural form chosen by ``n`` (``num`` is ``n`` unless
    given)."""
    return str(Msg(singular, plural, n, **values))


class Day(Lazy):
    """A date as the school writes it, in the language it is shown in."""

    __slots__ = ("day",)

    def __init__(self, day: date) -> None:
        self.day = day

    def said(self, language: str) -> str:
        """'Friday 4 December 2026'; 'Dydd Gwener 4 Rhagfyr 2026' (``babel.dates``)."""
        if language == "cy":
            return format_date(self.day, "EEEE d MMMM y", locale="cy")
        return f"{self.day:%A} {self.day.day} {self.day:%B %Y}"


class Dated(Lazy):
    """A date written another way: ``english`` a strftime pattern, ``welsh`` babel's.

    Example::

        Dated(day, "%-d %B %Y", "d MMMM y")  # '4 December 2026', '4 Rhagfyr 2026'
    """

    __slots__ = ("day", "english", "welsh")

    def __init__(self, day: date | datetime, english: str, welsh: str) -> None:
        self.day, self.english, self.welsh = day, english, welsh

    def said(self, language: str) -> str:
        """The date in ``language``'s own pattern (``%-d``: the day without a leading zero)."""
        if language == "cy":
            if isinstance(self.day, datetime):  # its time too ('HH:mm'), in its own zone
                return format_datetime(self.day, self.welsh, locale="cy")
            return format_date(self.day, self.welsh, locale="cy")
        return format(self.day, self.english.replace("%-d", str(self.day.day)))


# Welsh softens "dydd" to "ddydd" after the prepositions am, ar, at, gan, heb, i, o, dan, dros
# (tros), drwy (trwy), wrth and hyd ("ar ddydd Gwener"; Canolfan Peniarth, Cywirdeb Iaith,
# gweithgaredd 48: "a soft mutation is required after each of the following"; BBC Bitesize,
# WJEC Welsh, "Other little words and soft mutation"), not after "erbyn" or "ers" ("erbyn dydd
# Gwener"). Inside a sentence the noun is lower case and the day's name keeps its capital
# ("Mae dydd Llun yn ddiwrnod o'r wythnos", Wicipedia; "dydd Llun, dydd Iau", Parallel.cymru's
# Dr Gramadeg); babel writes "Dydd Llun", as a date standing alone (a table's cell) takes.
# So the catalogue's Welsh writes the noun before a day itself, in the form its words need
# ("ar ddydd %(day)s", "erbyn dydd %(day)s"), and the day after the noun is said without its
# own ("Gwener 4 Rhagfyr 2026"): the grammar is the translator's, never a rewrite of the text.
_AFTER_NOUN = re.compile(r"\b[Dd]{1,2}ydd (?:<[^<>]*>)*%\((\w+)\)s")


def _filled(text: str, values: dict[str, object], language: str) -> dict[str, object]:
    """``values`` as ``text`` (a sentence in ``language``) shows them: each said in it, and a
    day after the noun the sentence writes for it without its own ("ar ddydd %(day)s")."""
    after_noun = set(_AFTER_NOUN.findall(text)) if language == "cy" else set()
    return {
        key: _without_noun(value) if key in after_noun else shown(value, language)
        for key, value in values.items()
    }


def _without_noun(value: object) -> object:
    """A Welsh day written after its noun: 'Gwener 4 Rhagfyr 2026' (a date and time: its day so)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = Day(value)
    if isinstance(value, Joined) and value.parts:
        return (
            str(_without_noun(value.parts[0]))
            + value.sep
            + value.sep.join(str(shown(part, "cy")) for part in value.parts[1:])
        )
    said = str(shown(value, "cy"))
    return said.removeprefix("Dydd ") if isinstance(value, (Day, Dated)) else said


@cache
def _welsh() -> Translations:
    """The Welsh catalogue, compiled from its ``.po`` once per process (fuzzy entries left out)."""
    with (LOCALE_DIR / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="cy")
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def both(welsh: str, english: str) -> str:
    """``cy+en``: the Welsh, then ``BETWEEN`` and the English; once when they are the same
    (untranslated, or a name)."""
    return english if welsh == english else f"{welsh}{BETWEEN}{english}"


def halves(text: str) -> tuple[str, str]:
    """The Welsh and the English of ``text`` as ``both`` joined them (a dual-language school's
    stored subject), split at its one ``BETWEEN``; ``text`` as both halves where it has none
    (said once: a name, a sentence not translated) or several (where they join cannot be told)."""
    welsh, between, english = text.partition(BETWEEN)
    return (welsh, english) if between and BETWEEN not in english else (text, text)


def _catalogue(language: str) -> _gettext.NullTranslations:
    """The catalogue ``language`` (``en`` or ``cy``) is said from: the English source itself,
    or the Welsh."""
    return _welsh() if language == "cy" else _ENGLISH


_ENGLISH = _gettext.NullTranslations()


def install(env: Environment) -> None:
    """Give ``env`` the i18n extension, its ``gettext``/``ngettext``/``_()`` (and ``{% trans
    %}``) saying each sentence in the active language with its values said in it too (a
    date, a ``Msg``): in ``cy+en`` the sentence in Welsh with Welsh values, then in English
    with English ones. ``html_lang()``/``language()`` give the page's ``<html lang>``."""
    from jinja2 import pass_context  # lazy: `--help` loads no template engine (test_demo)

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda m: m, ngettext=lambda s, p, n: s if n == 1 else p, newstyle=True
    )

    @pass_context
    def gettext(context: Context, message: str, /, **values: object) -> str:
        escaped = context.eval_ctx.autoescape
        if not values:  # a sentence alone: said once per language (a page says dozens)
            return _alone(message, _SPOKEN.get(), escaped)
        return _in_template(escaped, Msg(message, **values))

    @pass_context
    def ngettext(context: Context, one: str, many: str, n: int, /, **values: object) -> str:
        return _in_template(context.eval_ctx.autoescape, Msg(one, many, n, **values))

    env.globals.update(gettext=gettext, ngettext=ngettext, _=gettext)
    # ``{% call each_language() %}…{% endcall %}``: sentences shown together (one line, one
    # cell) said whole in Welsh, then whole in English, joined once (``each_language``)
    env.globals["each_language"] = lambda caller: each_language(caller, _block_joined)
    env.globals["html_lang"] = lambda: html_lang(_SPOKEN.get())
    env.globals["language"] = spoken
    env.filters["day_text"] = Day  # said in the language of where it is shown
    # a sentence held in a variable that may carry a person's own text (an error's detail can
    # name their file): translated, never %-formatted as ``_()`` would (a "%" in it is theirs)
    # (kept unsaid: said in the language of the sentence it fills)
    env.filters["translated"] = lambda text: text if isinstance(text, Lazy) else Msg(text)
    env.filters["short_day"] = short_date
    # values joined to be said together in the sentence's language (``join`` says each now)
    env.filters["join_said"] = lambda values, sep="": Joined(values, sep)
    # a day and its time: 'Wednesday 16 September 2026, 10:00'; 'Dydd Mercher 16 Medi 2026, 10:00'
    env.filters["day_time"] = lambda moment: Dated(moment, *_DAY_TIME)


def _block_joined(welsh: str, english: str) -> str:
    """A template's block in Welsh and in English (each escaped already, or plain text),
    joined once as it is; once when they are the same."""
    return english if welsh == english else type(english)(f"{welsh}{BETWEEN}{english}")


@lru_cache(maxsize=4096)
def _alone(message: str, language: str, escaped: bool) -> str:
    """A template's sentence without values in ``language``, kept (the catalogue never changes)."""
    with speaking(language):
        return _in_template(escaped, Msg(message))


def _in_template(escaped: bool, sentence: Msg) -> str:
    """A template's sentence in the active language, filled as Jinja's newstyle gettext fills
    it (always ``%``-formatted; escaped where the template autoescapes: ``escaped``), each value
    said in the sentence's own language; ``cy+en``: the Welsh sentence, then the English."""
    from markupsafe import Markup

    def half(language: str) -> str:
        text = sentence.text(language)
        if not sentence.values and "%" not in text:  # nothing to fill: formatting is a copy
            return Markup(text) if escaped else text  # noqa: S704 - as below
        filled = _filled(text, sentence.values, language)
        if escaped:
            return Markup(text) % filled  # noqa: S704 - the catalogue's own sentence
        return text % filled

    language = _SPOKEN.get()
    if language != "cy+en":
        return half(language)
    return _block_joined(half("cy"), half("en"))


@dataclass(frozen=True)
class Coverage:
    """How much of a catalogue is translated: msgids with a translation in use, of all."""

    translated: int
    total: int
    fuzzy: int  # terms not confirmed: left English, counted as untranslated

    @property
    def share(self) -> float:
        """Translated / total (0 for an empty catalogue)."""
        return self.translated / self.total if self.total else 0.0


def coverage(language: str = "cy") -> Coverage:
    """The catalogue's coverage for ``language``: every msgid ``pybabel extract`` writes, and
    those whose translation (every plural form) is used (not fuzzy, not empty)."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    messages = [m for m in catalog if m.id]
    done = [
        m
        for m in messages
        if not m.fuzzy and all(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    return Coverage(len(done), len(messages), sum(1 for m in messages if m.fuzzy))


_SHORT = ("%d %b %Y", "dd MMM y")  # a date in a table: '16 Sep 2026', '16 Medi 2026'
_DAY_TIME = ("%A %d %B %Y, %H:%M", "EEEE d MMMM y, HH:mm")


def short_date(day: date | datetime | None) -> Lazy | str:
    """A date in a table: '16 Sep 2026'; '16 Medi 2026' (said where shown); '—' for none."""
    return "—" if day is None else Dated(day, *_SHORT)
