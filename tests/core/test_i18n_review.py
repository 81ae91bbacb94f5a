"""A reviewer's checks over the whole Welsh catalogue, so a slip in any entry fails here rather
than on the page that happens to show it: every Welsh sentence keeps the placeholders and the
markup of its English (HTML tags, the terminal's Rich marks, code spans), its leading and
trailing spaces, its runs of two spaces and its line breaks; a plural entry is either untranslated
or has all six Welsh forms; and no Welsh sentence is its English left as it was, bar the proper
names and the words Welsh shares with English (``staff``, ``person``).

The few entries that leave a placeholder out on purpose are named below with the reason.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from babel.messages.pofile import read_po

from tests.core.test_i18n import PO

# %(name)s, %(name)d, %%, {name}: what a sentence's values are put in by
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%|\{\w*\}")
# HTML tags, Rich's marks ([bold], [/], [bold red]…) and `code` spans
MARKUP = re.compile(
    r"</?[a-z][^>]*>"
    r"|\[/?(?:bold|dim|italic|green|red|yellow|cyan)(?: (?:bold|red|green))*\]|\[/\]"
    r"|`"
)
# words Welsh writes as English does: proper names, acronyms, and two Welsh words
SHARED = {"dsp", "estyn", "guernsey", "jersey", "person", "staff"}
# the sentences of describe_clock (bot/features/reports/rules.py): the English says the count as
# a word ("one working day"), the Welsh as digits, from the ``num`` the code passes beside it
CLOCK = (
    "%(count)s hour",
    "%(count)s working day",
    "%(count)s school day",
)
# the number a plural form is chosen by: the form for one may say it as a word ("Un dudalen")
NUMBER = {"%(count)s", "%(count)d", "%(num)s", "%(num)d"}
# pydantic's own English detail after its sentence (bot/core/config/said.py's PYDANTIC): the
# Welsh says the whole rule instead, so no English is left inside a Welsh line
WITHOUT_DETAIL = {
    "Input should be a valid date in the format YYYY-MM-DD, %(error)s": {"%(error)s"},
    "Input should be a valid date or datetime, %(error)s": {"%(error)s"},
    "Input should be a valid dictionary or instance of %(class_name)s": {"%(class_name)s"},
    "Input should be in a valid time format, %(error)s": {"%(error)s"},
}


@pytest.fixture(scope="module")
def entries() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each translated entry (fuzzy ones are shown in English): its English forms, its Welsh."""
    with PO.open("rb") as f:
        catalogue = read_po(f)
    out = []
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        ids = tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)
        strs = (
            tuple(message.string)
            if isinstance(message.string, (list, tuple))
            else (message.string,)
        )
        if any(strs):
            out.append((ids, strs))
    return out


def _placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


def test_every_plural_entry_has_all_six_welsh_forms(entries: list[Any]) -> None:
    short = [ids[0] for ids, strs in entries if len(ids) > 1 and (len(strs) != 6 or not all(strs))]
    assert not short, short


def test_every_welsh_sentence_keeps_its_placeholders(entries: list[Any]) -> None:
    wrong = []
    for ids, strs in entries:
        english = [set(_placeholders(i)) for i in ids]
        allowed = set().union(*english)
        always = set.intersection(*english) - WITHOUT_DETAIL.get(ids[0], set())
        if ids[0].startswith(CLOCK):
            allowed |= {"%(num)d"}
            always -= {"%(count)s"}
        for form, welsh in enumerate(strs):
            said = set(_placeholders(welsh))
            # form 1 of Welsh's six is n == 1 (the catalogue's Plural-Forms)
            needed = always - NUMBER if len(ids) > 1 and form == 1 else always
            if not needed <= said <= allowed:
                wrong.append((ids[0], welsh, sorted(needed - said), sorted(said - allowed)))
    assert not wrong, wrong


def test_every_welsh_sentence_keeps_its_markup_spaces_and_line_breaks(entries: list[Any]) -> None:
    wrong = []
    for ids, strs in entries:
        english = ids[-1]
        for welsh in strs:
            for name, measure in (
                ("markup", lambda t: Counter(MARKUP.findall(t))),
                ("leading spaces", lambda t: len(t) - len(t.lstrip(" "))),
                ("trailing spaces", lambda t: len(t) - len(t.rstrip(" "))),
                ("double spaces", lambda t: t.strip(" ").count("  ")),
                ("line breaks", lambda t: t.count("\n")),
            ):
                if measure(english) != measure(welsh):
                    wrong.append((name, english, welsh))
    assert not wrong, wrong


def test_no_welsh_sentence_is_its_english_left_as_it_was(entries: list[Any]) -> None:
    same = []
    for ids, strs in entries:
        for welsh in strs:
            if welsh not in ids:
                continue
            words = re.findall(r"[^\W\d_]+", MARKUP.sub(" ", PLACEHOLDER.sub(" ", welsh)))
            if not {w.lower() for w in words} <= SHARED:
                same.append(welsh)
    assert not same, same
