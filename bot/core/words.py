"""The school's words for what the code calls otherwise: counts, roles, reminder stages, times.

Every page, email and command that shows a count, a role or a reminder stage goes through these
helpers, so no internal name (``deputy_dsl``, ``overdue:2``) or "(s)" plural reaches a person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

__all__ = [
    "ROLE_NAMES",
    "human_date",
    "human_time",
    "plain_key",
    "plural",
    "role_list",
    "role_name",
    "stage_list",
    "stage_name",
    "version_name",
]

ROLE_NAMES: dict[str, str] = {
    "staff": "staff",
    "governor": "governor",
    "volunteer": "volunteer",
    "supply": "supply staff",
    "clerk": "clerk to the governors",
    "headteacher": "headteacher",
    "dsl": "DSL",
    "deputy_dsl": "deputy DSL",
    "dpo": "data protection officer",
    "chair_of_governors": "chair of governors",
    "safeguarding_governor": "safeguarding governor",
    "account_holder": "official account holder",
    "admin": "administrator",
}

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")


def plain_key(text: str) -> str:
    """Words as people type them, for comparing: no accents, no case, single spaces
    ("Siobhan  o'NEILL" and "Siobhán O'Neill" are the same)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def plural(count: int, singular: str, many: str | None = None) -> str:
    """'1 message', '2 messages', '3 policies' (give ``many`` when adding 's' is wrong)."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def role_name(role: str) -> str:
    """A role as the school says it: ``deputy_dsl`` → 'deputy DSL'."""
    return ROLE_NAMES.get(role, role.replace("_", " "))


def role_list(roles: Iterable[str]) -> str:
    """Several roles in a stable order, joined for reading: 'DSL, headteacher'."""
    order = {name: i for i, name in enumerate(ROLE_NAMES)}
    names = [role_name(r) for r in sorted(set(roles), key=lambda r: (order.get(r, 99), r))]
    return ", ".join(names)


def _ordinal(number: int) -> str:
    """'first' ... 'tenth', then '11th'."""
    if 1 <= number <= len(_ORDINALS):
        return _ORDINALS[number - 1]
    teens = 10 <= number % 100 <= 20
    suffix = "th" if teens else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def stage_name(label: str) -> str:
    """A reminder stage in words: ``ask`` → 'first request', ``before:7`` → '7 days before
    the due date', ``due`` → 'on the due date', ``overdue:2`` → 'second overdue reminder'."""
    kind, _, number = label.partition(":")
    if kind == "ask":
        return "first request"
    if kind == "due":
        return "on the due date"
    if kind == "before" and number.isdigit():
        return f"{plural(int(number), 'day')} before the due date"
    if kind == "overdue" and number.isdigit():
        return f"{_ordinal(int(number))} overdue reminder"
    return "reminder"


def stage_list(labels: Iterable[str]) -> str:
    """Several stages in words: 'second overdue reminder, on the due date'."""
    return ", ".join(stage_name(label) for label in labels)


@lru_cache(maxsize=2048)  # a digest run writes the same few dozen dates a million times
def human_date(day: date) -> str:
    """'Friday 4 December 2026' — how schools write dates."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def human_time(moment: datetime) -> str:
    """'Monday 26 October 2026 at 10:00' in the school's zone (Europe/London)."""
    from bot.core.clock import to_local  # the clock loads the school configuration models

    local = to_local(moment)
    return f"{human_date(local.date())} at {local:%H:%M}"


_VERSION_NUMBER_RE = re.compile(r"^v?\d", re.IGNORECASE)


def version_name(label: str, *, start: bool = False) -> str:
    """A policy version as staff read it: a number the document states is 'version 3.2'; a
    dated label the school chose where the document states none is shown as it is ('adopted
    12 November 2026'). ``start``: capitalised, to begin a sentence."""
    text = f"version {label}" if _VERSION_NUMBER_RE.match(label) else label
    return text[:1].upper() + text[1:] if start else text
