"""The people a policy names: designated safeguarding leads, deputies and governors."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core.language.i18n import N_, Msg
from bot.features.policies.importer import sentences as said
from bot.features.policies.importer.lines import Line, from_text
from bot.features.policies.importer.values import Found

__all__ = ["find_people"]


_SEPARATOR = r"(?:\s*[:|–—-]\s*|\s+(?=[A-Z]))"  # "Label: Name", "Label | Name" or "Label Name"
_DSL_LABEL_RE = re.compile(
    r"^(?i:(?:the\s+)?designated\s+safeguarding\s+leads?|DSLs?)"
    rf"(?:\s*\((?i:s|dsl)\))?{_SEPARATOR}(?P<names>.+)$"
)
_DEPUTY_LABEL_RE = re.compile(
    r"^(?i:deputy\s+(?:designated\s+safeguarding\s+leads?|DSLs?)|deputies|DDSLs?)"
    rf"(?:\s*\((?i:s)\))?{_SEPARATOR}(?P<names>.+)$"
)
# Governor labels need an explicit separator: "with lead responsibility for ..." runs on.
_GOVERNOR_LABEL_RE = re.compile(
    r"^(?i:(?:named|nominated|link|lead|safeguarding)\s+governors?(?:\s+(?:with|for)\s+[a-z ]+?)?"
    r"|governors?\s+with\s+lead\s+responsibility(?:\s+for\s+[a-z ]+?)?"
    r"|committee\s+members?\s+with\s+lead\s+responsibility(?:\s+for\s+[a-z ]+?)?"
    r"|chair\s+of\s+(?:the\s+)?(?:governors|governing\s+body|committee))"
    r"(?:\s*\((?i:s)\))?\s*[:|–—-]\s*(?P<names>.+)$"
)
# Prose: "the Designated Safeguarding Lead (DSL), Jane Smith, Headteacher is ...".
_DSL_PROSE_RE = re.compile(
    r"(?i:designated\s+safeguarding\s+lead\s*(?:\(DSL\))?|\bDSL)"
    r"(?:\s*/\s*(?i:head\s?teacher|manager))?\s*,\s*(?P<names>[A-Z][^.;:]*)"
)
# Where a prose name list ends: the sentence's verb.
_PROSE_STOP_RE = re.compile(r"\s+(?:is|are|was|were|will|who|has|have|should|can)\b.*$")
_NAME_SPLIT_RE = re.compile(r"\s*(?:[,&;/+]|\band\b|\s[-–—]\s)\s*")
_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "rev", "revd", "prof", "sir", "dame"}
_PARTICLES = {"de", "van", "von", "der", "den", "la", "le", "du", "da", "di", "bin", "al"}
_ROLE_WORDS = {
    "headteacher", "head", "teacher", "deputy", "manager", "principal", "lead", "leader",
    "designated", "safeguarding", "officer", "governor", "governors", "chair", "clerk",
    "senco", "dsl", "ddsl", "dsls", "assistant", "executive", "director", "trustee",
    "committee", "member", "school", "primary", "academy", "the", "tbc", "tba", "vacant",
    "none", "team", "office", "business", "pastoral", "coordinator", "co-ordinator",
    "administrator", "staff", "board", "body", "policy", "vice", "acting", "interim",
    "headmaster", "headmistress", "ceo", "chief", "eyfs", "nursery", "pre-school",
    "preschool", "online", "safety", "for", "with", "responsibility",
}  # fmt: skip
_NAME_TOKEN_RE = re.compile(r"^[A-Z][A-Za-z'’-]*\.?$")


def _person_names(text: str) -> list[str]:
    """Names in a "Name, Role & Name" list; roles, contact details and sentences are dropped."""
    parts = _NAME_SPLIT_RE.split(re.sub(r"\([^)]*\)", " ", text))
    tokens = [part.strip(" .,:").split() for part in parts]
    return [" ".join(words) for words in tokens if _looks_like_name(words)]


def _looks_like_name(tokens: list[str]) -> bool:
    if not 2 <= len(tokens) <= 5:
        return False
    for token in tokens:
        bare = token.strip(".").lower()
        if bare in _ROLE_WORDS:
            return False
        if not (_NAME_TOKEN_RE.match(token) or bare in _PARTICLES or bare in _HONORIFICS):
            return False
    return tokens[-1].strip(".").lower() not in _HONORIFICS


def _normalised_name(name: str) -> str:
    return " ".join(name.lower().split())


def _add_people(
    people: list[Found[str]], names: Iterable[str], line: Line, start: int, note: Msg | None
) -> None:
    known = {_normalised_name(found.value) for found in people}
    for name in names:
        if _normalised_name(name) not in known:
            known.add(_normalised_name(name))
            people.append(from_text(name, line, start, note))


def find_people(lines: list[Line]) -> tuple[list[Found[str]], list[Found[str]], list[Found[str]]]:
    """The DSLs, deputy DSLs and named governors the document names."""
    dsl: list[Found[str]] = []
    deputies: list[Found[str]] = []
    governors: list[Found[str]] = []
    for line in lines:
        if match := _DEPUTY_LABEL_RE.match(line.text):
            _add_people(deputies, _person_names(match["names"]), line, 0, None)
        elif match := _DSL_LABEL_RE.match(line.text):
            _add_people(dsl, _person_names(match["names"]), line, 0, None)
        elif match := _GOVERNOR_LABEL_RE.match(line.text):
            note: Msg | None = None
            if line.text.lower().startswith("committee"):
                note = Msg(said.COMMITTEE)
            _add_people(governors, _person_names(match["names"]), line, 0, note)
        else:
            for prose in _DSL_PROSE_RE.finditer(line.text):
                names = _person_names(_PROSE_STOP_RE.sub("", prose["names"]))
                _add_people(dsl, names, line, prose.start(), Msg(N_("named in the text")))
    return dsl, deputies, governors
