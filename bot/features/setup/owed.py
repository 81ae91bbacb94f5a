"""Who will owe what: before a school's settings are saved, each requirement with the number of
people it will ask and a few of their names, so that a setup which asks nobody is seen at once.

Pure: the school's settings and its people (each with the roles they will have) in, lines out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Joined, Msg, nmsg
from bot.engine.duty_facts import PersonFacts, in_audience
from bot.features.reading.api import audience_name
from bot.features.setup.answers import SINGLE_ROLES

__all__ = ["Owed", "OwedPerson", "nobody_owes", "who_owes"]

SAMPLE = 3  # names shown for each requirement


@dataclass(frozen=True)
class OwedPerson:
    """A person as the check sees them: who, and the roles and groups they will have."""

    email: str
    name: str
    roles: frozenset[str]
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Owed:
    """One requirement: what it asks, in the school's words, and of whom."""

    what: Text
    names: tuple[str, ...]
    by_holding: bool = False  # asked of official account holders, named later
    # a reading's audiences with no edition registered: nobody in them is asked until it is
    no_edition: tuple[Text, ...] = ()

    @property
    def count(self) -> int:
        """How many people it asks."""
        return len(self.names)

    def line(self) -> Msg:
        """'Annual safeguarding training: 32 people (e.g. Ana Ortiz, Ben Lee, …)'."""
        if self.by_holding:
            return Msg(
                N_("%(what)s: the official account holders, once they are named"), what=self.what
            )
        waiting: Text = (
            Msg(
                N_(
                    "; no edition registered for %(audiences)s, so nobody there is asked until one "
                    "is (compliance-bot campaign add)"
                ),
                audiences=Joined(self.no_edition, ", "),
            )
            if self.no_edition
            else ""
        )
        if not self.names:
            return Msg(N_("%(what)s: nobody%(waiting)s"), what=self.what, waiting=waiting)
        sample = ", ".join(self.names[:SAMPLE]) + (", …" if self.count > SAMPLE else "")
        return Msg(
            N_("%(what)s: %(who)s (e.g. %(sample)s)%(waiting)s"),
            what=self.what,
            who=nmsg("%(count)s person", "%(count)s people", self.count, count=self.count),
            sample=sample,
            waiting=waiting,
        )


def _named_roles(school: SchoolConfig) -> dict[str, set[str]]:
    """The roles school.yaml gives by email (headteacher, DSLs, admins…)."""
    named: dict[str, set[str]] = {}
    lists = (("dsl", school.dsl), ("deputy_dsl", school.deputy_dsl), ("admin", school.admins))
    for role, emails in [*((role, [getattr(school, role)]) for role in SINGLE_ROLES), *lists]:
        for email in filter(None, emails):
            named.setdefault(email, set()).add(role)
    return named


_WHAT = {
    "reading_campaign": N_("Read %(title)s each year"),
    "sign_aup": N_("Sign the %(title)s"),
    "acknowledge_policy": N_("Read and acknowledge the %(title)s"),
}


def _what(requirement: RequirementConfig, titles: Mapping[str, str]) -> Text:
    """A requirement in the school's words, its frame said where shown."""
    if requirement.title:
        return requirement.title
    if requirement.kind == "complete_training":
        course = requirement.course or requirement.id
        plain = requirement.record_check or course.casefold().endswith("training")
        return course if plain else Msg(N_("%(course)s training"), course=course)
    frame = _WHAT.get(requirement.kind)
    if frame is None:
        return requirement.id
    title = (
        requirement.display_title
        if requirement.kind == "reading_campaign"
        else titles.get(requirement.policy or "", requirement.policy or "")
    )
    return Msg(frame, title=title)


def who_owes(
    school: SchoolConfig, people: Sequence[OwedPerson], *, editions: Collection[str], today: date
) -> list[Owed]:
    """Each requirement of the school and everyone it will ask (named in directory order);
    a reading asks only the audiences still read ``today`` whose edition is registered
    (``editions``: their keys, ``RequirementConfig.edition_key``)."""
    named = _named_roles(school)
    facts = [
        (
            person,
            PersonFacts(
                number,
                person.email,
                person.roles | frozenset(named.get(person.email, ())),
                person.groups,
            ),
        )
        for number, person in enumerate(people)
    ]
    titles = {p.id: p.title for p in school.policies}
    owed = []
    for requirement in school.requirements:
        if requirement.kind == "sign_aup":
            owed.append(Owed(_what(requirement, titles), (), by_holding=True))
            continue
        if requirement.kind == "recurring_task":
            names = tuple(p.name for p in people if p.email in requirement.owners)
        elif requirement.kind == "reading_campaign":
            parts = requirement.parts_on(today)
            ready = [a for part, a in parts.items() if requirement.edition_key(part) in editions]
            names = tuple(p.name for p, f in facts if any(in_audience(f, a) for a in ready))
            owed.append(
                Owed(
                    _what(requirement, titles),
                    names,
                    no_edition=tuple(
                        audience_name(part)
                        for part in parts
                        if requirement.edition_key(part) not in editions
                    ),
                )
            )
            continue
        else:
            names = tuple(p.name for p, f in facts if in_audience(f, requirement.audience))
        owed.append(Owed(_what(requirement, titles), names))
    return owed


def nobody_owes(owed: Sequence[Owed]) -> bool:
    """True when the school asks for something yet nobody will be asked (the loud warning)."""
    asked = [o for o in owed if not o.by_holding]
    return bool(asked) and not any(o.count for o in asked)
