"""The school's own words for what people do (a job title, an MIS role) and the role each
gives, from one table: the built-in posts of its nation with the school's ``job_titles`` on
top (``SchoolConfig.role_table``).

Pure: a person and the table in, their roles and the words the table does not know out. A word
the table does not know is never stored as a role nor guessed: it gives nothing (its holder
owes nothing for it) and is listed as a post to map until the school says what it means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.config import ROLES
from bot.core.language.words import plain_key
from bot.core.ports import DirectoryPerson

__all__ = ["NOT_ASKED", "Mapped", "map_roles", "role_words", "suggest_role", "words_of"]

NOT_ASKED = "none"  # the table's value for "not asked for anything"

# words of a post the role table does not know, and the role a school usually gives it, most
# specific first: offered for a post to map, never applied by itself. A clerk to the
# governors is the clerk, not a governor and not staff owing staff training.
_SUGGESTIONS: tuple[tuple[str, str], ...] = (
    ("safeguarding governor", "safeguarding_governor"),
    ("clerk", "clerk"),
    ("clerc", "clerk"),
    ("governor", "governor"),
    ("governors", "governor"),
    ("trustee", "governor"),
    ("llywodraethwr", "governor"),
    ("llywodraethwraig", "governor"),
    ("gwirfoddolwr", "volunteer"),
    ("gwirfoddolwraig", "volunteer"),
    ("principal", "staff"),
    ("vice principal", "staff"),
    ("depute", "staff"),
    ("deputy", "staff"),
    ("secretary", "staff"),
    ("receptionist", "staff"),
    ("pennaeth", "staff"),
    ("bennaeth", "staff"),
    ("athro", "staff"),
    ("athrawes", "staff"),
    ("cymhorthydd", "staff"),
    ("janitor", "staff"),
    ("supervisor", "staff"),
    ("nursery", "staff"),
    ("early years", "staff"),
    ("librarian", "staff"),
    ("finance", "staff"),
    ("officer", "staff"),
    ("clerical", "staff"),
    # an independent school's board: the proprietor body's members
    ("proprietor", "governor"),
    ("supply", "supply"),
    ("agency", "supply"),
    ("volunteer", "volunteer"),
    ("student", "volunteer"),
    ("cleaner", NOT_ASKED),
    ("caretaker", "staff"),
    ("cook", NOT_ASKED),
    ("kitchen", NOT_ASKED),
    ("catering", NOT_ASKED),
    ("contractor", NOT_ASKED),
    ("teacher", "staff"),
    ("headteacher", "staff"),
    ("head", "staff"),
    ("teaching", "staff"),
    ("ta", "staff"),
    ("hlta", "staff"),
    ("assistant", "staff"),
    ("senco", "staff"),
    ("lunchtime", "staff"),
    ("midday", "staff"),
    ("mdsa", "staff"),
    ("support", "staff"),
    ("office", "staff"),
    ("administrator", "staff"),
    ("admin", "staff"),
    ("manager", "staff"),
    ("business", "staff"),
    ("bursar", "staff"),
    ("practitioner", "staff"),
    ("mentor", "staff"),
    ("coach", "staff"),
    ("technician", "staff"),
    ("staff", "staff"),
)


def suggest_role(word: str) -> str | None:
    """The role a common title usually gives ("Class Teacher" → staff), or None."""
    words = f" {plain_key(word).replace('-', ' ').replace('/', ' ')} "
    return next((role for phrase, role in _SUGGESTIONS if f" {phrase} " in words), None)


def role_words(person: DirectoryPerson, *, groups_give_role: bool, titles: bool) -> list[str]:
    """The words in the school's language that decide this person's roles: what a roles column
    holds that is not one of the bot's roles, else (with ``titles``, when nothing else gives a
    role) the job title; and always every further role column's word (a school that lists a
    second role means it)."""
    further = list(person.other_titles)
    words = sorted(r for r in person.roles if r not in ROLES)
    if words:
        return words + further
    has_role = any(r in ROLES for r in person.roles) or groups_give_role
    if titles and not has_role and person.job_title:
        return [person.job_title, *further]
    return further


@dataclass(frozen=True)
class Mapped:
    """A person's roles from the table, and the words it does not know."""

    roles: frozenset[str]
    unknown: tuple[str, ...]


def map_roles(
    person: DirectoryPerson, role_groups: Mapping[str, str], job_titles: Mapping[str, str]
) -> Mapped:
    """Every role a person has: stated, from their groups, and from the table for their words.

    The job title is only read once the school keeps a table (a school whose roles come from
    groups alone is not asked about titles)."""
    table = {plain_key(k): v for k, v in job_titles.items()}
    roles = {r for r in person.roles if r in ROLES}
    roles |= {role_groups[g] for g in person.groups if g in role_groups}
    unknown = []
    for word in role_words(person, groups_give_role=bool(roles), titles=bool(table)):
        role = table.get(plain_key(word))
        if role is None:
            unknown.append(word)
        elif role != NOT_ASKED:
            roles.add(role)
    return Mapped(frozenset(roles), tuple(unknown))


def words_of(people: Iterable[DirectoryPerson], role_groups: Mapping[str, str]) -> dict[str, int]:
    """Every word a table for these people must say something about, with how many have it."""
    counts: dict[str, int] = {}
    seen: dict[str, str] = {}
    for person in people:
        if not person.active:
            continue
        groups = any(g in role_groups for g in person.groups)
        stated = any(r in ROLES for r in person.roles)
        for word in role_words(person, groups_give_role=groups or stated, titles=True):
            shown = seen.setdefault(plain_key(word), word)
            counts[shown] = counts.get(shown, 0) + 1
    return counts
