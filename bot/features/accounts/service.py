"""The official accounts register: who holds which account and whether they have signed the AUP.

Accounts listed in ``school.yaml`` are managed there (the sweep keeps them in line); accounts
created in the web UI are managed in the web UI. Either way the custodian resolves handovers
here, and every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_
from bot.core.models import AccountHolder, Attestation, Duty, OfficialAccount, Person
from bot.engine import snapshot

__all__ = [
    "AccountError",
    "HolderState",
    "add_holder",
    "audit_account",
    "create_account",
    "holder_states",
    "holdings_of",
    "remove_holder",
    "resolve_handover",
]


class AccountError(SaidError, ValueError):
    """A change to the register that cannot be made; ``said(tr)`` says why, for the page."""


def audit_account(
    session: Session,
    account: OfficialAccount,
    action: str,
    actor: str,
    details: dict[str, int | str] | None = None,
) -> None:
    """One audited change of an account."""
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="official_account",
        object_id=account.id,
        school_id=account.school_id,
        details=details,
    )


@dataclass(frozen=True)
class HolderState:
    """One holder of one account and their AUP signature state."""

    person_id: int
    name: str
    email: str
    active: bool
    since: date
    state: str  # signed | waiting | overdue | no AUP set
    signed_on: date | None
    due_on: date | None


def holder_states(session: Session, account: OfficialAccount, today: date) -> list[HolderState]:
    """Current holders with their newest AUP duty for this account."""
    states = []
    for holding in sorted(
        (h for h in account.holders if h.until is None), key=lambda h: h.person.display_name
    ):
        duty = session.scalar(
            select(Duty)
            .where(
                Duty.account_id == account.id,
                Duty.person_id == holding.person_id,
                Duty.kind == "sign_aup",
                Duty.status.in_(["open", "done"]),
            )
            .order_by(Duty.id.desc())
        )
        signed_on: date | None = None
        if duty is None:
            state = "no AUP set" if account.aup_policy_id is None else "waiting"
        elif duty.status == "done":
            state = "signed"
            signed_at = session.scalar(
                select(Attestation.at)
                .where(
                    Attestation.person_id == holding.person_id,
                    Attestation.kind == "aup_signature",
                    Attestation.policy_version_id == duty.policy_version_id,
                )
                .order_by(Attestation.at.desc())
            )
            signed_on = signed_at.date() if signed_at else duty.closed_on
        else:
            state = "overdue" if duty.due_on < today else "waiting"
        person = holding.person
        states.append(
            HolderState(
                person.id,
                person.display_name,
                person.email,
                person.active,
                holding.since,
                state,
                signed_on,
                duty.due_on if duty is not None else None,
            )
        )
    return states


def holdings_of(session: Session, person_id: int) -> list[OfficialAccount]:
    """The accounts a person currently holds."""
    return list(
        session.scalars(
            select(OfficialAccount)
            .join(AccountHolder, AccountHolder.account_id == OfficialAccount.id)
            .where(AccountHolder.person_id == person_id, AccountHolder.until.is_(None))
            .order_by(OfficialAccount.name)
        )
    )


def create_account(session: Session, account: OfficialAccount, *, actor: str) -> None:
    """Add a web-managed account (its key must be new at its school)."""
    exists = session.scalar(
        select(OfficialAccount.id).where(
            OfficialAccount.school_id == account.school_id, OfficialAccount.key == account.key
        )
    )
    if exists is not None:
        raise AccountError(
            N_("An account with the short name '%(key)s' already exists."), key=account.key
        )
    session.add(account)
    session.flush()
    audit_account(session, account, "account.created", actor, {"platform": account.platform})


def add_holder(
    session: Session, account: OfficialAccount, person: Person, today: date, *, actor: str
) -> None:
    """Make ``person`` a holder from today; the next sweep asks them to sign the AUP."""
    if not person.active:
        raise AccountError(N_("%(name)s has left the school."), name=person.display_name)
    if any(h.person_id == person.id and h.until is None for h in account.holders):
        raise AccountError(N_("%(name)s already holds this account."), name=person.display_name)
    account.holders.append(
        AccountHolder(school_id=account.school_id, person_id=person.id, since=today)
    )
    audit_account(session, account, "account.holder.added", actor, {"person_id": person.id})
    session.flush()
    snapshot.refresh_audiences(session, account.school_id)  # a training may be for holders


def remove_holder(
    session: Session, account: OfficialAccount, person_id: int, today: date, *, actor: str
) -> None:
    """End a holding and flag the account for a handover (change the login)."""
    holding = next(
        (h for h in account.holders if h.person_id == person_id and h.until is None), None
    )
    if holding is None:
        raise AccountError(N_("That person does not hold this account."))
    holding.until = today
    account.flag_handover("stopped", today, person=holding.person.display_name)
    audit_account(session, account, "account.holder.removed", actor, {"person_id": person_id})
    session.flush()
    snapshot.refresh_audiences(session, account.school_id)  # a training may be for holders


def resolve_handover(session: Session, account: OfficialAccount, note: str, *, actor: str) -> None:
    """The custodian confirms the login was changed and the account handed over."""
    if not account.handover_needed:
        raise AccountError(N_("No handover is waiting for this account."))
    if len(note.strip()) < 5:
        raise AccountError(N_("Please say what was done (e.g. 'password changed, 2FA moved')."))
    account.handover_needed = False
    account.handover_reason = account.handover_kind = account.handover_values = None
    account.handover_since = None
    account.notes = ((account.notes or "") + f"\n{account.HANDOVER}: {note.strip()}").strip()
    audit_account(session, account, "account.handover.resolved", actor)
