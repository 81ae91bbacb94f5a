"""Storing an imported policy document: create or update its register entry and version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.days.dates import HAPPENED, REVIEW
from bot.core.files.uploads import AttachmentError, check_policy_document
from bot.core.language.i18n import N_, Msg, Said, nmsg
from bot.core.models import Person, Policy, PolicyVersion
from bot.engine.config_sync import default_statement
from bot.features.policies.attest import normalise_name
from bot.features.policies.rules import ReviewError, normalise_title, policy_key

if TYPE_CHECKING:
    from bot.features.policies.importer import ImportedPolicy
    from bot.features.policies.intake import Dates, Intake

__all__ = ["StoredPolicy", "accepted_document", "new_version", "store_imported"]


def accepted_document(name: str, data: bytes) -> str:
    """The base name of a document fit to keep as a policy version, which staff will open, as
    ``check_policy_document`` judges it (the same check on every route a document comes in by:
    a ".pdf" that is something else, text that is not text, a PDF that expands or loops, a Word
    zip bomb). ReviewError naming the file otherwise."""
    try:
        return check_policy_document(name, data)
    except AttachmentError as exc:  # kept as its cause: a page says it in its language
        msg = exc.msg
        raise ReviewError(Said(lambda: str(msg).removesuffix("."))) from exc


@dataclass(frozen=True)
class StoredPolicy:
    """What storing an import did."""

    key: str
    next_review_due: date  # as stored (a later recorded date is kept)
    version: str | None  # the new version's label; None when the document was already stored
    existing_version: str | None  # the label already holding this document
    notes: tuple[Msg, ...]  # said where shown (English in the JSON)


# a document's date not stored because the register holds a later one
_KEPT = {
    "last_reviewed": N_(
        "kept the stored last reviewed %(stored)s (later than the document's %(value)s)"
    ),
    "ratified_on": N_(
        "kept the stored ratified on %(stored)s (later than the document's %(value)s)"
    ),
    "next_review_due": N_(
        "kept the stored next review due %(stored)s (later than the document's %(value)s)"
    ),
}


def _find_or_create(session: Session, school_id: str, title: str) -> tuple[Policy, bool]:
    """The policy with this title's key or significant words, or a new one (and whether new)."""
    policies = session.scalars(
        select(Policy).where(Policy.school_id == school_id, Policy.kind == "policy")
    ).all()
    key = policy_key(title)
    wanted = normalise_title(title)
    policy = next((p for p in policies if p.key == key), None) or next(
        (p for p in policies if normalise_title(p.title) == wanted), None
    )
    if policy is not None:
        return policy, False
    policy = Policy(school_id=school_id, key=key, title=title.strip()[:300])
    policy.reviewers, policy.linked_policies = [], []
    session.add(policy)
    session.flush()
    return policy, True


def _apply_dates(policy: Policy, dates: Dates, derived: bool, notes: list[Msg]) -> None:
    """Set the document's review dates, never moving a stored date backwards; ``notes`` say so
    (``derived``: the next review was worked out, ratified + cycle, not stated)."""
    for attr, value in (
        ("last_reviewed", dates.last_reviewed),
        ("ratified_on", dates.ratified),
        ("next_review_due", dates.next_review),
    ):
        stored: date | None = getattr(policy, attr)
        if value is None:
            continue
        if stored is not None and stored > value:
            notes.append(Msg(_KEPT[attr], stored=stored.isoformat(), value=value.isoformat()))
            continue
        setattr(policy, attr, value)
        if attr == "next_review_due":
            policy.next_review_derived = derived


def _match_people(
    session: Session, school_id: str, policy: Policy, imported: ImportedPolicy, notes: list[Msg]
) -> None:
    """Owner and reviewers from the people the document names (its first DSL found becomes
    the owner; named governors are matched to reviewers' emails); notes count those not
    found."""
    lead_names = [str(i.value) for i in imported.dsl]
    governor_names = [str(i.value) for i in imported.named_governors]
    people = session.execute(
        select(Person.id, Person.email, Person.display_name).where(
            Person.school_id == school_id, Person.active.is_(True)
        )
    ).all()
    by_name = {normalise_name(display): (pid, email) for pid, email, display in people}
    leads = [by_name[n] for n in map(normalise_name, lead_names) if n in by_name]
    if leads:
        policy.owner_id = leads[0][0]
    elif lead_names:
        notes.append(
            nmsg(
                "%(num)d named lead not found in the directory",
                "%(num)d named leads not found in the directory",
                len(lead_names),
            )
        )
    matched = [by_name[n][1] for n in map(normalise_name, governor_names) if n in by_name]
    if matched:
        policy.reviewers = sorted(set(policy.reviewers) | set(matched))
    unmatched = len(governor_names) - len(matched)
    if unmatched:
        notes.append(
            nmsg(
                "%(num)d named reviewer not found in the directory",
                "%(num)d named reviewers not found in the directory",
                unmatched,
            )
        )


