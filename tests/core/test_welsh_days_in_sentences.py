"""A day inside a Welsh sentence, written as Welsh needs (#78 item 4: grammar by translators).
babel gives a day with its weekday as "Dydd Gwener 4 Rhagfyr 2026"; inside a sentence the noun
is lower case ("erbyn dydd Gwener") and after a preposition that softens it "dydd" becomes
"ddydd" ("ar ddydd Gwener"). The catalogue's Welsh writes the noun itself, in the form its
words need ("ar ddydd %(day)s", "erbyn dydd %(day)s"), and a day after that noun is given
without its own ("Gwener 4 Rhagfyr 2026"): nothing rewrites the text once it is filled.

Every weekday after every softening preposition; real catalogue entries, a real email template
and ``remind``'s line on a Saturday at the command line (cy, cy+en, en); and a guard over the
whole catalogue: every Welsh entry, filled with each weekday, reads no unsoftened or capitalised
day inside a sentence.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.language.i18n import BETWEEN, LOCALE_DIR, Day, Msg, _filled, said_in, speaking
from bot.core.rendering.messages import render
from tests.support.helpers import SchoolBuilder

MONDAY = date(2026, 11, 23)
WEEK = [MONDAY + timedelta(days) for days in range(7)]
NAMES = ("Llun", "Mawrth", "Mercher", "Iau", "Gwener", "Sadwrn", "Sul")
ENGLISH = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# the prepositions that soften "dydd", and two that do not (bot/core/language/i18n.py cites the
# rule)
SOFTENING = ("am", "ar", "at", "gan", "heb", "i", "o", "dan", "dros", "drwy", "trwy", "wrth", "hyd")
UNCHANGED = ("erbyn", "ers")
WEEKDAY = "(?:" + "|".join(NAMES) + r")\b"
# what the guard fails on: a softening preposition before an unsoftened day, or "Dydd" with a
# capital where a word (not a sentence's end) comes before it
UNSOFTENED = re.compile(rf"(?<![\w'’])(?i:{'|'.join(SOFTENING)})\s+(?:<[^<>]*>)*[Dd]ydd {WEEKDAY}")
CAPITAL_INSIDE = re.compile(rf"[\w,;:)(—–-] (?:<[^<>]*>)*Dydd {WEEKDAY}")
ENV = {"COLUMNS": "1000", "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0"}


def _welsh_day(day: date) -> str:
    return Day(day).said("cy")[len("Dydd ") :]  # "Gwener 27 Tachwedd 2026"


def _filled_in(text: str, day: date) -> str:
    """A Welsh sentence as the catalogue would give it, its day filled as the layer fills it."""
    return text % _filled(text, {"day": day}, "cy")


@pytest.mark.parametrize("day", WEEK, ids=NAMES)
@pytest.mark.parametrize("preposition", SOFTENING + UNCHANGED)
def test_a_day_after_the_noun_the_translator_wrote_is_said_without_its_own(
    day: date, preposition: str
) -> None:
    noun = "dydd" if preposition in UNCHANGED else "ddydd"
    said = _filled_in(f"Mae'n digwydd {preposition} {noun} %(day)s.", day)
    assert said == f"Mae'n digwydd {preposition} {noun} {_welsh_day(day)}."
    capital = _filled_in(f"{preposition.capitalize()} {noun} %(day)s, mae'n digwydd.", day)
    assert capital == f"{preposition.capitalize()} {noun} {_welsh_day(day)}, mae'n digwydd."
    marked = _filled_in(f"{preposition} {noun} <strong>%(day)s</strong>", day)
    assert marked == f"{preposition} {noun} <strong>{_welsh_day(day)}</strong>"


@pytest.mark.parametrize("day", WEEK, ids=NAMES)
def test_a_day_standing_alone_keeps_its_noun(day: date) -> None:
    """A date in a cell or a heading, or where the sentence writes no noun before it."""
    welsh = Day(day).said("cy")
    assert _filled_in("%(day)s", day) == welsh
    assert _filled_in("wythnos 48 · %(day)s", day) == f"wythnos 48 · {welsh}"


# real catalogue entries: (msgid, the Welsh word before the day, whether it softens)
ENTRIES = [
    ("Closed on %(day)s", "Caewyd ar", True),  # decisions' page
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
    sentence = Msg(msgid, day=day)
    assert sentence.said("cy") == welsh
    english = msgid % {"day": Day(day).said("en")}
    assert sentence.said("en") == english
    assert english.endswith(f"{ENGLISH[day.weekday()]} {day.day} {day:%B %Y}")
    assert said_in("cy+en", sentence) == f"{welsh}{BETWEEN}{english}"


def _reminder(language: str, day: date) -> tuple[str, str]:
    item = {
        "title": "Safeguarding",
        "why": "",
        "due_text": Day(day),
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
    with speaking(language):
        return render("reminder", context)


@pytest.mark.parametrize("day", WEEK, ids=NAMES)
def test_a_reminder_email_says_its_day_inside_its_sentences(day: date) -> None:
    """The reminder email's text and HTML parts (the HTML filled as Markup by the template)."""
    text, html = _reminder("cy", day)
    name = _welsh_day(day)
    assert f"Erbyn dydd {name}" in text and f"HWYR: roedd i fod erbyn dydd {name}" in text
    assert f"Erbyn <strong>dydd {name}</strong>" in html
    assert not CAPITAL_INSIDE.search(text) and not CAPITAL_INSIDE.search(html)
    text, html = _reminder("cy+en", day)  # the whole email in Welsh, then in English
    english = f"{ENGLISH[day.weekday()]} {day.day} {day:%B %Y}"
    assert f"Erbyn dydd {name}" in text and f"Due by {english}" in text
    assert text.index(f"Erbyn dydd {name}") < text.index(f"Due by {english}")
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
            "nodiadau atgoffa'n mynd heddiw. Oak Test School: Saturday 28 November is not",
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


