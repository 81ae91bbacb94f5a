"""The built-in requirement pack: templates that follow the school's own policies, for both
``compliance-bot init`` and the web's requirements page.

Pure: titles in, requirements out. Each template names what it asks of whom in the school's
words; acknowledgement templates are matched to the imported policies by title.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, Literal

from bot.core.config import SchoolConfig
from bot.core.language.i18n import N_, Msg, said_in
from bot.core.language.words import school_words
from bot.core.nations import NATIONS, StatutoryItem, Words, pack_for, school_words_for
from bot.features.policies.api import normalise_title

__all__ = [
    "PACK",
    "PACKS",
    "NamedPack",
    "PackItem",
    "PolicyRef",
    "Template",
    "extract_named_packs",
    "is_statutory_reading",
    "match_pack",
    "pack_requirements",
    "school_pack",
    "statutory_templates",
]


def _plain(title: str) -> str:
    """A title's words, lower case, with spaces around (punctuation dropped)."""
    return f" {re.sub(r'[^a-z]+', ' ', title.lower()).strip()} "


@cache
def _guidance_titles() -> tuple[str, ...]:
    """Every nation's guidance that staff read (each pack's ``guidance_titles``)."""
    return tuple(_plain(t) for n in NATIONS for t in pack_for(n).guidance_titles)


def is_statutory_reading(title: str) -> bool:
    """Whether a document's title names national guidance that staff read (KCSIE and its
    equivalents), which the pack never makes a policy: governors do not review it."""
    words = _plain(title)
    return any(phrase in words for phrase in _guidance_titles())


@dataclass(frozen=True)
class PolicyRef:
    """An imported policy as the pack sees it: its id, title and whether it is marked the AUP."""

    id: str
    title: str
    aup: bool = False

    @property
    def words(self) -> str:
        """The title's significant words, lower case, with spaces around."""
        return f" {normalise_title(self.title)} "

    @property
    def is_guidance(self) -> bool:
        """National guidance staff read (KCSIE): a reading campaign, never a school policy."""
        return is_statutory_reading(self.title)

    @property
    def is_aup(self) -> bool:
        """An acceptable use policy (signed by account holders, not acknowledged by all)."""
        return self.aup or " acceptable use " in self.words


@dataclass(frozen=True)
class Template:
    """One requirement template of the pack."""

    id: str
    kind: Literal[
        "acknowledge_policy",
        "complete_training",
        "sign_aup",
        "governors_review",
        "statutory",
        "optional",
    ]
    summary: str
    phrases: tuple[str, ...] = ()  # title phrases a matching policy has (acknowledgements)
    topic: str = ""  # what a matching policy is about, in the school's words
    statutory: StatutoryItem | None = None  # the nation's statutory item (kind "statutory")
    course: str = ""  # the course a training template asks for
    roles: tuple[str, ...] = ()  # who a training template asks

    def matches(self, policy: PolicyRef) -> bool:
        """Whether ``policy`` is one this template is about (national guidance never is)."""
        if policy.is_guidance:
            return False
        if self.kind == "sign_aup":
            return policy.is_aup
        if policy.is_aup:
            return False
        return any(f" {phrase} " in policy.words for phrase in self.phrases)


# the templates and the named packs are data: pack.toml, beside this module
_DATA = tomllib.loads(Path(__file__).with_name("pack.toml").read_text(encoding="utf-8"))
PACK: tuple[Template, ...] = tuple(
    Template(**row | {key: tuple(value) for key, value in row.items() if isinstance(value, list)})
    for row in _DATA["template"]
)


@dataclass(frozen=True)
class PackItem:
    """A template and the policies it follows (empty for training and governors' reviews)."""

    template: Template
    policies: tuple[PolicyRef, ...]

    @property
    def available(self) -> bool:
        """Whether the school's policies let this template apply."""
        return self.template.kind not in ("acknowledge_policy", "sign_aup") or bool(self.policies)

    @property
    def why_not(self) -> Msg:
        """Why an acknowledgement template does not apply (no matching policy)."""
        if self.template.kind == "sign_aup":
            return Msg(N_("no acceptable use policy was imported"))
        return Msg(N_("no policy with a matching title was imported"))


