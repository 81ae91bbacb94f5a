"""``audit verify``: the chain holds, and every sealed record is as it was recorded.

One streamed pass over the chain keeps, per sealed record, the sequence number and hash of its
latest seal (32 bytes and an int per record); one streamed pass per kind of record then compares
each stored row with its seal. A row changed, deleted or added outside the bot, a chain cut short
or emptied while records exist, or a chain that differs from a kept anchor is named in plain
words, first problem first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.anchor import Anchor
from bot.core.models import (
    AuditEvent,
    Person,
    Policy,
    PolicyVersion,
    Report,
    Requirement,
)
from bot.core.seals import BASELINE_ACTOR, KINDS, REMOVED, SEALED, Kind, field_digests, row_digest

__all__ = ["Verdict", "check"]

SHOWN = 10  # problems named in full; the rest are counted

_NOUNS = {
    "report": ("report", "reports"),
    "report_entry": ("chronology entry", "chronology entries"),
    "report_attachment": ("report file", "report files"),
    "attestation": ("acknowledgement or signature", "acknowledgements and signatures"),
    "training_record": ("training record", "training records"),
    "decision": ("decision", "decisions"),
    "decision_review": ("decision review", "decision reviews"),
    "decision_attachment": ("decision file", "decision files"),
    "policy_version": ("policy version", "policy versions"),
    "policy_review": ("policy review", "policy reviews"),
    "task_completion": ("task completion", "task completions"),
}
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


@dataclass
class Verdict:
    """What ``check`` found: counts, and the problems in plain words (first first)."""

    events: int = 0
    records: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    more: int = 0  # problems found beyond those named
    sealed_on_upgrade: datetime | None = None  # when records stored before sealing were sealed

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.problems

    def add(self, text: str) -> None:
        """Keep a problem (counted only, beyond the first ``SHOWN``)."""
        if len(self.problems) < SHOWN:
            self.problems.append(text)
        else:
            self.more += 1

    def records_line(self) -> str:
        """'3 reports, 1 chronology entry, ...' (kinds with none left out)."""
        parts = [
            f"{n} {_NOUNS[kind][0] if n == 1 else _NOUNS[kind][1]}"
            for kind, n in self.records.items()
            if n
        ]
        return ", ".join(parts) if parts else "no records"

    @property
    def record_count(self) -> int:
        """How many records were checked."""
        return sum(self.records.values())


@dataclass
class _Walk:
    """What the chain walk keeps: each sealed record's latest seal, and the anchor's entry."""

    anchor: Anchor | None
    seals: dict[tuple[str, int], tuple[int, str | None, tuple[str, ...]]] = field(
        default_factory=dict
    )
    shapes: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    anchor_hash: str | None = None
    upgrade_at: datetime | None = None

    def see(self, event: AuditEvent) -> None:
        """Called for every event whose link and hash held."""
        if self.anchor is not None and event.seq == self.anchor.count:
            self.anchor_hash = event.hash
        if event.action not in (SEALED, REMOVED) or event.object_id is None:
            return
        if not event.object_id.isdigit():
            return
        row = event.details.get("row") if event.action == SEALED else None
        names = tuple(sorted(event.details.get("fields") or ()))
        shape = self.shapes.setdefault(names, names)  # one tuple per set of columns
        self.seals[(event.object_type, int(event.object_id))] = (event.seq, row, shape)
        if event.actor == BASELINE_ACTOR and self.upgrade_at is None:
            self.upgrade_at = event.at


def _chain_problem(result: audit.VerifyResult) -> str:
    """The chain's first broken link in plain words."""
    seq = result.broken_seq
    if result.reason == "an event is missing":
        return f"Audit log entry #{seq} is missing: entries were deleted from the log."
    if result.reason == "previous-hash link does not match":
        return (
            f"Audit log entry #{seq} does not follow on from the entry before it (its link "
            "does not match): entries were deleted, inserted or reordered."
        )
    if result.reason == "event content does not match its hash":
        return (
            f"Audit log entry #{seq} was changed after it was written (its content does not "
            "match its hash)."
        )
    return (
        f"The audit log ends at entry #{result.checked}, but its head records more: the last "
        "entries were removed."
    )


def _anchor_problem(walk: _Walk, checked: int) -> str | None:
    """How the chain differs from the kept anchor, or None."""
    anchor = walk.anchor
    if anchor is None or anchor.count == 0:
        return None
    if checked < anchor.count:
        return (
            f"The audit log has {checked} entries, but {anchor.source} recorded "
            f"{anchor.count}: entries were removed, or the log was rebuilt."
        )
    if walk.anchor_hash != anchor.hash:
        return (
            f"Audit log entry #{anchor.count} differs from {anchor.source}: the log was "
            "rewritten after it."
        )
    return None


# --------------------------------------------------------------------------- naming records


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


