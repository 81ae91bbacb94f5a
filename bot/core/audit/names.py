"""How ``audit verify`` names what it finds: each sealed record, batch-sealed row and
changed field in the school's words ('Report CR-2026-0004', 'what happened'), looked up
where the record itself keeps only ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.audit.batches import Batch
from bot.core.audit.seals import Kind
from bot.core.models import Person, Policy, PolicyVersion, Report, Requirement, School

__all__ = ["RecordId", "batch_name", "field_words", "record_id", "record_name"]

RecordId = int | str  # a record's id: a number, or a school's id from the settings


def record_id(value: Any) -> RecordId:
    """A record's id as the walk keeps it: a number when it is one (a seal event keeps it as
    text), else the text (a school's id)."""
    text = str(value)
    return int(text) if text.isdigit() else text


_FIELD_WORDS = {
    "what_happened": "what happened",
    "about_headteacher": "about the headteacher",
    "occurred_at": "when it happened",
    "sha256": "file fingerprint",
    "document_sha256": "document fingerprint",
    "typed_name": "typed name",
    "suspected_illegal": "suspected illegal content",
    "involved": "who was involved",
}


def _email(session: Session, person_id: Any) -> str:
    """A person's email, or words saying they are gone."""
    email = session.scalar(select(Person.email).where(Person.id == person_id))
    return email or "someone no longer stored"


def _report_ref(session: Session, report_id: Any) -> str:
    """'report CR-2026-0004'."""
    ref = session.scalar(select(Report.reference).where(Report.id == report_id))
    return f"report {ref}" if ref else "a report no longer stored"


def _version(session: Session, version_id: Any) -> str:
    """'Online Safety version 2026.1'."""
    found = session.execute(
        select(Policy.title, PolicyVersion.label)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .where(PolicyVersion.id == version_id)
    ).first()
    return f"{found[0]} version {found[1]}" if found else "a policy version no longer stored"


def _policy(session: Session, policy_id: Any) -> str:
    """A policy's title."""
    return session.scalar(select(Policy.title).where(Policy.id == policy_id)) or "a policy"


def _school(session: Session, school_id: Any) -> str:
    """A school's name as stored (else 'a school not yet stored')."""
    name = session.scalar(select(School.name).where(School.id == str(school_id)))
    return name or "a school not yet stored"


def _requirement(session: Session, requirement_id: Any) -> str | None:
    """A requirement's title (None when it has none, or is no longer stored)."""
    return session.scalar(select(Requirement.title).where(Requirement.id == requirement_id))


def record_name(session: Session, kind: Kind, ident: dict[str, Any], record_id: RecordId) -> str:
    """The record in the school's words, e.g. 'Report CR-2026-0004'."""
    get = ident.get
    match kind.name:
        case "report" | "report_entry" | "report_attachment":
            return _report_name(session, kind.name, get, record_id)
        case "attestation":
            noun = "AUP signature" if get("kind") == "aup_signature" else "Acknowledgement"
            who = _email(session, get("person_id"))
            return f"{noun} by {who} for {_version(session, get('policy_version_id'))}"
        case "training_record":
            return f"Training record of {_email(session, get('person_id'))} ({get('course')})"
        case "decision" | "decision_review" | "decision_attachment":
            return _decision_name(kind.name, get, record_id)
        case "policy_version":
            return f"Version {get('label')} of {_policy(session, get('policy_id'))}"
        case "policy_review":
            return f"The review of {_policy(session, get('policy_id'))} on {get('reviewed_on')}"
        case "school_lifecycle" | "school" | "school_settings":
            return _school_name(session, kind.name, get, record_id)
        case "scr_entry" | "scr_check" | "scr_gap":
            return _scr_name(session, kind.name, get)
        case "setup_state":
            return "The record of where the settings are kept (school.yaml or the pages)"
        case _:
            title = _requirement(session, get("requirement_id"))
            return (
                f"Task completion by {_email(session, get('person_id'))} for "
                f"{title or 'a task'} ({get('cycle')})"
            )


def _report_name(
    session: Session, kind: str, get: Callable[[str], Any], record_id: RecordId
) -> str:
    """A report, an entry in its chronology or a file attached to it."""
    if kind == "report":
        return f"Report {get('reference') or f'#{record_id}'}"
    if kind == "report_entry":
        what = str(get("kind") or "note").replace("_", " ")
        return f"A chronology entry ({what}) on {_report_ref(session, get('report_id'))}"
    return f"A file attached to {_report_ref(session, get('report_id'))}"


def _decision_name(kind: str, get: Callable[[str], Any], record_id: RecordId) -> str:
    """A decision, a review of it or a file kept with it."""
    if kind == "decision":
        return f"Decision #{record_id} ({str(get('kind') or '').replace('_', ' ')})"
    if kind == "decision_review":
        return f"A review of decision #{get('decision_id')}"
    return f"A file kept with decision #{get('decision_id')}"


def _school_name(
    session: Session, kind: str, get: Callable[[str], Any], record_id: RecordId
) -> str:
    """A school (named as stored, perhaps the changed name, and by its settings' id), its
    sending state or its last good settings."""
    if kind == "school_lifecycle":
        return f"Whether {_school(session, get('school_id'))} has started sending"
    if kind == "school":
        return f"The school {_school(session, record_id)} (id {record_id} in the settings)"
    return f"The stored copy of {_school(session, get('school_id'))}'s last good settings"


def _scr_name(session: Session, kind: str, get: Callable[[str], Any]) -> str:
    """A single central record's row, check or gap in the school's words."""
    who = _email(session, pid) if (pid := get("person_id")) else None
    if kind == "scr_entry":
        who = who or "a person not matched"
        return f"The single central record row of {who} (row {get('line')})"
    if kind == "scr_check":
        return f"The {get('check')} check of single central record row #{get('entry_id')}"
    what = str(get("kind") or "gap").replace("_", " ")
    return f"The single central record gap ({what}) about {who or 'the school'}"


def field_words(name: str) -> str:
    """A column name as words ('what_happened' → 'what happened', 'owner_id' → 'owner')."""
    return _FIELD_WORDS.get(name) or name.removesuffix("_id").replace("_", " ")


_CLOCKS = {"lado": "referral", "ico": "data breach 72-hour", "triage": "triage"}


def batch_name(session: Session, batch: Batch, row: dict[str, Any]) -> str:
    """A batch-sealed record in the school's words (ids only where nothing better is stored)."""
    get = row.get
    match batch.name:
        case "person":
            email = session.scalar(select(Person.email).where(Person.id == get("id")))
            return f"The record of person #{get('id')}" + (f" ({email} now)" if email else "")
        case "person_role":
            role = str(get("role") or "a role").replace("_", " ")
            return f"The role {role} of {_email(session, get('person_id'))}"
        case "requirement":
            title = get("title") or _requirement(session, get("id"))
            shown = title or f"#{get('id')}"
            return f'The requirement "{shown}"'
        case "report_clock":
            what = _CLOCKS.get(str(get("kind")), str(get("kind") or "a"))
            return f"The {what} deadline of {_report_ref(session, get('report_id'))}"
        case "config_version":
            return f"Settings version #{get('id')}"
        case "person_language":
            return f"The language of {_email(session, get('id'))}"
        case "duty":
            title = _requirement(session, get("requirement_id"))
            return (
                f"The duty of {_email(session, get('person_id'))} for "
                f"{title or 'a requirement'} ({get('cycle')})"
            )
        case _:
            purpose = str(get("purpose") or "message").replace("_", " ")
            return f"Outgoing message #{get('id')} ({purpose})"
