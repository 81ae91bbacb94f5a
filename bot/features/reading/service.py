"""Registering a reading campaign's edition: the exact file (by SHA-256) an audience reads,
in force from a date; a newer edition in force supersedes the old one's open asks. And every
person's acknowledgements of every edition, one row per person and edition, for export."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.guards.forms import SaidError, Text
from bot.core.language.i18n import N_, Joined, Msg, Said, spoken
from bot.core.models import Attestation, Person, Policy, PolicyVersion
from bot.engine.config_sync import ensure_school
from bot.features.policies.api import ReviewError, accepted_document, new_version

__all__ = [
    "EDITION_HEADER",
    "EditionError",
    "Registered",
    "audience_name",
    "campaign_of",
    "edition_acknowledgements",
    "edition_statement",
    "editions_of",
    "register_edition",
    "without_edition",
]


class EditionError(SaidError):
    """The edition cannot be registered; ``str()`` says why, naming the file or the option
    (a file's refusal by the upload check: as that check says it)."""


@dataclass(frozen=True)
class Registered:
    """What registering did: the stored version, and whether the same file was already there."""

    version: PolicyVersion
    already: bool


def edition_statement(title: str) -> str:
    """The sentence a person agrees to when acknowledging an edition."""
    return (
        f"I have read and understood {title}. I know what it asks of me and who to speak to "
        "if I am worried about a child."
    )


def campaign_of(school: SchoolConfig, requirement_id: str) -> RequirementConfig:
    """The school's reading campaign with this id, or EditionError listing the ones there are."""
    campaigns = [r for r in school.requirements if r.kind == "reading_campaign"]
    if named := [r for r in campaigns if r.id == requirement_id]:
        return named[0]
    if known := ", ".join(r.id for r in campaigns):
        raise EditionError(
            N_("%(school)s has no reading campaign called '%(campaign)s' (there are: %(known)s)"),
            school=school.name,
            campaign=requirement_id,
            known=known,
        )
    raise EditionError(
        N_(
            "%(school)s has no reading campaign called '%(campaign)s' (there are: none yet (add "
            "a reading_campaign requirement))"
        ),
        school=school.name,
        campaign=requirement_id,
    )


def audience_name(part: str) -> Text:
    """A reading's audience as a person reads it: "part-1" -> "Part 1" ("Rhan 1" in Welsh);
    an audience the school named itself, as it named it."""
    if (numbered := re.fullmatch(r"part-([a-z0-9]+)", part)) is not None:
        return Msg(N_("Part %(number)s"), number=numbered[1])
    return part.replace("-", " ").capitalize()


def without_edition(session: Session, school: SchoolConfig, today: date) -> list[Joined]:
    """Each reading audience still read ``today`` with no edition registered, as the school
    reads it ("Keeping children safe in education (Part 1)"): nobody in it is asked until one
    is."""
    return [
        Joined((req.display_title, " (", audience_name(part), ")"))
        for req in school.requirements
        if req.kind == "reading_campaign"
        for part in req.parts_on(today)
        if not editions_of(session, school.id, req.edition_key(part))
    ]


def editions_of(session: Session, school_id: str, key: str) -> list[PolicyVersion]:
    """The registered editions under one edition key, oldest first."""
    return list(
        session.scalars(
            select(PolicyVersion)
            .join(Policy, Policy.id == PolicyVersion.policy_id)
            .where(Policy.school_id == school_id, Policy.key == key, Policy.kind == "reading")
            .order_by(PolicyVersion.id)
        )
    )


def register_edition(
    session: Session,
    school: SchoolConfig,
    requirement_id: str,
    audience: str,
    *,
    title: str,
    edition: str,
    path: Path | None = None,
    document: tuple[str, bytes] | None = None,
    in_force: date,
    actor: str,
) -> Registered:
    """Store the edition's file for one audience of a campaign (re-registering the same file is
    'already there'); from ``in_force`` the engine asks for it instead of the previous one.
    The file is ``path`` (the command line, init) or ``document``'s name and bytes (an upload),
    checked as a policy upload is (``accepted_document``).

    Raises EditionError for an unknown campaign or audience, an unreadable or unsuitable file,
    or an edition name already used for a different file; nothing is stored then.
    """
    req = campaign_of(school, requirement_id)
    _check_audience(req, audience, in_force)
    title, edition = title.strip(), edition.strip()
    if not title or not edition:
        raise EditionError(N_("give the edition's title (--title) and name (--edition, e.g. 2026)"))
    if len(edition) > 40 or len(title) > 300:
        raise EditionError(N_("the edition name is at most 40 characters and the title 300"))
    name, data = _edition_file(path, document)
    digest = hashlib.sha256(data).hexdigest()
    ensure_school(session, school)
    key = req.edition_key(audience)
    policy = session.scalar(select(Policy).where(Policy.school_id == school.id, Policy.key == key))
    if policy is None:
        policy = Policy(
            school_id=school.id,
            key=key,
            title=title,
            kind="reading",
            approving_body="",
            reviewers=[],
            linked_policies=[],
        )
        session.add(policy)
        session.flush()
    for known in editions_of(session, school.id, key):
        if known.sha256 == digest:
            return Registered(known, already=True)
        if known.label == edition:
            raise EditionError(
                N_(
                    "%(file)s: edition '%(edition)s' is already registered for %(audience)s with a "
                    "different file; give this one another edition name"
                ),
                file=name,
                edition=edition,
                audience=audience,
            )
    policy.title = title
    version = new_version(session, policy, edition, name, data, in_force, edition_statement(title))
    audit.record(
        session,
        actor=actor,
        action="reading.edition.registered",
        object_type="policy_version",
        object_id=version.id,
        school_id=school.id,
        details={
            "campaign": req.id,
            "audience": audience,
            "edition": edition,
            "sha256": digest,
            "in_force": in_force.isoformat(),
        },
    )
    return Registered(version, already=False)


def _check_audience(req: RequirementConfig, audience: str, in_force: date) -> None:
    """EditionError unless the campaign has the audience, in editions in force from
    ``in_force``."""
    if audience not in req.audiences:
        raise EditionError(
            N_(
                "the campaign '%(campaign)s' has no audience '%(audience)s' (its audiences are: "
                "%(audiences)s)"
            ),
            campaign=req.id,
            audience=audience,
            audiences=", ".join(req.audiences),
        )
    ends = req.audiences[audience].until
    if ends is not None and in_force >= ends:
        raise EditionError(
            N_(
                "the campaign '%(campaign)s' has '%(audience)s' only in editions in force before "
                "%(until)s (the guidance has no such part from then): register this edition for "
                "another audience (%(audiences)s)"
            ),
            campaign=req.id,
            audience=audience,
            until=ends.isoformat(),
            audiences=", ".join(a for a, part in req.audiences.items() if part.until is None),
        )


def _edition_file(path: Path | None, document: tuple[str, bytes] | None) -> tuple[str, bytes]:
    """The edition's file as stored (its accepted name, its bytes): ``document``, else read
    from ``path``; EditionError when there is none, it cannot be read or is unsuitable."""
    if document is None:
        if path is None:
            raise EditionError(N_("give the edition's file"))
        try:
            document = (path.name, path.read_bytes())
        except OSError as exc:
            raise EditionError(
                N_("%(file)s: cannot read the file (%(why)s)"),
                file=str(path),
                why=str(exc.strerror or exc),
            ) from None
    given, data = document
    try:
        name = accepted_document(given, data)
    except ReviewError as exc:
        cause = exc.__cause__  # the upload check's own refusal, in the catalogue
        if isinstance(cause, SaidError) and cause.message.endswith("file for the policy"):
            raise EditionError(
                N_("%(file)s: use a .pdf, .docx, .odt, .md or .txt file for the edition"),
                **cause.values,
            ) from None
        english = str(exc).replace("for the policy", "for the edition")
        if not isinstance(cause, SaidError):
            raise EditionError(english) from None
        inner = cause.msg  # as str(): the policy check's, no stop
        raise EditionError(
            Said(lambda: english if spoken() == "en" else str(inner).removesuffix("."))
        ) from None
    return name, data


EDITION_HEADER = (
    "Name",
    "Email",
    "Reading",
    "Audience",
    "Edition",
    "In force from",
    "Document",
    "SHA-256",
    "First acknowledged",
    "Last acknowledged",
    "Times acknowledged",
)


def edition_acknowledgements(
    session: Session, school: SchoolConfig, tz: ZoneInfo
) -> list[tuple[str, ...]]:
    """One row per person and edition of every reading campaign, from the attestations (which
    are append-only: an edition read again next year adds a row there, and the dates here
    widen; nothing is overwritten). Ordered by reading, audience, edition, name."""
    titles = {r.id: r.display_title for r in school.requirements if r.kind == "reading_campaign"}
    found: dict[tuple[int, int], list[datetime]] = {}
    info: dict[tuple[int, int], tuple[str, ...]] = {}
    for person, version, key, at in session.execute(
        select(Person, PolicyVersion, Policy.key, Attestation.at)
        .join(Attestation, Attestation.person_id == Person.id)
        .join(PolicyVersion, PolicyVersion.id == Attestation.policy_version_id)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .where(
            Policy.school_id == school.id,
            Policy.kind == "reading",
            Attestation.kind == "acknowledgement",
        )
    ):
        campaign, _, audience = str(key).partition("/")
        slot = (person.id, version.id)
        found.setdefault(slot, []).append(at)
        info[slot] = (
            person.display_name,
            person.email,
            titles.get(campaign, campaign),
            audience,
            version.label,
            version.published_on.isoformat(),
            version.document_name,
            version.sha256,
        )
    rows = [
        (
            *info[slot],
            min(times).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            max(times).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            str(len(times)),
        )
        for slot, times in found.items()
    ]
    return sorted(rows, key=lambda r: (r[2], r[3], r[5], r[4], r[0], r[1]))
