"""Who approves the policy (a governance body) and how often it is reviewed."""

from __future__ import annotations

import re

from bot.core.guards.forms import Text
from bot.core.language.i18n import Msg
from bot.features.policies.importer import sentences as said
from bot.features.policies.importer.lines import Line, from_text, keep_first
from bot.features.policies.importer.values import Found

__all__ = ["DEFAULT_REVIEW_CYCLE_MONTHS", "find_approving_body", "find_review_cycle"]

DEFAULT_REVIEW_CYCLE_MONTHS = 12

_APPROVAL_VERB = r"(?:ratified|approved|agreed|adopted|signed\s+off|endorsed)"
# Governance bodies only: "an app approved by the headteacher" is about using a tool,
# not about approving the policy, so people and managers are deliberately not bodies here.
_BODIES: tuple[tuple[str, str | None], ...] = (
    (r"F\.?G\.?B\b\.?", "Full Governing Body"),
    (r"L\.?G\.?B\b\.?", "Local Governing Body"),
    (r"full\s+govern(?:ing\s+(?:body|board)|ors)", "Full Governing Body"),
    (r"local\s+governing\s+(?:body|board)", "Local Governing Body"),
    (r"chair\s+of\s+(?:the\s+)?governors", "Chair of Governors"),
    (r"board\s+of\s+governors|B\.?o\.?G\b\.?", "Board of Governors"),  # Northern Ireland's
    (r"board\s+of\s+trustees|trustees", "Board of Trustees"),
    (r"board\s+of\s+directors", "Board of Directors"),
    (r"(?:[\w&'’-]+\s+){0,4}?committee", None),  # a named committee: kept as written
    (r"governing\s+(?:body|board)|governors", "Governing Body"),
    (r"proprietors?", "Proprietor"),
)
_BODY = "|".join(f"(?P<body{i}>{pattern})" for i, (pattern, _) in enumerate(_BODIES))
_APPROVED_BY_RE = re.compile(
    rf"\b(?:{_APPROVAL_VERB}(?:\s+and\s+{_APPROVAL_VERB})?\s+by|approv(?:ing|al)\s+(?:body|by))"
    rf"\s*[:|–-]?\s*(?:the\s+)?(?:{_BODY})(?![\w-])",
    re.IGNORECASE,
)
_BODY_NOTES = {
    written.upper(): Msg(said.ABBREVIATION, short=written, body=body)
    for written, body in (
        ("FGB", "Full Governing Body"),
        ("LGB", "Local Governing Body"),
        ("BoG", "Board of Governors"),
    )
}


def find_approving_body(lines: list[Line], warnings: list[Text]) -> Found[str] | None:
    """Who ratifies or approves the policy (a governance body, never a person)."""
    result: Found[str] | None = None
    for line in lines:
        for match in _APPROVED_BY_RE.finditer(line.text):
            index = int((match.lastgroup or "body0")[4:])
            written = " ".join(match.group(match.lastgroup or 0).split())
            value = _BODIES[index][1] or _committee_name(written)
            note = _BODY_NOTES.get(written.replace(".", "").upper())
            found = from_text(value, line, match.start(), note)
            result = keep_first(result, found, said.FIELDS["approving_body"], warnings)
    return result


def _committee_name(written: str) -> str:
    name = written[4:] if written.lower().startswith("the ") else written  # one space apart
    return name[:1].upper() + name[1:]


# Why-comments for the cycle: "at least annually" is the longest gap allowed, so 12 months.
_CYCLE_RE = re.compile(
    r"""
    (?P<annual>\b(?:at\s+least\s+)?(?:annually|yearly|every\s+year|each\s+year|once\s+a\s+year
        |every\s+(?:twelve|12)\s+months|annual(?=\s+review))\b)
  | (?P<every>\bevery\s+(?P<n>\d{1,2}|one|two|three|four|five|six|eighteen|twelve
        |twenty[\s-]four|thirty[\s-]six)\s+(?P<unit>years?|months?)\b)
  | (?P<nyearly>\b(?P<n2>\d|two|three|four|five)[\s-]+year(?:ly|\s+cycle)\b)
  | (?P<biennial>\bbiennial(?:ly)?\b)
  | (?P<triennial>\btriennial(?:ly)?\b)
  | (?P<halfyear>\b(?:twice\s+(?:a|per|each)\s+year|six[\s-]monthly|half[\s-]yearly)\b)
  | (?P<termly>\b(?:termly|every\s+term|each\s+term)\b)
  | (?P<ambiguous>\bbi-?annual(?:ly)?\b)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_CYCLE_LABEL_RE = re.compile(
    r"\breview\s+(?:cycle|frequency|period|interval)\s*[:|–-]?\s*(?P<v>.+)$", re.IGNORECASE
)
_LABELLED_CYCLE_RE = re.compile(
    r"^(?:(?P<annual>annual(?:ly)?|yearly)|(?P<n>\d{1,2})\s*(?P<unit>years?|months?))\b",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12,
    "eighteen": 18, "twenty four": 24, "thirty six": 36,
}  # fmt: skip
_REVIEW_WORD_RE = re.compile(r"\breview", re.IGNORECASE)


def _number(text: str) -> int:
    text = text.lower().replace("-", " ")
    return int(text) if text.isdigit() else _WORD_NUMBERS[" ".join(text.split())]


def _cycle_from_match(match: re.Match[str]) -> tuple[int | None, Text | None]:
    """Months and an explanatory note for one review-cycle phrase (None months = ambiguous)."""
    kind = match.lastgroup
    phrase = " ".join(match.group(0).split())
    if kind == "annual":
        if phrase.lower().startswith("at least"):
            return 12, Msg(said.AT_LEAST, phrase=phrase)
        return 12, None
    if kind in ("every", "nyearly"):
        months = _months(_number(match["n"] or match["n2"]), match["unit"] or "year")
        return (months, None) if months > 0 else (None, None)
    return {
        "biennial": (24, None),
        "triennial": (36, None),
        "halfyear": (6, None),
        "termly": (4, Msg(said.TERMLY)),
    }.get(kind or "", (None, None))


def find_review_cycle(lines: list[Line], warnings: list[Text]) -> Found[int]:
    """How often the policy is reviewed, in months (a flagged default when not stated)."""
    for line in lines:
        if labelled := _CYCLE_LABEL_RE.search(line.text):
            short = _LABELLED_CYCLE_RE.match(labelled["v"].strip())
            if short and (
                stated := 12 if short["annual"] else _months(int(short["n"]), short["unit"])
            ):
                return from_text(stated, line, labelled.start())
        if not _REVIEW_WORD_RE.search(line.text):
            continue  # "training is provided annually" is not a review cycle
        for match in _CYCLE_RE.finditer(line.text):
            months, note = _cycle_from_match(match)
            if months is None:
                warnings.append(Msg(said.AMBIGUOUS, line=line.number, phrase=match.group(0)))
                continue
            return from_text(months, line, match.start(), note)
    warnings.append(Msg(said.CYCLE_ASSUMED, months=DEFAULT_REVIEW_CYCLE_MONTHS))
    return Found(DEFAULT_REVIEW_CYCLE_MONTHS, "default", note=Msg(said.ASSUMPTION))


def _months(number: int, unit: str) -> int:
    """``number`` months, or years in months."""
    return number if unit.lower().startswith("month") else number * 12
