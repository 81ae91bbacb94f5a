"""A school's language: the message catalogue (gettext through Babel) for ``en``, ``cy`` and
``cy+en``, and how it is put in a template's hands.

English is the source text: every sentence a person reads is written in English in a template
(``{% trans %}``, ``_()``) or in Python (``_()``, ``ngettext``, or ``N_`` where the sentence is
kept in a table and translated where it is used), and ``pybabel extract`` (``[tool.babel]`` in
pyproject.toml, ``babel.cfg``) writes them to ``bot/locale/messages.pot``. The Welsh catalogue,
``bot/locale/cy/LC_MESSAGES/messages.po``, is compiled when first asked for (no ``.mo`` in the
repository to fall out of step); an entry marked ``fuzzy`` (a term not confirmed) stays English.

``cy+en`` (a dual-language school) shows each sentence in Welsh first, then `` / `` and the
English: the subject line reads "Cymraeg / English", every paragraph, label and button likewise
(Welsh Language Standards: Welsh first, neither language treated less favourably). A sentence
the catalogue does not translate is shown once, in English.

A day inside a Welsh sentence is written as the words before it need, once its placeholders
are filled (``Sentence``, ``weekdays_in_sentence``): babel's "Dydd Gwener 4 Rhagfyr 2026" reads
"ar ddydd Gwener 4 Rhagfyr 2026" after a preposition that softens it and "erbyn dydd Gwener …"
elsewhere inside a sentence, so the catalogue writes "ar %(day)s" and never the day's noun.

Example::

    tr = translations("cy")
    tr.gettext("Action needed")          # 'Angen gweithredu'
    with speaking(school.language):
        html = template.render(...)         # {% trans %} and _() in Welsh
"""

from __future__ import annotations

import gettext as _gettext
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TypeVar, get_args

from babel.dates import format_date
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
    "Language",
    "Lazy",
    "Msg",
    "Sentence",
    "both",
    "coverage",
    "day_text",
    "each_language",
    "html_lang",
    "install",
    "language_name",
    "nsay",
    "person_language",
    "say",
    "say_in",
    "shared_language",
    "short_day",
    "shown",
    "speaking",
    "spoken",
    "translations",
    "weekdays_in_sentence",
]

