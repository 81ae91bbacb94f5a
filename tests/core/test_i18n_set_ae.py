"""#57 set ae: a day inside a Welsh sentence, written as Welsh needs. babel gives a day with its
weekday as "Dydd Gwener 4 Rhagfyr 2026"; inside a sentence the noun is lower case ("erbyn dydd
Gwener") and after a preposition that softens it "dydd" becomes "ddydd" ("ar ddydd Gwener").
The catalogue writes "ar %(day)s" and ``bot.core.i18n.Sentence`` writes the day once the
placeholders are filled, wherever that happens: ``gettext(...) % values`` in Python (the CLI's
lines, ``say_in``), the templates' ``{% trans %}`` and ``_()`` (pages, emails: text and HTML,
where the extension fills them as Markup) and ``cy+en``'s both. English is untouched.

Every weekday after several prepositions, through real catalogue entries, a real email
template and ``remind``'s line on a Saturday at the command line (cy, cy+en, en); and a guard
over the whole catalogue: every Welsh entry, filled with each weekday, reads no unsoftened or
capitalised day inside a sentence, and no msgstr writes one in its own letters.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.i18n import BETWEEN, LOCALE_DIR, Sentence, day_text, translations
from bot.core.i18n import weekdays_in_sentence as written
from bot.core.messages import render
from tests.support.helpers import SchoolBuilder

MONDAY = date(2026, 11, 23)
WEEK = [MONDAY + timedelta(days) for days in range(7)]
NAMES = ("Llun", "Mawrth", "Mercher", "Iau", "Gwener", "Sadwrn", "Sul")
ENGLISH = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# the prepositions that soften "dydd", and two that do not (bot/core/i18n.py cites the rule)
SOFTENING = ("am", "ar", "at", "gan", "heb", "i", "o", "dan", "dros", "drwy", "trwy", "wrth", "hyd")
UNCHANGED = ("erbyn", "ers")
WEEKDAY = "(?:" + "|".join(NAMES) + r")\b"
# what the guard fails on: a softening preposition before an unsoftened day, or "Dydd" with a
# capital where a word (not a sentence's end) comes before it
UNSOFTENED = re.compile(rf"(?<![\w'’])(?i:{'|'.join(SOFTENING)})\s+(?:<[^<>]*>)*[Dd]ydd {WEEKDAY}")
CAPITAL_INSIDE = re.compile(rf"[\w,;:)(—–-] (?:<[^<>]*>)*Dydd {WEEKDAY}")
ENV = {"COLUMNS": "1000", "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0"}


def _welsh_day(day: date) -> str:
    return day_text(day, "cy")[len("Dydd ") :]  # "Gwener 27 Tachwedd 2026"


@pytest.mark.parametrize("day", WEEK, ids=NAMES)
@pytest.mark.parametrize("preposition", SOFTENING)
def test_a_softening_preposition_softens_every_weekday(day: date, preposition: str) -> None:
    sentence = Sentence(f"Mae'n digwydd {preposition} %(day)s.")
    assert sentence % {"day": day_text(day, "cy")} == (
        f"Mae'n digwydd {preposition} ddydd {_welsh_day(day)}."
    )
    capital = Sentence(f"{preposition.capitalize()} %(day)s, mae'n digwydd.")
    assert capital % {"day": day_text(day, "cy")} == (
        f"{preposition.capitalize()} ddydd {_welsh_day(day)}, mae'n digwydd."
    )


@pytest.mark.parametrize("day", WEEK, ids=NAMES)
def test_a_day_is_lower_case_inside_a_sentence_and_kept_where_one_starts(day: date) -> None:
    welsh = day_text(day, "cy")
    for preposition in UNCHANGED:
        said = written(f"Hwyr {preposition} {welsh}.")
        assert said == f"Hwyr {preposition} dydd {_welsh_day(day)}."
    assert written(welsh) == welsh  # a date standing alone (a table's cell, a heading)
    assert written(f"Wedi'i gau. {welsh} oedd hi.") == f"Wedi'i gau. {welsh} oedd hi."
    assert written(f"Mae'n iawn{BETWEEN}{welsh}") == f"Mae'n iawn{BETWEEN}{welsh}"
    assert written(f"wythnos 48 · {welsh}") == f"wythnos 48 · {welsh}"  # a field of its own
    assert written(f"ar <strong>{welsh}</strong>") == f"ar <strong>ddydd {_welsh_day(day)}</strong>"
    once = written(f"o {welsh} i {welsh}")
    assert once == f"o ddydd {_welsh_day(day)} i ddydd {_welsh_day(day)}" == written(once)


# real catalogue entries: (msgid, the Welsh word before the day, whether it softens)
ENTRIES = [
    ("Closed on %(day)s", "Caewyd ar", True),  # decisions' page
    ("Left on %(day)s", "Gadawodd ar", True),  # the directory's leavers
    ("Due by %(day)s", "Erbyn", False),
    ("Overdue since %(day)s", "Yn hwyr ers", False),
]


@pytest.mark.parametrize("day", WEEK, ids=NAMES)
@pytest.mark.parametrize(("msgid", "before", "softens"), ENTRIES)
def test_the_catalogues_sentences_say_every_weekday_right(
    day: date, msgid: str, before: str, softens: bool
) -> None:
    noun = "ddydd" if softens else "dydd"
    welsh = f"{before} {noun} {_welsh_day(day)}"
    said = translations("cy").gettext(msgid) % {"day": day_text(day, "cy")}
    assert said == welsh
    english = msgid % {"day": day_text(day, "en")}
    assert translations("en").gettext(msgid) % {"day": day_text(day, "en")} == english
    assert english.endswith(f"{ENGLISH[day.weekday()]} {day.day} {day:%B %Y}")
    both = translations("cy+en").gettext(msgid) % {"day": day_text(day, "cy+en")}
    assert both.startswith(f"{welsh}{BETWEEN}{ENGLISH[day.weekday()]} ")


def _reminder(language: str, day: date) -> tuple[str, str]:
    item = {
        "title": "Safeguarding",
        "why": "",
        "due_text": day_text(day, language),
        "version": None,
        "url": "https://bot.example/x",
        "button": "Open",
    }
    context = {
        "person_name": "Alys Rhys",
        "intro": "",
        "items": [{**item, "overdue": False}, {**item, "overdue": True}],
        "school_name": "Ysgol Gymraeg Bro Derw",
        "reply_to": "office@brodderw.example",
        "escalated_to": None,
        "escalated_told": "",
        "footnote_text": None,
        "footnote_html": None,
        "subject": "",
        "note": None,
    }
    return render("reminder", context, language)


@pytest.mark.parametrize("day", WEEK, ids=NAMES)
def test_a_reminder_email_says_its_day_inside_its_sentences(day: date) -> None:
    """The reminder email's text and HTML parts (the HTML filled as Markup by the template)."""
    text, html = _reminder("cy", day)
    name = _welsh_day(day)
    assert f"Erbyn dydd {name}" in text and f"HWYR: roedd i fod erbyn dydd {name}" in text
    assert f"Erbyn <strong>dydd {name}</strong>" in html
    assert not CAPITAL_INSIDE.search(text) and not CAPITAL_INSIDE.search(html)
    text, html = _reminder("cy+en", day)
    assert f"Erbyn dydd {name}{BETWEEN}{ENGLISH[day.weekday()]}" in text
    text, html = _reminder("en", day)
    english = f"{ENGLISH[day.weekday()]} {day.day} {day:%B %Y}"
    assert f"Due by {english}" in text and f"OVERDUE: was due {english}" in text
    assert f"Due by <strong>{english}</strong>" in html and "ydd " not in text + html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("cy", "Oak Test School: nid yw dydd Sadwrn 28 Tachwedd yn ddiwrnod ysgol"),
        (
            "cy+en",
            "Oak Test School: nid yw dydd Sadwrn 28 Tachwedd yn ddiwrnod ysgol — ni fyddai "
            "nodiadau atgoffa'n mynd heddiw. / Oak Test School: Saturday 28 November is not",
        ),
        ("en", "Oak Test School: Saturday 28 November is not a school day — no reminders"),
    ],
)
def test_remind_says_a_saturday_inside_its_line(
    tmp_path: Path, language: str, expected: str
) -> None:
    """``remind --as-of`` a Saturday at the command line: the day is babel's, its noun lower
    case inside the Welsh line; English as main printed it."""
    school = SchoolBuilder(tmp_path / "school")
    school.school["country"] = "wales"
    school.school["language"] = language
    school.installed()
    env = {**ENV, "COMPLIANCE_BOT_HOME": str(school.home)}
    result = CliRunner().invoke(app, ["remind", "--as-of", "2026-11-28"], env=env)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert expected in said
    assert not UNSOFTENED.search(said) and not CAPITAL_INSIDE.search(said)


