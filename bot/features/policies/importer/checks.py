"""Checks a person should hear about before a document is registered: the same document twice
(a Word and a PDF copy), and a document that names another school or another DSL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.core.language.i18n import N_, Lazy, Msg
from bot.features.policies.importer.lines import Line
from bot.features.policies.importer.values import ImportedPolicy

__all__ = [
    "SAME_TEXT_SHARE",
    "find_schools",
    "not_ours",
    "same_document",
    "same_person",
    "same_school",
    "text_words",
]

# This share of word runs in common is the same document in two formats (a Word copy and its
# PDF share nearly all; two schools' policies written from one template share about two thirds).
SAME_TEXT_SHARE = 0.85
_RUN = 4  # words per run compared (short enough to survive a PDF's line breaks and footers)
_KIND = r"(?:Primary|Junior|Infant|Infants|Nursery|Secondary|High|Grammar|Special|Free)"
# "Oakfield Primary School", "St Mary's CE Academy", "Hill Nursery"; each word capitalised.
_SCHOOL_NAME_RE = re.compile(
    rf"\b(?P<name>(?:[A-Z][\w’'.&-]*\s+){{1,5}}?(?:(?:CE|C\s+of\s+E|RC|Catholic|Church\s+of\s+"
    rf"England)\s+)?(?:{_KIND}\s+(?:School|Academy)|{_KIND}|Academy|School))\b"
)
# Words that do not make a school's name on their own ("The School", "Local Primary").
_NOT_A_NAME = {
    "the", "our", "this", "that", "a", "any", "each", "every", "all", "local", "whole",
    "primary", "junior", "infant", "infants", "nursery", "secondary", "high", "grammar",
    "special", "free", "school", "academy", "schools", "state", "maintained", "independent",
    "other", "new", "previous", "receiving", "feeder", "ce", "rc", "catholic", "church", "of",
    "england", "e", "c", "in", "at", "from", "to", "for", "and", "trust", "multi", "forest",
    "designated", "safeguarding", "lead", "dsl", "governing", "body", "ofsted", "dfe",
}  # fmt: skip


def _words(text: str) -> list[str]:
    text = re.sub(r"\bchurch of england\b|\bc of e\b", "ce", text.lower())
    return re.findall(r"[a-z0-9]+", text.replace("’", "'").replace("'s", ""))


def same_school(named: str, ours: str) -> bool:
    """Whether a document's school is ours (case, punctuation and "CE"/"Church of England"
    aside, and a shorter form of the same name: "Oak Primary" is "Oak Primary School")."""
    a, b = set(_words(named)) - {"the"}, set(_words(ours)) - {"the"}
    return bool(a and b) and (a <= b or b <= a)


def find_schools(lines: Iterable[Line]) -> list[str]:
    """Every school the text names, once each, in order ("Oakfield Primary School")."""
    names: dict[str, str] = {}
    for line in lines:
        for match in _SCHOOL_NAME_RE.finditer(line.text):
            name = match["name"]
            words = _words(name)
            if not any(w not in _NOT_A_NAME for w in words) or name.split()[0].endswith(
                ("'s", "’s")
            ):
                continue
            names.setdefault(" ".join(words), name)
    return list(names.values())


def text_words(lines: Iterable[Line]) -> tuple[str, ...]:
    """The document's text as lower-case words, for comparing two copies of it."""
    return tuple(word for line in lines for word in re.findall(r"[a-z0-9]+", line.text.lower()))


def _runs(words: Sequence[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + _RUN]) for i in range(max(0, len(words) - _RUN + 1))}


def same_document(a: ImportedPolicy, b: ImportedPolicy) -> bool:
    """Whether two documents are the same text (a Word and a PDF copy): most of their runs of
    words in common, whatever questions either raised."""
    runs_a, runs_b = _runs(a.text_words), _runs(b.text_words)
    if not runs_a or not runs_b:
        return False
    return len(runs_a & runs_b) / max(len(runs_a), len(runs_b)) >= SAME_TEXT_SHARE


def same_person(named: str, known: str) -> bool:
    """Whether a name in a document is this person ("Mrs J. Smith" is "Jane Smith"): the same
    surname, and the same first initial when both give one."""
    titles = {"mr", "mrs", "ms", "miss", "dr", "mx", "rev", "revd", "prof", "sir"}
    a = [w for w in _words(named) if w not in titles]
    b = [w for w in _words(known) if w not in titles]
    if not a or not b or a[-1] != b[-1]:
        return False
    return len(a) == 1 or len(b) == 1 or a[0][0] == b[0][0]


# what a person is asked to check (``not_ours``)
OTHER_SCHOOL = N_("This document names %(others)s, not %(school)s — check it is yours")
OTHER_DSL = N_("This document names %(names)s as the %(dsl)s, not %(ours)s — check it is yours")


class _Listed(Lazy):
    """Names in a sentence, joined as its language does: as before in English ("A and B",
    "A, B", "A or B"); in Welsh "A, B a C" / "A neu B" ("ac" before a vowel)."""

    __slots__ = ("joiner", "names")

    def __init__(self, names: Sequence[str], joiner: str) -> None:
        self.names, self.joiner = tuple(names), joiner

    def said(self, language: str) -> str:
        """The names joined in ``language``."""
        names, joiner = self.names, self.joiner
        if language == "en" or len(names) < 2:
            return joiner.join(names)
        if joiner == ", ":
            joiner = " and "
        last = names[-1]
        vowel = last[:1].lower() in "aeiouwyâêîôûŵŷ"
        word = {" or ": "neu"}.get(joiner) or ("ac" if vowel else "a")
        return f"{', '.join(names[:-1])} {word} {last}"


def not_ours(
    imported: ImportedPolicy,
    school_name: str | None,
    dsl_names: Sequence[str] = (),
    *,
    dsl: str = "DSL",
) -> list[Msg]:
    """Sentences for a person when the document names another school or another safeguarding
    lead than the school's own ("This document names Oakfield Primary, not Oak School — check
    it is yours"); ``dsl`` is the lead's title in the school's words ("DSP" in Wales)."""
    checks: list[Msg] = []
    if school_name:
        named = [imported.school.value] if imported.school is not None else []
        others = [
            name
            for name in dict.fromkeys([*named, *imported.other_schools])
            if not same_school(name, school_name)
        ]
        if others:
            checks.append(
                Msg(OTHER_SCHOOL, others=_Listed(others[:3], " and "), school=school_name)
            )
    if dsl_names:
        strangers = [
            str(found.value)
            for found in imported.dsl
            if not any(same_person(str(found.value), known) for known in dsl_names)
        ]
        if strangers:
            checks.append(
                Msg(
                    OTHER_DSL,
                    names=_Listed(list(dict.fromkeys(strangers)), ", "),
                    ours=_Listed(dsl_names, " or "),
                    dsl=Msg(dsl),
                )
            )
    return checks
