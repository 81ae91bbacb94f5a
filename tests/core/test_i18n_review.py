"""A reviewer's checks over the whole Welsh catalogue, so a slip in any entry fails here rather
than on the page that happens to show it: every Welsh sentence keeps the placeholders and the
markup of its English (HTML tags, the terminal's Rich marks, code spans), its leading and
trailing spaces, its runs of two spaces and its line breaks; a plural entry is either untranslated
or has all six Welsh forms; and no Welsh sentence is its English left as it was, bar the proper
names and the words Welsh shares with English (``staff``, ``person``); an English term the
catalogue has chosen a Welsh word for (deadline, edition, version, sweep, concern…) is said with
that word wherever its English names it.

GNU ``msgfmt --check`` and ``dennis`` read the catalogue as gettext's own tools do (each runs in
CI too: ``.ci/run``'s catalogue phase).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from typing import Any

import pytest
from babel.messages.pofile import read_po

from tests.core.test_i18n import PO

DENNIS = "dennis==1.3.0"  # as .ci/run's catalogue phase runs it
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
# the number a plural form is chosen by: the form for one may say it as a word ("Un dudalen")
NUMBER = {"%(count)s", "%(count)d", "%(num)s", "%(num)d"}


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
        always = set.intersection(*english)
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


# One English term, one Welsh term: an entry whose English names the term says it with the
# catalogue's Welsh, so a second rendering cannot creep in (each Welsh word by the part of it every
# mutation keeps: "erfyn amser" is terfyn, derfyn, nherfyn and therfyn amser). The policy's
# version and the guidance's edition, the sweep and the audit, stay two words each.
TERMS = {
    "account holder": ("deiliad", "deiliaid"),
    "acceptable use": ("defnydd derbyniol",),
    "audit": ("archwilio",),
    "breach": ("tor", "dor", "thor", "torri", "dorri", "thorri"),
    "complaint": ("cwyn", "gŵyn", "gwyn", "hwyn"),
    "concern": ("ryder",),
    "dashboard": ("angosfwrdd",),
    "deadline": ("erfyn amser", "erfynau amser"),
    "digest": ("rynodeb",),
    "directory": ("yfeiriadur",),
    "edition": ("argraffiad",),
    "evidence pack": ("ecyn tystiolaeth",),
    "governing body": ("orff llywodraethu",),
    "handover": ("rosglwydd",),
    "mailbox": ("lwch post",),
    "outbox": ("iw anfon",),
    "overdue": ("hwyr",),
    "referral": ("atgyfeir",),
    "reminder": ("atgoffa",),
    "requirement": ("ofyn",),
    "safeguarding": ("iogelu",),
    "settings": ("osod",),
    "sign in": ("ewngofnod",),
    "signed in": ("ewngofnod",),
    "sweep": ("archwiliad",),
    "training": ("hyfforddi",),
    "trust": ("ymddiriedolaeth",),
    "version": ("fersiwn", "fersiynau"),
    "visitor": ("ymwelydd", "ymwelwyr"),
    "volunteer": ("wirfoddol",),
}
# what is not the term's words in an English sentence: placeholders, code, options, settings
# keys, addresses, paths, commands, quoted values, YAML
NOT_WORDS = re.compile(
    r"%\(\w+\)[sdif]|<code>.*?</code>|`[^`]*`|--[\w-]+|\b[\w-]+_[\w_-]+\b|https?://\S+"
    r"|/[\w/.-]+|compliance-bot [\w -]+|'[\w:| -]+'|\{[^}]*\}"
)
# the English word in another sense, or as the reader must type it, with the reason
OTHER_SENSE = {
    ("directory", "is a directory, not a document"): "a folder of the file system",
    ("deadline", "These follow the law and the usual local procedures"): "the README's "
    'English section title, "Report deadlines"',
    ("volunteer", "%(title)s (%(count)s people in %(source)s) is not in the role table"): "the "
    "role values school.yaml takes",
    ("volunteer", "%(title)s (%(count)s person in %(source)s) is not in the role table"): "the "
    "role values school.yaml takes",
    ("volunteer", "nobody in %(source)s has a role"): "the role values school.yaml takes",
    ("volunteer", "%(name)s <%(email)s>: held back, the role table does not say"): "the role "
    "values school.yaml takes",
    ("volunteer", "Fix: add each title to the role table, job_titles in school.yaml"): "the "
    "role values school.yaml takes",
    ("volunteer", "Map each post once: compliance-bot roles map"): "the role values "
    "`roles map` takes",
    ("trust", 'See deploy/README.md, "A trust across tenants".'): "the title of a section of "
    "deploy/README.md, which is written in English",
    ("sweep", "[bold red]Step failing:[/] %(step)s (%(title)s)"): "the log's own English line, "
    "quoted so it can be found in the log",
}


def test_one_english_term_has_one_welsh_term(entries: list[Any]) -> None:
    other = []
    for ids, strs in entries:
        english = NOT_WORDS.sub(" ", " ".join(ids))
        welsh = " ".join(strs).lower()
        for term, forms in TERMS.items():
            if not re.search(rf"\b{term}s?\b", english, re.IGNORECASE):
                continue
            if any(ids[0].startswith(start) for t, start in OTHER_SENSE if t == term):
                continue
            if not any(form in welsh for form in forms):
                other.append((term, ids[0], strs[0]))
    assert not other, other


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed here")
def test_gnu_msgfmt_checks_the_catalogue_clean() -> None:
    done = subprocess.run(
        ["msgfmt", "--check", "--output-file=/dev/null", str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr


def test_dennis_lints_the_catalogue_clean() -> None:
    # in a tool environment of its own (.ci/run's catalogue phase fetches it): dennis' wheel
    # ships a top-level ``tests`` package that would shadow ours in the project's
    # W302 (the Welsh is its English): a name or a frame of values, said the same in both
    lint = ["lint", "--strict", "--excluderules", "W302", str(PO)]
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed here")
    done = subprocess.run(
        [uv, "tool", "run", "--offline", "--from", DENNIS, "dennis-cmd", *lint],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 and "dennis version" not in done.stdout:
        pytest.skip(f"dennis is not available offline here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stdout
