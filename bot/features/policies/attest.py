"""Recording evidence: acknowledgements and AUP signatures (append-only, audited)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.days.clock import local_today
from bot.core.language.i18n import say
from bot.core.language.words import version_name
from bot.core.models import AccountHolder, Attestation, Duty, Person, PolicyVersion
from bot.engine import duty_status
from bot.features.policies.proof import ProofNeededError, progress, proof_for

__all__ = [
    "AUP_CONSENT",
    "Recorded",
    "acknowledge",
    "aup_consent",
    "names_match",
    "normalise_name",
    "sign_aup",
]

AUP_CONSENT = (
    "I have read the {title} ({version}). I agree to follow it whenever I use the "
    "school's official accounts, and I understand that breaking it may lead to disciplinary action."
)


def aup_consent(title: str, label: str) -> str:
    """The sentence a person signs an AUP with, said now in the active language (what is
    stored is what they read; English: ``AUP_CONSENT`` word for word)."""
    return say(
        "I have read the %(title)s (%(version)s). I agree to follow it whenever I use the school's "
        "official accounts, and I understand that breaking it may lead to disciplinary action.",
        title=title,
        version=version_name(label),
    )


@dataclass(frozen=True)
class Recorded:
    """The outcome of a confirm button: a new attestation, or 'already done'."""

    attestation: Attestation | None
    already: bool
    closed_duties: int


def normalise_name(name: str) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive form of a name."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z]+", " ", letters.lower()).strip()


def names_match(typed: str, directory_name: str) -> bool:
    """True when the typed name is the directory name, ignoring case, spacing and accents."""
    return bool(normalise_name(typed)) and normalise_name(typed) == normalise_name(directory_name)


def acknowledge(
    session: Session,
    person: Person,
    duty: Duty,
    version: PolicyVersion,
    *,
    method: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
    on_behalf: tuple[Person, str] | None = None,
) -> Recorded:
    """Record one acknowledgement for the duty's version (a repeat is 'already done').
    ``on_behalf`` is (who records it, the third-person statement) for someone without an
    email address (``bot.engine.web.on_behalf``): the record keeps both and the audit names
    the recorder.

    Raises:
        ProofNeededError: the school asks for proof of reading and a page (or the check) is
            still to do; nothing is recorded.
    """
    if duty.status != "open":
        return Recorded(None, True, 0)
    pages: tuple[int | None, int | None] = (None, None)
    if (proof := proof_for(duty)) is not None:
        read = progress(session, duty, version, proof)
        if (missing := read.missing()) is not None:
            raise ProofNeededError(missing)
        pages = (len(read.seen), read.total) if proof.every_page else (None, None)
    previous = session.scalar(
        select(Attestation)
        .where(
            Attestation.person_id == person.id,
            Attestation.policy_version_id == version.id,
            Attestation.kind == "acknowledgement",
        )
        .order_by(Attestation.id.desc())
    )
    if previous is not None and duty.opened_on <= local_today(previous.at):
        closed = duty_status.close_done(session, [duty], f"ack:{previous.id}", local_today(now))
        return Recorded(None, True, closed)
    details: dict[str, object] = {"duty": duty.id, "method": method}
    if on_behalf is not None:
        details["recorded_by"] = on_behalf[0].id
    return _attest(
        session,
        person,
        version,
        [duty],
        "ack",
        details,
        kind="acknowledgement",
        statement=on_behalf[1] if on_behalf is not None else version.statement,
        duty_id=duty.id,
        pages_seen=pages[0],
        pages_total=pages[1],
        method=method,
        ip=ip,
        user_agent=user_agent,
        now=now,
        actor=on_behalf[0].email if on_behalf is not None else person.email,
        recorded_by_id=on_behalf[0].id if on_behalf is not None else None,
    )


def sign_aup(
    session: Session,
    person: Person,
    version: PolicyVersion,
    title: str,
    typed_name: str,
    *,
    method: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> Recorded:
    """Record an AUP signature (the consent as the person read it, in the active language) and
    close every open AUP duty it satisfies."""
    duties = list(
        session.scalars(
            select(Duty).where(
                Duty.person_id == person.id,
                Duty.kind == "sign_aup",
                Duty.status == "open",
                Duty.policy_version_id == version.id,
            )
        )
    )
    if not duties:
        return Recorded(None, True, 0)
    today = local_today(now)
    held = {
        h.account_id: h.since
        for h in session.scalars(
            select(AccountHolder).where(
                AccountHolder.person_id == person.id, AccountHolder.until.is_(None)
            )
        )
    }
    satisfied = [
        d for d in duties if d.account_id is None or held.get(d.account_id, today) <= today
    ]
    return _attest(
        session,
        person,
        version,
        satisfied,
        "aup",
        None,
        kind="aup_signature",
        statement=aup_consent(title, version.label),
        typed_name=typed_name.strip()[:200],
        duty_id=duties[0].id,
        method=method,
        ip=ip,
        user_agent=user_agent,
        now=now,
    )


def _attest(
    session: Session,
    person: Person,
    version: PolicyVersion,
    closing: list[Duty],
    prefix: str,
    details: dict[str, object] | None,
    *,
    user_agent: str | None,
    now: datetime,
    actor: str | None = None,
    **fields: object,
) -> Recorded:
    """Add one attestation, close the duties it satisfies (``closing``) and audit it; the audit
    names ``details``, or without them how many duties closed."""
    attestation = Attestation(
        school_id=person.school_id,
        person_id=person.id,
        policy_version_id=version.id,
        document_sha256=version.sha256,
        at=now,
        user_agent=(user_agent or "")[:400],
        **fields,
    )
    session.add(attestation)
    session.flush()
    closed = duty_status.close_done(
        session, closing, f"{prefix}:{attestation.id}", local_today(now)
    )
    audit.record(
        session,
        actor=actor or person.email,
        action="policy.acknowledged" if prefix == "ack" else "aup.signed",
        object_type="policy_version",
        object_id=version.id,
        school_id=person.school_id,
        details={"attestation": attestation.id, **(details or {"duties_closed": closed})},
    )
    return Recorded(attestation, False, closed)