def new_version(
    session: Session,
    policy: Policy,
    label: str,
    name: str,
    data: bytes,
    today: date,
    statement: str | None = None,
) -> PolicyVersion:
    """Publish the document as a new version of the policy from ``today`` (what a person agrees
    to: ``statement``, else the policy's usual one)."""
    version = PolicyVersion(
        school_id=policy.school_id,
        policy_id=policy.id,
        label=label,
        document_name=name,
        document=data,
        sha256=hashlib.sha256(data).hexdigest(),
        published_on=today,
        statement=statement or default_statement(policy.title, label),
    )
    session.add(version)
    session.flush()
    return version


def _check_windows(dates: Dates, today: date) -> None:
    """Refuse a document's date outside its window (``bot.core.days.dates``), naming it."""
    for window, day, label in (
        (REVIEW, dates.next_review, N_("next review date")),
        (HAPPENED, dates.last_reviewed, N_("last reviewed")),
        (HAPPENED, dates.ratified, N_("ratified")),
    ):
        problem = window.problem(day, today) if day is not None else None
        if problem is not None:
            raise ReviewError(Msg(N_("%(field)s: %(problem)s"), field=Msg(label), problem=problem))


def store_imported(
    session: Session,
    school_id: str,
    item: Intake,
    dates: Dates,
    *,
    governing_body: str,
    version_label: str | None,
    data: bytes,
    actor: str,
    today: date,
) -> StoredPolicy:
    """Create or update the policy an imported document describes, and its version (call once
    every question is answered; ``dates``: the document's, as stored).

    The policy is found by key or by the same significant title words. Review dates from the
    document never move stored dates backwards (a later recorded review wins). People named in
    the document are matched to the directory by name; unmatched ones are reported in notes.
    An approving body left blank is the nation's ``governing_body``; ``version_label`` is what
    staff see, as the school chose it (typed), where the document states no version; the
    notes are said where shown.
    """
    imported = item.imported
    assert imported is not None and dates.next_review is not None
    name = accepted_document(item.path.name, data)
    _check_windows(dates, today)
    policy, created = _find_or_create(session, school_id, item.title)
    body = str(item.values["approving_body"] or "").strip() or governing_body
    policy.approving_body = body.strip()[:120] or "FGB"
    cycle = imported.review_cycle_months
    policy.review_cycle_months = int(cycle.value) if cycle else 12
    stated = imported.next_review
    derived = "next_review" not in item.supplied and stated is not None and stated.how == "derived"
    notes: list[Msg] = []
    _apply_dates(policy, dates, derived, notes)
    if imported.linked_policies:
        policy.linked_policies = list(dict.fromkeys(str(i.value) for i in imported.linked_policies))
    _match_people(session, school_id, policy, imported, notes)
    digest = hashlib.sha256(data).hexdigest()
    existing = next((v for v in policy.versions if v.sha256 == digest), None)
    label: str | None = None
    if existing is None:
        taken = {v.label for v in policy.versions}
        label = item.version_label(dates, today, taken=taken, chosen=version_label)
        new_version(session, policy, label, name, data, today)
        session.refresh(policy)
    assert policy.next_review_due is not None  # the document's, or a later one kept
    audit.record(
        session,
        actor=actor,
        action="policy.imported",
        object_type="policy",
        object_id=policy.id,
        school_id=school_id,
        details={
            "created": created,
            "document": name,
            "sha256": digest,
            "version": label or (existing.label if existing else None),
            "next_review_due": policy.next_review_due.isoformat(),
            "next_review_derived": policy.next_review_derived,
        },
    )
    return StoredPolicy(
        key=policy.key,
        next_review_due=policy.next_review_due,
        version=label,
        existing_version=existing.label if existing else None,
        notes=tuple(notes),
    )