NOUN_BEFORE = re.compile(r"(?<![\w'’])(\w+)\s+(d{1,2}ydd)\s+(?:<[^<>]*>)*%\((\w+)\)s")


def test_every_day_the_catalogue_writes_a_noun_for_is_said_as_its_words_need() -> None:
    """The guard: wherever a Welsh entry writes the noun before a day itself, the noun has
    the form its preposition needs ("ar ddydd", "erbyn dydd"), and the entry filled with each
    weekday reads no unsoftened or capitalised day inside it; and no msgstr writes a day in its
    own letters unsoftened or with a capital inside a sentence."""
    with (LOCALE_DIR / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="cy")
    checked, wrong = 0, []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or message.fuzzy or not all(strings):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for string in strings:
            if UNSOFTENED.search(string) or CAPITAL_INSIDE.search(string):
                wrong.append(f"msgstr {string!r}")
            for before, noun, name in NOUN_BEFORE.findall(string):
                if before.lower() in SOFTENING and noun != "ddydd":
                    wrong.append(f"{before} {noun}: {string!r}")
                if before.lower() in UNCHANGED and noun != "dydd":
                    wrong.append(f"{before} {noun}: {string!r}")
                for day in WEEK:
                    values = {key: 2 for key in re.findall(r"%\((\w+)\)d", string)}
                    values.update({key: "gair" for key in re.findall(r"%\((\w+)\)s", string)})
                    said = Msg(
                        ids[0],
                        ids[1] if len(ids) > 1 else None,
                        1 if len(ids) > 1 else None,
                        **{**values, name: day},
                    ).said("cy")
                    checked += 1
                    if UNSOFTENED.search(said) or CAPITAL_INSIDE.search(said):
                        wrong.append(f"cy: {said!r}")
    assert checked > 100
    assert wrong == []
    # the guard can fail: an entry written without the noun reads "ar Dydd Gwener"
    plain = str.__mod__("Caewyd ar %(day)s", {"day": Day(WEEK[4]).said("cy")})
    assert UNSOFTENED.search(plain) and CAPITAL_INSIDE.search(plain)
