"""``audit verify``: the chain holds, and every sealed record is as it was recorded.

One streamed pass over the chain keeps, per sealed record, the sequence number and hash of its
latest seal (32 bytes and an int per record); one streamed pass per kind of record then compares
each stored row with its seal. A row changed, deleted or added outside the bot, a chain cut short
or emptied while records exist, or a chain that differs from a kept anchor is named in plain
words, first problem first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.core import audit
from bot.core.audit.anchor import Anchor
from bot.core.audit.batches import BATCH_SEALED, BATCHES, Batch, batch_digest, field_digest
from bot.core.audit.files import check_contents
from bot.core.audit.queued import unsealed
from bot.core.audit.seals import (
    BASELINE_ACTOR,
    KINDS,
    REMOVED,
    SEALED,
    Kind,
    field_digests,
    row_digest,
)
from bot.core.i18n import N_, Joined, Lazy, Msg, nmsg
from bot.core.keys import Keyring
from bot.core.models import (
    AuditEvent,
    ConfigVersion,
    Person,
    Policy,
    PolicyVersion,
    Report,
    Requirement,
    School,
)
from bot.core.scheduler_health import beat_is_ours

__all__ = ["Verdict", "check", "rows_by_id"]

RecordId = int | str  # a record's id: a number, or a school's id from the settings


def _record_id(value: Any) -> RecordId:
    """A record's id as the walk keeps it: a number when it is one (a seal event keeps it as
    text), else the text (a school's id)."""
    text = str(value)
    return int(text) if text.isdigit() else text


SHOWN = 10  # problems named in full; the rest are counted

# each kind of record counted, in the reader's language (``Verdict.records_line``)
_NOUNS: dict[str, Callable[[int], Msg]] = {
    "report": lambda n: nmsg("%(count)d report", "%(count)d reports", n, count=n),
    "report_entry": lambda n: nmsg(
        "%(count)d chronology entry", "%(count)d chronology entries", n, count=n
    ),
    "report_attachment": lambda n: nmsg(
        "%(count)d report file", "%(count)d report files", n, count=n
    ),
    "attestation": lambda n: nmsg(
        "%(count)d acknowledgement or signature",
        "%(count)d acknowledgements and signatures",
        n,
        count=n,
    ),
    "training_record": lambda n: nmsg(
        "%(count)d training record", "%(count)d training records", n, count=n
    ),
    "decision": lambda n: nmsg("%(count)d decision", "%(count)d decisions", n, count=n),
    "decision_review": lambda n: nmsg(
        "%(count)d decision review", "%(count)d decision reviews", n, count=n
    ),
    "decision_attachment": lambda n: nmsg(
        "%(count)d decision file", "%(count)d decision files", n, count=n
    ),
    "policy_version": lambda n: nmsg(
        "%(count)d policy version", "%(count)d policy versions", n, count=n
    ),
    "policy_review": lambda n: nmsg(
        "%(count)d policy review", "%(count)d policy reviews", n, count=n
    ),
    "task_completion": lambda n: nmsg(
        "%(count)d task completion", "%(count)d task completions", n, count=n
    ),
    "school_lifecycle": lambda n: nmsg(
        "%(count)d school's sending state", "%(count)d schools' sending states", n, count=n
    ),
    "school": lambda n: nmsg("%(count)d school", "%(count)d schools", n, count=n),
    "school_settings": lambda n: nmsg(
        "%(count)d school's last good settings", "%(count)d schools' last good settings", n, count=n
    ),
    "person": lambda n: nmsg("%(count)d person", "%(count)d people", n, count=n),
    "person_role": lambda n: nmsg("%(count)d role", "%(count)d roles", n, count=n),
    "requirement": lambda n: nmsg("%(count)d requirement", "%(count)d requirements", n, count=n),
    "report_clock": lambda n: nmsg(
        "%(count)d report deadline", "%(count)d report deadlines", n, count=n
    ),
    "config_version": lambda n: nmsg(
        "%(count)d settings version", "%(count)d settings versions", n, count=n
    ),
    "scr_entry": lambda n: nmsg(
        "%(count)d single central record row", "%(count)d single central record rows", n, count=n
    ),
    "scr_check": lambda n: nmsg(
        "%(count)d vetting check", "%(count)d vetting checks", n, count=n
    ),
    "scr_gap": lambda n: nmsg(
        "%(count)d single central record gap", "%(count)d single central record gaps", n, count=n
    ),
    "setup_state": lambda n: nmsg(
        "%(count)d record of where the settings are kept",
        "%(count)d records of where the settings are kept",
        n,
    ),
    "person_language": lambda n: nmsg(
        "%(count)d person's own language", "%(count)d people's own languages", n, count=n
    ),
    "duty": lambda n: nmsg("%(count)d closed duty", "%(count)d closed duties", n, count=n),
    "sent_message": lambda n: nmsg("%(count)d sent message", "%(count)d sent messages", n, count=n),
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

    def records_line(self) -> Lazy:
        """'3 reports, 1 chronology entry, ...' (kinds with none left out), said where shown."""
        parts = [_NOUNS[kind](n) for kind, n in self.records.items() if n]
        return Joined(parts, ", ") if parts else Msg(N_("no records"))

    @property
    def record_count(self) -> int:
        """How many records were checked."""
        return sum(self.records.values())


@dataclass
class _Walk:
    """What the chain walk keeps: each sealed record's latest seal, and the anchor's entry."""

    anchor: Anchor | None
    keys: Keyring | None
    seals: dict[tuple[str, RecordId], tuple[int, str | None, tuple[str, ...], str | None]] = field(
        default_factory=dict
    )
    shapes: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    anchor_hash: str | None = None
    upgrade_at: datetime | None = None

    def see(self, event: AuditEvent) -> None:
        """Called for every event whose link and hash held."""
        if self.anchor is not None and event.seq == self.anchor.count:
            self.anchor_hash = event.hash
        if event.action == BATCH_SEALED:
            self._see_batch(event)
            return
        if event.action not in (SEALED, REMOVED) or not (oid := event.object_id or ""):
            return
        row = event.details.get("row") if event.action == SEALED else None
        names = tuple(sorted(event.details.get("fields") or ()))
        shape = self.shapes.setdefault(names, names)  # one tuple per set of columns
        self.seals[(event.object_type, _record_id(oid))] = (
            event.seq,
            row,
            shape,
            event.key_id,
        )
        if event.actor == BASELINE_ACTOR and self.upgrade_at is None:
            self.upgrade_at = event.at

    def _see_batch(self, event: AuditEvent) -> None:
        """A batch of rows of one kind sealed together (and the ids the bot deleted)."""
        names = tuple(event.details.get("columns") or ())
        shape = self.shapes.setdefault(names, names)
        kind, seq, kid = event.object_type, event.seq, event.key_id
        for row_id, digest in (event.details.get("rows") or {}).items():
            self.seals[(kind, int(row_id))] = (seq, digest, shape, kid)
        for row_id in event.details.get("removed") or ():
            self.seals[(kind, int(row_id))] = (seq, None, (), kid)


_KEY_PROBLEMS = {
    audit.UNKNOWN_KEY: (
        "Audit log entry #{seq} was made with the audit key {kid}, which this installation "
        "does not hold: put the earlier secret in the previous-audit-keys file (see the "
        "README) so the entries made with it can be checked."
    ),
    audit.BAD_HASH: (
        "Audit log entry #{seq} was changed after it was written, or was not written by the "
        "bot (its signature does not match the audit key)."
    ),
    audit.UNKEYED_AFTER: (
        "Audit log entry #{seq} is not signed with the audit key, though entries before it "
        "are: it was added or rewritten by someone without the key."
    ),
    audit.NOT_CARRIED: (
        "Audit log entry #{seq} is the first one signed with the audit key but does not vouch "
        "for the unsigned entries before it: the log was rebuilt."
    ),
    audit.NEVER_KEYED: (
        "No entry of the audit log is signed with the audit key: the log was replaced by "
        "someone without the key."
    ),
    audit.UNRECORDED_CHANGE: (
        "Audit log entry #{seq} was made with another audit key ({kid}) and no change of key "
        "was recorded before it: it was not written by this installation."
    ),
    audit.BAD_ENDORSEMENT: (
        "The change of audit key recorded at entry #{seq} is not vouched for by the previous "
        "key: it was not made by this installation."
    ),
    audit.BAD_HEAD: (
        "The audit log's head (its count of entries and last signature) does not match the "
        "audit key: it was changed by someone without the key, most likely to hide entries "
        "removed from the end."
    ),
}


def _chain_problem(result: audit.VerifyResult) -> str:
    """The chain's first broken link in plain words."""
    seq = result.broken_seq
    if result.reason in _KEY_PROBLEMS:
        return _KEY_PROBLEMS[result.reason].format(seq=seq, kid=result.key_id)
    if result.reason == "an event is missing":
        return f"Audit log entry #{seq} is missing: entries were deleted from the log."
    if result.reason == "previous-hash link does not match":
        return (
            f"Audit log entry #{seq} does not follow on from the entry before it (its link "
            "does not match): entries were deleted, inserted or reordered."
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


Ts = TypeVarTuple("Ts")


def rows_by_id(
    session: Session,
    query: Select[*Ts],
    ident: ColumnElement[Any] | InstrumentedAttribute[Any],
    size: int,
) -> Iterator[Row[*Ts]]:
    """The rows of ``query`` in order of ``ident``, read ``size`` at a time (after the last id
    read): memory held to one page, and one statement per page, so a table smaller than a
    page is one round trip. (A server-side cursor, ``yield_per``, took four on PostgreSQL:
    declare, fetch, fetch again to see the end, close.)"""
    page = query.order_by(ident).limit(size)
    rows = session.execute(page).all()
    while True:
        yield from rows
        if len(rows) < size:
            return
        rows = session.execute(page.where(ident > rows[-1]._mapping[ident])).all()


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


def _school(session: Session, school_id: Any) -> str:
    """A school's name as stored (else 'a school not yet stored')."""
    name = session.scalar(select(School.name).where(School.id == str(school_id)))
    return name or "a school not yet stored"


def _requirement(session: Session, requirement_id: Any) -> str | None:
    """A requirement's title (None when it has none, or is no longer stored)."""
    return session.scalar(select(Requirement.title).where(Requirement.id == requirement_id))


def _name(session: Session, kind: Kind, ident: dict[str, Any], record_id: RecordId) -> str:
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
        case "school_lifecycle":
            return f"Whether {_school(session, get('school_id'))} has started sending"
        case "school":  # named as stored (perhaps the changed name) and by its settings' id
            return f"The school {_school(session, record_id)} (id {record_id} in the settings)"
        case "school_settings":
            return f"The stored copy of {_school(session, get('school_id'))}'s last good settings"
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


def _field_words(name: str) -> str:
    """A column name as words ('what_happened' → 'what happened', 'owner_id' → 'owner')."""
    return _FIELD_WORDS.get(name) or name.removesuffix("_id").replace("_", " ")


def _seal_event(session: Session, seq: int) -> AuditEvent | None:
    """The seal event with sequence number ``seq``."""
    return session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))


def _key(keys: Keyring | None, kid: str | None) -> bytes | None:
    """The key a seal was made with (None: a seal from before the log was keyed)."""
    return None if kid is None or keys is None else keys.find(kid)


def _check_kind(session: Session, kind: Kind, walk: _Walk, verdict: Verdict) -> None:
    """Compare every stored row of ``kind`` with its latest seal (streamed, by id)."""
    seen = 0
    table = kind.table
    for result_row in rows_by_id(session, select(*table.columns), table.c.id, 500):
        row = dict(result_row._mapping)
        seen += 1
        seal = walk.seals.pop((kind.name, _record_id(row["id"])), None)
        if seal is None or seal[1] is None:
            if len(verdict.problems) < SHOWN:
                name = _name(session, kind, row, _record_id(row["id"]))
                verdict.add(
                    f"{name} is not in the audit log: it was added directly to the database, "
                    "or the log was cut short."
                )
            else:
                verdict.more += 1
            continue
        seq, sealed_hash, fields, kid = seal
        key = _key(walk.keys, kid)
        if row_digest(row, fields, key) == sealed_hash:
            continue
        if len(verdict.problems) >= SHOWN:
            verdict.more += 1
            continue
        event = _seal_event(session, seq)
        details = event.details if event else {}
        now = field_digests({k: row[k] for k in fields if k in row}, key)
        sealed_fields = details.get("fields") or {}
        changed = [_field_words(k) for k in fields if now.get(k) != sealed_fields.get(k)]
        name = _name(session, kind, details.get("ident") or row, _record_id(row["id"]))
        verdict.add(
            f"{name} was changed after it was recorded ({', '.join(changed) or 'its fields'})."
        )
    verdict.records[kind.name] = seen


def _check_missing(session: Session, walk: _Walk, verdict: Verdict) -> None:
    """Sealed records no longer stored (and not removed by the bot)."""
    by_name = {k.name: k for k in KINDS}
    batches = {b.name: b for b in BATCHES}
    for (kind_name, record_id), (seq, row, _, _) in sorted(
        walk.seals.items(), key=lambda item: item[1][0]
    ):
        kind = by_name.get(kind_name)
        if row is None or (kind is None and kind_name not in batches):
            continue
        if len(verdict.problems) >= SHOWN:
            verdict.more += 1
            continue
        event = _seal_event(session, seq)
        ident = (event.details.get("ident") if event else None) or {}
        if kind is None:  # a batch-sealed row: its ids are kept by row id
            batch = batches[kind_name]
            kept = ident.get(str(record_id)) or []
            name = _batch_name(
                session, batch, {"id": record_id, **dict(zip(batch.ident, kept, strict=False))}
            )
        else:
            name = _name(session, kind, ident, record_id)
        verdict.add(f"{name} is missing: it was deleted from the database.")


def check(
    session: Session, anchor: Anchor | None = None, uploads_dir: Path | None = None
) -> Verdict:
    """Verify the chain, then every sealed record against it (and the chain against
    ``anchor``), then the files the records name, re-hashed from ``uploads_dir``."""
    walk = _Walk(anchor, audit.keyring_of(session))
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
    for batch in BATCHES:
        _check_batch(session, batch, walk, verdict)
    _check_missing(session, walk, verdict)
    _check_queued(session, verdict)
    if not beat_is_ours(session.connection(), audit.keyring_of(session)):
        verdict.add(
            "The scheduler's last beat was written outside the bot (its seal does not match "
            "the audit key): it does not show that the bot's regular jobs run."
        )
    check_contents(session, uploads_dir, verdict.add)
    return verdict


_QUEUED_WORDS = {
    "recipients": "recipients",
    "body": "subject or body",
    "urgency": "urgency",
    "message": "school, channel or purpose",
}


def _check_queued(session: Session, verdict: Verdict) -> None:
    """Every message still waiting to be sent against the seal it was queued with."""
    for row_id, purpose, parts in unsealed(session):
        shown = str(purpose or "message").replace("_", " ")
        if parts == ["seal"]:
            verdict.add(
                f"Queued message #{row_id} ({shown}) has no seal this install made: "
                "it was written outside the bot. It will not be sent."
            )
            continue
        what = ", ".join(_QUEUED_WORDS[p] for p in parts)
        verdict.add(
            f"Queued message #{row_id} ({shown}) was changed after it was queued: "
            f"{what}. It will not be sent."
        )


# --------------------------------------------------------------------------- batch-sealed kinds

_CLOCKS = {"lado": "referral", "ico": "data breach 72-hour", "triage": "triage"}


def _batch_name(session: Session, batch: Batch, row: dict[str, Any]) -> str:
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


def _check_batch(session: Session, batch: Batch, walk: _Walk, verdict: Verdict) -> None:
    """Compare every stored row of ``batch`` with its latest seal; a row in a state that must
    be sealed (a duty done, a message sent) and has none was written outside the bot."""
    seen = 0
    table = batch.table
    cols = [table.c[c] for c in batch.columns]
    for result_row in rows_by_id(session, select(*cols), table.c.id, 2000):
        row = dict(result_row._mapping)
        seal = walk.seals.pop((batch.name, int(row["id"])), None)
        if seal is None or seal[1] is None:
            if not batch.sealed(row):
                continue  # e.g. an open duty, a queued message: not sealed until they change
            seen += 1
            verdict.add(
                f"{_batch_name(session, batch, row)} is not in the audit log: it was "
                "added or changed directly in the database."
            )
            continue
        seen += 1
        seq, sealed, columns, kid = seal
        key = _key(walk.keys, kid)
        if batch_digest(key, batch, row, columns) == sealed:
            continue
        changed = _batch_fields(session, batch, row, seq, key)
        verdict.add(
            f"{_batch_name(session, batch, row)} was changed after it was recorded"
            f"{f' ({changed})' if changed else ''}."
        )
    verdict.records[batch.name] = seen
    if batch.name == "config_version":
        _check_settings_fingerprints(session, verdict)


def _batch_fields(
    session: Session, batch: Batch, row: dict[str, Any], seq: int, key: bytes | None
) -> str:
    """The fields that changed, where the seal kept a digest of each (small tables)."""
    if not batch.fields:
        return ""
    event = _seal_event(session, seq)
    sealed = ((event.details.get("fields") if event else None) or {}).get(str(row["id"])) or {}
    return ", ".join(
        _field_words(c)
        for c in batch.columns
        if c in sealed and sealed[c] != field_digest(key, row[c])
    )


def _check_settings_fingerprints(session: Session, verdict: Verdict) -> None:
    """Each settings version's own fingerprint matches its document."""
    query = select(ConfigVersion.id, ConfigVersion.sha256, ConfigVersion.document)
    for version_id, sha, document in rows_by_id(session, query, ConfigVersion.id, 200):
        if hashlib.sha256(document.encode()).hexdigest() != sha:
            verdict.add(
                f"Settings version #{version_id} does not match its own fingerprint: "
                "its text was changed after it was saved."
            )