Language = Literal["en", "cy", "cy+en"]
T = TypeVar("T")
LANGUAGES: tuple[str, ...] = get_args(Language)
LOCALE_DIR = Path(__file__).parents[1] / "locale"
BETWEEN = " / "  # Welsh, then this, then English (cy+en)
_NAMES = {"en": "English", "cy": "Cymraeg", "cy+en": "Cymraeg / English"}


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue where it is kept in a table; translate it where used."""
    return message


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


def shown(value: object, language: str) -> object:
    """A value as a sentence in ``language`` shows it: a ``Lazy`` said in it, a date as the
    school writes it (``day_text``), anything else as it is (a name, a number)."""
    if isinstance(value, Lazy):
        return value.said(language)
    if isinstance(value, date) and not isinstance(value, datetime):
        return day_text(value, language)
    return value


class Msg(Lazy):
    """A catalogue sentence (its msgid, marked ``N_`` or written in the call) and its values,
    said when shown in the reader's language, as Django's ``ValidationError(message, params)``
    and Home Assistant's ``translation_key`` + ``translation_placeholders`` keep them: what is
    stored or raised for a person to read is one of these, never text rendered in advance.
    ``plural`` and ``n``: the plural msgid and the count choosing the form (``num`` is ``n``
    unless given).

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
        if plural is not None:
            values.setdefault("num", n)
        self.values = values

    def said(self, language: str) -> str:
        """The sentence in ``language`` (``en`` or ``cy``), its values said in it too."""
        tr = translations(language)
        if self.plural is None:
            text = tr.gettext(self.message)
        else:
            text = tr.ngettext(self.message, self.plural, self.n or 0)
        if not self.values:
            return text
        return text % {key: shown(value, language) for key, value in self.values.items()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[Any, ...]:
        return (self.message, self.plural, self.n, tuple(sorted(self.values.items())))

    def __repr__(self) -> str:
        return f"Msg({self.message!r}, {self.values!r})"


def say(message: str, /, **values: object) -> str:
    """The catalogue's ``message`` with its ``values``, said now in the active language (both
    halves, Welsh first, in ``cy+en``: each with its values in its own language)."""
    return str(Msg(message, **values))


def nsay(singular: str, plural: str, n: int, /, **values: object) -> str:
    """``say`` for a sentence with a plural form chosen by ``n`` (``num`` is ``n`` unless
    given)."""
    return str(Msg(singular, plural, n, **values))


class Day(Lazy):
    """A date as the school writes it, in the language it is shown in (``day_text``)."""

    __slots__ = ("day",)

    def __init__(self, day: date) -> None:
        self.day = day

    def said(self, language: str) -> str:
        """'Friday 4 December 2026'; 'Dydd Gwener 4 Rhagfyr 2026'."""
        return day_text(self.day, language)


class Dated(Lazy):
    """A date written another way: ``english`` a strftime pattern, ``welsh`` babel's."""

    __slots__ = ("day", "english", "welsh")

    def __init__(self, day: date | datetime, english: str, welsh: str) -> None:
        self.day, self.english, self.welsh = day, english, welsh

    def said(self, language: str) -> str:
        """The date in ``language``'s own pattern."""
        if language == "cy":
            return format_date(self.day, self.welsh, locale="cy")
        return format(self.day, self.english)


# Welsh softens "dydd" to "ddydd" after the prepositions am, ar, at, gan, heb, i, o, dan, dros
# (tros), drwy (trwy), wrth and hyd ("ar ddydd Gwener"; Canolfan Peniarth, Cywirdeb Iaith,
# gweithgaredd 48: "a soft mutation is required after each of the following"; BBC Bitesize,
# WJEC Welsh, "Other little words and soft mutation"), not after "erbyn" or "ers" ("erbyn dydd
# Gwener"). Inside a sentence the noun is lower case and the day's name keeps its capital
# ("Mae dydd Llun yn ddiwrnod o'r wythnos", Wicipedia; "dydd Llun, dydd Iau", Parallel.cymru's
# Dr Gramadeg); babel writes "Dydd Llun", as a date standing alone (a table's cell) takes.
_WEEKDAY = r"(?:Llun|Mawrth|Mercher|Iau|Gwener|Sadwrn|Sul)\b"
_SOFTENS = r"(?i:am|ar|at|gan|heb|i|o|dan|dros|tros|drwy|trwy|wrth|hyd)"
_TAGS = r"(?:<[^<>]*>)*"  # "ar <strong>Dydd Gwener …</strong>"
_AFTER_SOFTENING = re.compile(rf"(?<![\w'’])({_SOFTENS}\s+{_TAGS})[Dd]ydd (?={_WEEKDAY})")
_DAY = re.compile(rf"\bDydd (?={_WEEKDAY})")
# what a sentence (or a field between " · ") starts after
_STARTS = re.compile(rf"(?:^|[.!?/·\n]){_TAGS}\s*{_TAGS}$")


def weekdays_in_sentence(text: str) -> str:
    """A Welsh sentence with its days written as the words before them need: "ar ddydd
    Gwener" after a softening preposition, "dydd Gwener" elsewhere inside it, "Dydd Gwener"
    where a sentence starts (and after ``BETWEEN`` or a " · " between fields); text with no
    Welsh day is returned as it is. ``Sentence`` does this whenever a catalogue sentence's
    placeholders are filled; a Welsh line built another way (joined, not ``%``-filled) calls
    it once it is whole."""
    if "ydd " not in text:
        return text
    text = _AFTER_SOFTENING.sub(r"\1ddydd ", text)
    return _DAY.sub(lambda m: m[0] if _STARTS.search(text, 0, m.start()) else "dydd ", text)


class Sentence(str):
    """A sentence of the Welsh catalogue (``cy``, and ``cy+en``'s both): filling its
    placeholders (``%``) writes a day inside it as Welsh needs (``weekdays_in_sentence``), so
    every ``gettext(...) % values`` says "ar ddydd Gwener" without its caller knowing."""

    __slots__ = ()

    def __mod__(self, values: object) -> str:
        """The sentence with ``values`` in its placeholders, its days written as Welsh needs."""
        return weekdays_in_sentence(str.__mod__(self, values))


def _fillable(said: str) -> str:
    """``said`` as a ``Sentence`` where it has placeholders to fill; else the plain text (a
    value a library types by its class, as Click's prompt types its default, stays a str)."""
    return Sentence(said) if "%" in said else said


class _WelshCatalogue(Translations):
    """The compiled Welsh catalogue, each sentence with placeholders a ``Sentence``."""

    def gettext(self, message: str) -> str:
        """The Welsh of ``message`` (the English where the catalogue has none)."""
        return _fillable(super().gettext(message))

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        """The Welsh plural form for ``n``."""
        return _fillable(super().ngettext(msgid1, msgid2, n))


@cache
def _welsh() -> Translations:
    """The Welsh catalogue, compiled from its ``.po`` once per process (fuzzy entries left out)."""
    with (LOCALE_DIR / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="cy")
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return _WelshCatalogue(compiled, domain="messages")


class _Both(_gettext.NullTranslations):
    """``cy+en``: each sentence in Welsh, then in English; once in English when untranslated."""

    def __init__(self, welsh: _gettext.NullTranslations) -> None:
        super().__init__()
        self._cy = welsh

    def gettext(self, message: str) -> str:
        """Welsh / English."""
        return _fillable(both(self._cy.gettext(message), message))

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        """Welsh / English, each in its own plural form for ``n``."""
        return _fillable(both(self._cy.ngettext(msgid1, msgid2, n), msgid1 if n == 1 else msgid2))


def both(welsh: str, english: str) -> str:
    """``cy+en``: the Welsh, then ``BETWEEN`` and the English; once when they are the same
    (untranslated, or a name)."""
    return english if welsh == english else f"{welsh}{BETWEEN}{english}"


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The translations for ``language`` (``en``: the English source itself), cached."""
    if language == "cy":
        return _welsh()
    if language == "cy+en":
        return _Both(_welsh())
    return _gettext.NullTranslations()


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
        return _in_template(context, lambda tr: tr.gettext(message), values)

    @pass_context
    def ngettext(context: Context, one: str, many: str, n: int, /, **values: object) -> str:
        values.setdefault("num", n)
        return _in_template(context, lambda tr: tr.ngettext(one, many, n), values)

    env.globals.update(gettext=gettext, ngettext=ngettext, _=gettext)
    env.globals["html_lang"] = lambda: html_lang(_SPOKEN.get())
    env.globals["language"] = spoken
    env.filters["day_text"] = Day  # said in the language of where it is shown
    # a sentence held in a variable that may carry a person's own text (an error's detail can
    # name their file): translated, never %-formatted as ``_()`` would (a "%" in it is theirs)
    env.filters["translated"] = lambda message: str(Msg(message))
    env.filters["short_day"] = lambda day: "—" if day is None else Dated(day, *_SHORT)


def _in_template(
    context: Context, pick: Callable[[_gettext.NullTranslations], str], values: dict[str, object]
) -> str:
    """A template's sentence in the active language, filled as Jinja's newstyle gettext fills
    it (always ``%``-formatted; escaped where the template autoescapes), each value said in
    the sentence's own language; ``cy+en``: the Welsh sentence, then the English."""
    from markupsafe import Markup

    def half(language: str) -> str:
        text = pick(translations(language))
        filled = {key: shown(value, language) for key, value in values.items()}
        if context.eval_ctx.autoescape:
            said: str = Markup(text) % filled  # noqa: S704 - the catalogue's own sentence
        else:
            said = text % filled
        if language == "cy":  # days written as the words before them need
            written = weekdays_in_sentence(said)
            said = Markup(written) if isinstance(said, Markup) else written  # noqa: S704
        return said

    language = _SPOKEN.get()
    if language != "cy+en":
        return half(language)
    welsh, english = half("cy"), half("en")
    if welsh == english:
        return english
    # both halves escaped already (or plain text): joined as they are
    return type(english)(f"{welsh}{BETWEEN}{english}")


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


def extract_pack_words(
    fileobj: BinaryIO, keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor (``babel.cfg``): a nation pack's name, its single central record's
    checks (names, sources, note) and each word of its ``[words]`` table, so the catalogue can
    say them in the school's language (``words_in``, the nation choice, the SCR page); the
    packs themselves are never changed."""
    pack = tomllib.load(fileobj)
    if isinstance(pack.get("name"), str):  # the nation's own name, as the choice offers it
        yield 0, None, pack["name"], ["nation pack name"]
    for check in pack.get("scr_checks", []):  # the single central record's checks
        yield 0, None, check["name"], ["nation pack single central record check"]
        yield 0, None, check["source"]["title"], ["nation pack source title"]
    if isinstance(pack.get("scr_note"), str):
        yield 0, None, pack["scr_note"], ["nation pack single central record note"]
    table = pack.get("words", {})
    for key, value in table.items():
        if isinstance(value, str) and not value.startswith("https://"):
            yield 0, None, value, [f"nation pack word: {key}"]


def day_text(day: date | datetime, language: str) -> str:
    """A date as the school writes it: 'Friday 4 December 2026'; 'Dydd Gwener 4 Rhagfyr 2026'
    (``babel.dates``); both in ``cy+en``."""
    english = f"{day:%A} {day.day} {day:%B %Y}"
    if language not in ("cy", "cy+en"):
        return english
    welsh = format_date(day, "EEEE d MMMM y", locale="cy")
    return welsh if language == "cy" else both(welsh, english)


_SHORT = ("%d %b %Y", "dd MMM y")  # a date in a table: '16 Sep 2026', '16 Medi 2026'


def short_day(day: date | datetime | None, language: str) -> str:
    """A date in a table: '16 Sep 2026'; '16 Medi 2026' (``babel.dates``); both in ``cy+en``;
    '—' for none."""
    if day is None:
        return "—"
    english = f"{day:%d %b %Y}"
    if language not in ("cy", "cy+en"):
        return english
    welsh = format_date(day, "dd MMM y", locale="cy")
    return welsh if language == "cy" else both(welsh, english)


def say_in(language: str, say: Callable[[Any], str], **values: object) -> str:
    """``say``'s sentence (a ``gettext``/``ngettext`` of the catalogue, given the translations)
    in ``language`` with its named values; a value that is a function of the language (a date)
    is said in each language's own way; ``cy+en``: the Welsh sentence, then the English."""
    if language == "cy+en":
        return both(say_in("cy", say, **values), say_in("en", say, **values))
    filled = {key: value(language) if callable(value) else value for key, value in values.items()}
    text = say(translations(language))
    return text % filled if values else text