def _name(session: Session, kind: Kind, ident: dict[str, Any], record_id: int) -> str:
    """The record in the school's words, e.g. 'Report CR-2026-0004'."""
    get = ident.get
    match kind.name:
        case "report":
            return f"Report {get('reference') or f'#{record_id}'}"
        case "report_entry":
            what = str(get("kind") or "note").replace("_", " ")
            return f"A chronology entry ({what}) on {_report_ref(session, get('report_id'))}"
        case "report_attachment":
            return f"A file attached to {_report_ref(session, get('report_id'))}"
        case "attestation":
            noun = "AUP signature" if get("kind") == "aup_signature" else "Acknowledgement"
            who = _email(session, get("person_id"))
            return f"{noun} by {who} for {_version(session, get('policy_version_id'))}"
        case "training_record":
            return f"Training record of {_email(session, get('person_id'))} ({get('course')})"
        case "decision":
            return f"Decision #{record_id} ({str(get('kind') or '').replace('_', ' ')})"
        case "decision_review":
            return f"A review of decision #{get('decision_id')}"
        case "decision_attachment":
            return f"A file kept with decision #{get('decision_id')}"
        case "policy_version":
            return f"Version {get('label')} of {_policy(session, get('policy_id'))}"
        case "policy_review":
            return f"The review of {_policy(session, get('policy_id'))} on {get('reviewed_on')}"
        case _:
            title = session.scalar(
                select(Requirement.title).where(Requirement.id == get("requirement_id"))
            )
            return (
                f"Task completion by {_email(session, get('person_id'))} for "
                f"{title or 'a task'} ({get('cycle')})"
            )


def _field_words(name: str) -> str:
    """A column name as words ('what_happened' → 'what happened', 'owner_id' → 'owner')."""
    return _FIELD_WORDS.get(name) or name.removesuffix("_id").replace("_", " ")


def _seal_event(session: Session, seq: int) -> AuditEvent | None:
    """The seal event with sequence number ``seq``."""
    return session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))


def _check_kind(session: Session, kind: Kind, walk: _Walk, verdict: Verdict) -> None:
    """Compare every stored row of ``kind`` with its latest seal (streamed, by id)."""
    seen = 0
    table = kind.table
    query = select(*table.columns).order_by(table.c.id).execution_options(yield_per=500)
    for result_row in session.execute(query):
        row = dict(result_row._mapping)
        seen += 1
        seal = walk.seals.pop((kind.name, int(row["id"])), None)
        if seal is None or seal[1] is None:
            if len(verdict.problems) < SHOWN:
                name = _name(session, kind, row, int(row["id"]))
                verdict.add(
                    f"{name} is not in the audit log: it was added directly to the database, "
                    "or the log was cut short."
                )
            else:
                verdict.more += 1
            continue
        seq, sealed_hash, fields = seal
        if row_digest(row, fields) == sealed_hash:
            continue
        if len(verdict.problems) >= SHOWN:
            verdict.more += 1
            continue
        event = _seal_event(session, seq)
        details = event.details if event else {}
        now = field_digests({k: row[k] for k in fields if k in row})
        sealed_fields = details.get("fields") or {}
        changed = [_field_words(k) for k in fields if now.get(k) != sealed_fields.get(k)]
        name = _name(session, kind, details.get("ident") or row, int(row["id"]))
        verdict.add(
            f"{name} was changed after it was recorded ({', '.join(changed) or 'its fields'})."
        )
    verdict.records[kind.name] = seen


def _check_missing(session: Session, walk: _Walk, verdict: Verdict) -> None:
    """Sealed records no longer stored (and not removed by the bot)."""
    by_name = {k.name: k for k in KINDS}
    for (kind_name, record_id), (seq, row, _) in sorted(
        walk.seals.items(), key=lambda item: item[1][0]
    ):
        kind = by_name.get(kind_name)
        if row is None or kind is None:
            continue
        if len(verdict.problems) >= SHOWN:
            verdict.more += 1
            continue
        event = _seal_event(session, seq)
        ident = (event.details.get("ident") if event else None) or {}
        verdict.add(
            f"{_name(session, kind, ident, record_id)} is missing: it was deleted from the "
            "database."
        )


def check(session: Session, anchor: Anchor | None = None) -> Verdict:
    """Verify the chain, then every sealed record against it (and the chain against ``anchor``)."""
    walk = _Walk(anchor)
    result = audit.verify(session, walk.see)
    verdict = Verdict(events=result.checked, sealed_on_upgrade=walk.upgrade_at)
    if not result.ok:
        verdict.add(_chain_problem(result))
        return verdict  # what follows a broken link cannot be trusted to name records
    problem = _anchor_problem(walk, result.checked)
    if problem:
        verdict.add(problem)
    for kind in KINDS:
        _check_kind(session, kind, walk, verdict)
    _check_missing(session, walk, verdict)
    return verdict
