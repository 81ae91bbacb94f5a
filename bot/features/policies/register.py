"""The policy register: each policy with its owner, review status, versions and reviews, and
the linked policies the register does not hold."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.core.models import Person, Policy, PolicyReview, PolicyVersion
from bot.features.policies.rules import LinkedGap, linked_policy_gaps, review_status

__all__ = ["RegisterRow", "policies_of", "register", "register_gaps"]


@dataclass(frozen=True)
class RegisterRow:
    """One policy as the register shows it."""

    policy: Policy
    owner_name: str | None
    status: str
    versions: tuple[PolicyVersion, ...]
    reviews: tuple[PolicyReview, ...] = field(default_factory=tuple)


def policies_of(school_id: str) -> Select[Policy]:
    """``select(Policy)`` of one school's policies (not its reading campaigns), by title."""
    return (
        select(Policy)
        .where(Policy.school_id == school_id, Policy.kind == "policy")
        .order_by(Policy.title)
    )


def register(
    session: Session, school_id: str, today: date, *, key: str | None = None
) -> list[RegisterRow]:
    """The school's policies (or the one with ``key``): owner, status, versions, reviews."""
    query = policies_of(school_id)
    if key is not None:
        query = query.where(Policy.key == key)
    policies = session.scalars(query).all()
    names = dict(
        session.execute(
            select(Person.id, Person.display_name).where(Person.school_id == school_id)
        ).all()
    )
    reviews: dict[int, list[PolicyReview]] = defaultdict(list)
    for review in session.scalars(
        select(PolicyReview)
        .where(
            PolicyReview.school_id == school_id,
            PolicyReview.policy_id.in_([p.id for p in policies]),
        )
        .order_by(PolicyReview.reviewed_on.desc(), PolicyReview.id.desc())
    ):
        reviews[review.policy_id].append(review)
    return [
        RegisterRow(
            policy=p,
            owner_name=names.get(p.owner_id) if p.owner_id else None,
            status=review_status(p, today),
            versions=tuple(p.versions),
            reviews=tuple(reviews[p.id]),
        )
        for p in policies
    ]


def register_gaps(
    session: Session, school_id: str, document: tuple[str, list[str]] | None = None
) -> list[LinkedGap]:
    """Gaps across the whole register (each policy's ``linked_policies``), or those of one
    ``document`` coming in: ``(its title, the policies it links to)``, itself held."""
    policies = session.scalars(
        select(Policy).where(Policy.school_id == school_id, Policy.kind == "policy")
    ).all()
    held = [p.title for p in policies] + [p.key.replace("-", " ") for p in policies]
    if document is not None:
        return linked_policy_gaps([*held, document[0]], [document])
    return linked_policy_gaps(held, [(p.title, list(p.linked_policies)) for p in policies])