def statutory_templates(country: str | None, words: Words | None = None) -> tuple[Template, ...]:
    """The nation's statutory items as templates, in the school's ``words`` (its nation's
    when not given; none when the nation is not given)."""
    if country is None:
        return ()
    said = (item.said(words or school_words_for(country)) for item in pack_for(country).statutory)
    return tuple(
        Template(
            item.id, "optional" if item.optional else "statutory", item.summary, statutory=item
        )
        for item in said
    )


def match_pack(
    policies: Sequence[PolicyRef], country: str | None = None, words: Words | None = None
) -> list[PackItem]:
    """Every template with the imported policies it follows (a policy is acknowledged once),
    then the statutory items of the school's nation (``SchoolConfig.country``) in its
    ``words`` (an independent school's: the proprietor's)."""
    items: list[PackItem] = []
    taken: set[str] = set()
    for template in (*PACK, *statutory_templates(country, words)):
        found = tuple(
            p
            for p in policies
            if template.matches(p) and (template.kind != "acknowledge_policy" or p.id not in taken)
        )
        if template.kind == "acknowledge_policy":
            taken |= {p.id for p in found}
        follows = template.kind in ("acknowledge_policy", "sign_aup")
        items.append(PackItem(template, found if follows else ()))
    return items


def _requirement(template: Template, policy: PolicyRef | None) -> dict[str, Any]:
    """One requirement entry of school.yaml for a template (and its policy)."""
    if template.kind == "complete_training":
        return {
            "id": template.id,
            "kind": "complete_training",
            "course": template.course,
            "audience": {"roles": list(template.roles)},
            "valid_months": 12,
            "due_days": 28,
        }
    assert policy is not None
    if template.kind == "sign_aup":
        return {
            "id": f"sign-{policy.id}"[:64],
            "kind": "sign_aup",
            "policy": policy.id,
            "due_days": 10,
        }
    entry: dict[str, Any] = {
        "id": f"ack-{policy.id}"[:64],
        "kind": "acknowledge_policy",
        "policy": policy.id,
        # supply staff read the policies too; the code of conduct is for employed and supply
        # staff, the others for volunteers as well
        "audience": {
            "roles": ["staff", "supply"]
            if template.id == "ack-code-of-conduct"
            else ["staff", "supply", "volunteer"]
        },
        "due_days": 14,
    }
    if template.id == "ack-child-protection":
        entry["yearly_on"] = "09-01"  # KCSIE: everyone re-reads it at the start of the year
    return entry


def _owners(item: StatutoryItem, named: Mapping[str, Any]) -> list[str]:
    """A statutory task's owners by the school's named roles (a DSL, else the headteacher,
    leads; the governor is the chair until the school names another)."""
    owners: list[str] = []
    for role in item.owners:
        found = named.get(role) or (named.get("headteacher") if role == "dsl" else None)
        emails = [found] if isinstance(found, str) else list(found or [])[:1]
        owners += [e for e in emails if e and e not in owners]
    return owners


def _statutory(item: StatutoryItem, named: Mapping[str, Any]) -> dict[str, Any]:
    """A statutory item's requirement, with a task's owners filled in (a course's: the named
    people who must take it too, such as at least one governor)."""
    entry = dict(item.requirement)
    owners = _owners(item, named)
    if entry["kind"] == "recurring_task":
        entry["owners"] = owners
        if not owners:
            entry["audience"] = {"roles": ["headteacher"]}
    elif owners:
        audience = dict(entry.get("audience", {}))
        entry["audience"] = {**audience, "people": [*audience.get("people", []), *owners]}
    return entry


def _worded(entry: dict[str, Any], language: str) -> dict[str, Any]:
    """A requirement's words a person reads (its title, course and refresher) in the school's
    ``language`` through the catalogue (``cy+en``: "Cymraeg / English")."""
    return entry | {
        key: said_in(language, Msg(entry[key]))
        for key in ("title", "course", "refresher")
        if isinstance(entry.get(key), str)
    }


