"""Visitors' pure rules: the rules text they agree to, its fingerprint, its paragraphs and
bullets, and checking the confirmation form."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.config import SchoolConfig
from bot.core.guards.forms import FormErrors, clean_field, parse_iso_date
from bot.core.language.i18n import N_, say
from bot.core.language.words import said_words, school_words

__all__ = [
    "DEFAULT_VISITOR_RULES",
    "VISITOR_STATEMENT",
    "VisitInput",
    "VisitInputError",
    "rules_blocks",
    "rules_sha256",
    "validate_visit",
    "visitor_rules",
]

# the built-in rules, a sentence a line (each from the catalogue, in the visitor's language);
# joined in English they are the text England's schools have always shown (its fingerprint holds)
_RULE_LINES = (
    N_("Welcome. While you are with us, please help us keep every child safe."),
    "",
    N_("Keep your mobile phone on silent and out of sight whenever children are around."),
    N_("Make or take calls only in the office or reception area."),
    N_(
        "Do not take photographs, videos or recordings of children, or of anything that could "
        "identify a child, on any device."
    ),
    N_(
        "If your work needs a phone, tablet, laptop or camera near children (for example a visit "
        "from another agency), agree it with the %(headteacher)s before you use it."
    ),
    N_("Never post anything about the children or the school on social media."),
    N_("Phones and cameras must never be used in toilets or changing areas."),
    N_(
        "If you are worried about a child, or see someone breaking these rules, tell the "
        "%(dsl_full)s or the office straight away."
    ),
)
DEFAULT_VISITOR_RULES = (
    "\n".join(line if n < 2 else f"- {line}" for n, line in enumerate(_RULE_LINES))
    .replace("%(headteacher)s", "{headteacher}")
    .replace("%(dsl_full)s", "{dsl_full}")
    + "\n"
)
VISITOR_STATEMENT = N_(
    "I have read %(school)s's rules on mobile phones and photography, and I will follow them "
    "during my visit."
)


class VisitInputError(FormErrors):
    """The visitor form has problems: ``errors`` maps each field to one plain message."""


@dataclass(frozen=True)
class VisitInput:
    """A checked visitor confirmation."""

    name: str
    organisation: str | None
    visit_date: date


def visitor_rules(school: SchoolConfig) -> str:
    """The rules visitors agree to: the school's own text, or the built-in one in the school's
    words and the active language (England's built-in text reads exactly as it always has: its
    fingerprint holds)."""
    own = (school.visitor_rules or "").strip()
    if own:
        return own
    words = said_words(school_words(school))
    filled = {"headteacher": words.headteacher, "dsl_full": words.dsl_full}
    lines = [say(line, **filled) if line else "" for line in _RULE_LINES]
    return "\n".join(line if n < 2 else f"- {line}" for n, line in enumerate(lines))


def rules_sha256(text: str) -> str:
    """The fingerprint of the rules as shown (stored with each confirmation)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rules_blocks(text: str) -> list[tuple[str, list[str]]]:
    """The rules as paragraphs and bullet lists: [('p', [text]) | ('ul', [items])]."""
    blocks: list[tuple[str, list[str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        bullet = re.match(r"^(?:[-*•]|\d+[.)])\s+(.*)$", line)
        if bullet is not None:
            if blocks and blocks[-1][0] == "ul":
                blocks[-1][1].append(bullet[1])
            else:
                blocks.append(("ul", [bullet[1]]))
        elif blocks and blocks[-1][0] == "p" and raw.startswith((" ", "\t")):
            blocks[-1][1][0] += " " + line
        else:
            blocks.append(("p", [line]))
    return blocks


def validate_visit(fields: Mapping[str, str], today: date) -> VisitInput:
    """Check the visitor form; raise VisitInputError naming every problem."""
    errors: dict[str, str] = {}
    name = clean_field(fields.get("name"), 121).replace("\n", " ")
    if len(name) < 2:
        errors["name"] = N_("Enter your full name.")
    elif len(name) > 120:
        errors["name"] = N_("Your name can be at most 120 characters.")
    organisation = clean_field(fields.get("organisation"), 121).replace("\n", " ") or None
    if organisation and len(organisation) > 120:
        errors["organisation"] = N_("The organisation can be at most 120 characters.")
    raw_date = (fields.get("visit_date") or "").strip()
    visit_date = parse_iso_date(raw_date) if raw_date else today
    if visit_date is None:
        errors["visit_date"] = N_("Enter the date of your visit, like 2026-11-23.")
    elif not today - timedelta(days=7) <= visit_date <= today + timedelta(days=90):
        errors["visit_date"] = N_("The date of your visit must be within the next 90 days.")
    if fields.get("agree") != "yes":
        errors["agree"] = N_("Tick the box to confirm you will follow the rules.")
    if errors:
        raise VisitInputError(errors)
    assert visit_date is not None
    return VisitInput(name, organisation, visit_date)