def _placeholders(text: str, day: str) -> dict[str, Any]:
    """Every named placeholder of ``text`` filled: a day for ``%(x)s``, 2 for a number."""
    return {
        name: (2 if kind in "di" else day)
        for name, kind in re.findall(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([sdif])", text)
    }


def test_no_entry_of_the_catalogue_says_a_day_unsoftened_or_with_a_capital_inside() -> None:
    """The guard: every translated Welsh entry, each of its placeholders filled with each
    weekday through the real catalogue (cy and cy+en), says no "ar Dydd"/"ar dydd" and no
    capital "Dydd" inside a sentence; and no msgstr writes such a day in its own letters (a
    literal is not filled, so nothing would write it right)."""
    with (LOCALE_DIR / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="cy")
    checked, wrong = 0, []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or message.fuzzy or not all(strings):
            continue
        for string in strings:
            if UNSOFTENED.search(string) or CAPITAL_INSIDE.search(string):
                wrong.append(f"msgstr {string!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if "%(" not in "".join(strings):
            continue
        for language in ("cy", "cy+en"):
            tr = translations(language)
            for day in WEEK:
                values = _placeholders(" ".join((*ids, *strings)), day_text(day, language))
                for n in (1, 2, 3, 6) if len(ids) > 1 else (0,):
                    sentence = tr.ngettext(ids[0], ids[1], n) if n else tr.gettext(ids[0])
                    said = sentence % values
                    checked += 1
                    if UNSOFTENED.search(said) or CAPITAL_INSIDE.search(said):
                        wrong.append(f"{language}: {said!r}")
    assert checked > 5000
    assert wrong == []
    # the guard can fail: an entry written without the finishing step reads "ar Dydd Gwener"
    plain = str.__mod__("Caewyd ar %(day)s", {"day": day_text(WEEK[4], "cy")})
    assert UNSOFTENED.search(plain) and CAPITAL_INSIDE.search(plain)