def pack_requirements(
    items: Sequence[PackItem],
    chosen: set[str],
    named: Mapping[str, Any] | None = None,
    language: str = "en",
) -> list[dict[str, Any]]:
    """The school.yaml requirements for the chosen templates (governors' reviews are not a
    requirement: they follow from each policy's review date). ``named``: the school's named
    roles (headteacher, dsl, chair_of_governors) by email, who own statutory tasks. Their
    titles and courses are written in the school's ``language``: school.yaml is where the
    school reads and renames them, and a course's name is what its training records match."""
    out: list[dict[str, Any]] = []
    for item in items:
        template = item.template
        if template.id not in chosen or not item.available:
            continue
        if template.statutory is not None:
            out.append(_statutory(template.statutory, named or {}))
        elif template.kind == "complete_training":
            out.append(_requirement(template, None))
        elif template.kind in ("acknowledge_policy", "sign_aup"):
            out += [_requirement(template, policy) for policy in item.policies]
    return [_worded(entry, language) for entry in out]


@dataclass(frozen=True)
class NamedPack:
    """A choice of templates offered on the web's requirements page."""

    id: str
    title: str
    summary: str
    templates: frozenset[str]


_EVERY_TEMPLATE = (*PACK, *(t for n in NATIONS for t in statutory_templates(n)))
PACKS: dict[str, NamedPack] = {
    row["id"]: NamedPack(
        row["id"],
        row["title"],
        row["summary"],
        frozenset(t.id for t in _EVERY_TEMPLATE if t.kind in row["kinds"]),
    )
    for row in _DATA["named"]
}


def extract_named_packs(
    fileobj: BinaryIO, keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor (``babel.cfg``): each named pack's title and summary and each
    template's topic and course, so the requirements page and a school's yaml can say them in
    the school's language."""
    data = tomllib.load(fileobj)
    for row in data.get("named", []):
        for key in ("title", "summary"):
            yield 0, None, row[key], [f"requirement pack {row['id']}: {key}"]
    for row in data.get("template", []):
        for key in ("topic", "course"):
            if row.get(key):
                yield 0, None, row[key], [f"requirement template {row['id']}: {key}"]


def _why_not(template: Template) -> Msg:
    """The note for a chosen template the school's policies do not let apply."""
    if template.kind == "sign_aup":
        return Msg(
            N_(
                "No policy is marked as the social media AUP yet: official account "
                "holders are not asked to sign one."
            )
        )
    return Msg(
        N_("No policy about %(topic)s yet: add it, then choose the pack again."),
        topic=Msg(template.topic),
    )


def school_pack(pack: NamedPack, school: SchoolConfig) -> tuple[list[dict[str, Any]], list[Msg]]:
    """The requirements a named pack adds to this school (what it already asks is kept, by id
    or by the same policy asked the same way), and notes saying what could not be matched
    (each statutory item's own words as its nation's pack gives them)."""
    refs = [PolicyRef(p.id, p.title, p.aup) for p in school.policies]
    items = match_pack(refs, school.country, school_words(school))
    named = {
        "headteacher": school.headteacher,
        "dsl": school.dsl,
        "chair_of_governors": school.chair_of_governors,
    }
    have = {r.id for r in school.requirements}
    asked = {(r.kind, r.policy) for r in school.requirements if r.policy}
    added = [
        entry
        for entry in pack_requirements(items, set(pack.templates), named, school.language)
        if entry["id"] not in have and (entry["kind"], entry.get("policy")) not in asked
    ]
    notes = [
        _why_not(item.template)
        for item in items
        if item.template.id in pack.templates and not item.available
    ]
    ids = {entry["id"] for entry in added}
    notes += [
        Msg(
            N_("%(summary)s. How often: %(often)s. Source: %(source)s, %(url)s"),
            summary=t.statutory.summary,
            often=t.statutory.frequency,
            source=t.statutory.source.title,
            url=t.statutory.source.url,
        )
        for t in (item.template for item in items)
        if t.statutory is not None and t.statutory.requirement["id"] in ids
    ]
    return added, notes
