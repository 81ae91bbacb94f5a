"""``audit verify``: the chain holds, and every sealed record is as it was recorded.

One streamed pass over the chain keeps, per sealed record, the sequence number and hash of its
latest seal (32 bytes and an int per record); one streamed pass per kind of record then compares
each stored row with its seal. A row changed, deleted or added outside the bot, a chain cut short
or emptied while records exist, or a chain that differs from a kept anchor is named in plain
words, first problem first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
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
from bot.core.audit.names import RecordId, batch_name, field_words, record_id, record_name
from bot.core.audit.queued import unsealed
from bot.core.audit.redact import DISPOSED
from bot.core.audit.seals import (
    BASELINE_ACTOR,
    KINDS,
    REMOVED,
    SEALED,
    Kind,
    field_digests,
    row_digest,
)
from bot.core.deployment.scheduler_health import beat_is_ours
from bot.core.guards.keys import Keyring
from bot.core.language.i18n import N_, Joined, Lazy, Msg, N_plural, nmsg
from bot.core.models import AuditEvent, ConfigVersion

__all__ = ["Verdict", "check", "rows_by_id"]

SHOWN = 10  # problems named in full; the rest are counted

# each kind of record counted, in the reader's language (``Verdict.records_line``)
_NOUNS: dict[str, tuple[str, str]] = {
    "report": N_plural("%(count)d report", "%(count)d reports"),
    "report_entry": N_plural("%(count)d chronology entry", "%(count)d chronology entries"),
    "report_attachment": N_plural("%(count)d report file", "%(count)d report files"),
    "attestation": N_plural(
        "%(count)d acknowledgement or signature", "%(count)d acknowledgements and signatures"
    ),
    "training_record": N_plural("%(count)d training record", "%(count)d training records"),
    "decision": N_plural("%(count)d decision", "%(count)d decisions"),
    "decision_review": N_plural("%(count)d decision review", "%(count)d decision reviews"),
    "decision_attachment": N_plural("%(count)d decision file", "%(count)d decision files"),
    "policy_version": N_plural("%(count)d policy version", "%(count)d policy versions"),
    "policy_review": N_plural("%(count)d policy review", "%(count)d policy reviews"),
    "task_completion": N_plural("%(count)d task completion", "%(count)d task completions"),
    "school_lifecycle": N_plural(
        "%(count)d school's sending state", "%(count)d schools' sending states"
    ),
    "school": N_plural("%(count)d school", "%(count)d schools"),
    "school_settings": N_plural(
        "%(count)d school's last good settings", "%(count)d schools' last good settings"
    ),
    "person": N_plural("%(count)d person", "%(count)d people"),
    "person_role": N_plural("%(count)d role", "%(count)d roles"),
    "requirement": N_plural("%(count)d requirement", "%(count)d requirements"),
    "report_clock": N_plural("%(count)d report deadline", "%(count)d report deadlines"),
    "config_version": N_plural("%(count)d settings version", "%(count)d settings versions"),
    "scr_entry": N_plural(
        "%(count)d single central record row", "%(count)d single central record rows"
    ),
    "scr_check": N_plural("%(count)d vetting check", "%(count)d vetting checks"),
    "scr_gap": N_plural(
        "%(count)d single central record gap", "%(count)d single central record gaps"
    ),
    "setup_state": N_plural(
        "%(count)d record of where the settings are kept",
        "%(count)d records of where the settings are kept",
    ),
    "person_language": N_plural(
        "%(count)d person's own language", "%(count)d people's own languages"
    ),
    "duty": N_plural("%(count)d closed duty", "%(count)d closed duties"),
    "sent_message": N_plural("%(count)d sent message", "%(count)d sent messages"),
}


@dataclass
class Verdict:
    """What ``check`` found: counts, and the problems in plain words (first first)."""

    events: int = 0
    records: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    more: int = 0  # problems found beyond those named
    sealed_on_upgrade: datetime | None = None  # when records stored before sealing were sealed
    # what the retention schedule disposed of (people, reports, audit entries redacted: counts)
    # and when it last did
    disposed: dict[str, int] = field(default_factory=dict)
    disposed_last: datetime | None = None

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
        parts = [nmsg(*_NOUNS[kind], n) for kind, n in self.records.items() if n]
        return Joined(parts, ", ") if parts else Msg(N_("no records"))

    @property
    def record_count(self) -> int:
        """How many records were checked."""
        return sum(self.records.values())


_Seal = tuple[int, str | None, tuple[str, ...], str | None]  # a row's latest seal: seq, digest,
# the fields it covers, the key's id


@dataclass
class _Walk:
    """What the chain walk keeps: each sealed record's latest seal, and the anchor's entry."""

    anchor: Anchor | None
    keys: Keyring | None
    seals: dict[tuple[str, RecordId], _Seal] = field(default_factory=dict)
    shapes: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    anchor_hash: str | None = None
    upgrade_at: datetime | None = None
    disposed: dict[str, int] = field(default_factory=dict)
    disposed_last: datetime | None = None

    def see(self, event: AuditEvent) -> None:
        """Called for every event whose link and hash held."""
        if self.anchor is not None and event.seq == self.anchor.count:
            self.anchor_hash = event.hash
        if event.action == DISPOSED:
            for name in ("people", "reports", "audit_events"):
                self.disposed[name] = self.disposed.get(name, 0) + int(event.details.get(name, 0))
            self.disposed_last = event.at
        if event.action == BATCH_SEALED:
            self._see_batch(event)
            return
        if event.action not in (SEALED, REMOVED) or not (oid := event.object_id or ""):
            return
        row = event.details.get("row") if event.action == SEALED else None
        names = tuple(sorted(event.details.get("fields") or ()))
        shape = self.shapes.setdefault(names, names)  # one tuple per set of columns
        self.seals[(event.object_type, record_id(oid))] = (event.seq, row, shape, event.key_id)
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


def _seal_details(session: Session, seq: int) -> dict[str, Any]:
    """What the seal event with sequence number ``seq`` carries (empty: no such event)."""
    details = session.scalar(select(AuditEvent.details).where(AuditEvent.seq == seq))
    return details or {}


def _key(keys: Keyring | None, kid: str | None) -> bytes | None:
    """The key a seal was made with (None: a seal from before the log was keyed)."""
    return None if kid is None or keys is None else keys.find(kid)


def _check_stored(session: Session, kind: Kind | Batch, walk: _Walk, verdict: Verdict) -> None:
    """Compare every stored row of ``kind`` with its latest seal (streamed, by id); a row of a
    batch-sealed kind in a state that must be sealed (a duty done, a message sent) and has none
    was written outside the bot. Beyond ``SHOWN`` problems none is named (naming reads more)."""
    batch = kind if isinstance(kind, Batch) else None
    table = kind.table
    cols = list(table.columns) if batch is None else [table.c[c] for c in batch.columns]
    seen = 0
    for result_row in rows_by_id(session, select(*cols), table.c.id, 2000 if batch else 500):
        row = dict(result_row._mapping)
        seal = walk.seals.pop((kind.name, record_id(row["id"])), None)
        if seal is None or seal[1] is None:
            if batch is not None and not batch.sealed(row):
                continue  # e.g. an open duty, a queued message: not sealed until they change
            seal = None
        seen += 1
        if seal is not None:
            key = _key(walk.keys, seal[3])
            digest = (
                batch_digest(key, batch, row, seal[2]) if batch else row_digest(row, seal[2], key)
            )
            if digest == seal[1]:
                continue
        if len(verdict.problems) >= SHOWN:
            verdict.more += 1
        elif seal is None:
            verdict.add(_unsealed(session, kind, row))
        else:
            verdict.add(_changed(session, kind, row, seal, key))
    verdict.records[kind.name] = seen
    if kind.name == "config_version":
        _check_settings_fingerprints(session, verdict)


def _unsealed(session: Session, kind: Kind | Batch, row: dict[str, Any]) -> str:
    """A stored row with no seal, in plain words."""
    if isinstance(kind, Batch):
        return (
            f"{batch_name(session, kind, row)} is not in the audit log: it was "
            "added or changed directly in the database."
        )
    return (
        f"{record_name(session, kind, row, record_id(row['id']))} is not in the audit log: it "
        "was added directly to the database, or the log was cut short."
    )


def _changed(
    session: Session, kind: Kind | Batch, row: dict[str, Any], seal: _Seal, key: bytes | None
) -> str:
    """A stored row that differs from its seal, with the fields that changed where the seal
    kept a digest of each (of a batch-sealed kind: small tables only)."""
    details = _seal_details(session, seal[0]) if isinstance(kind, Kind) or kind.fields else {}
    if isinstance(kind, Kind):
        sealed, fields = details.get("fields") or {}, seal[2]
        now = field_digests({k: row[k] for k in fields if k in row}, key)
        changed = ", ".join(field_words(k) for k in fields if now.get(k) != sealed.get(k))
        name = record_name(session, kind, details.get("ident") or row, record_id(row["id"]))
        return f"{name} was changed after it was recorded ({changed or 'its fields'})."
    sealed = (details.get("fields") or {}).get(str(row["id"])) or {}
    changed = ", ".join(
        field_words(c)
        for c in kind.columns
        if c in sealed and sealed[c] != field_digest(key, row[c])
    )
    return (
        f"{batch_name(session, kind, row)} was changed after it was recorded"
        f"{f' ({changed})' if changed else ''}."
    )


def _check_missing(session: Session, walk: _Walk, verdict: Verdict) -> None:
    """Sealed records no longer stored (and not removed by the bot)."""
    by_name = {k.name: k for k in KINDS}
    batches = {b.name: b for b in BATCHES}
    for (kind_name, sealed_id), (seq, row, _, _) in sorted(
        walk.seals.items(), key=lambda item: item[1][0]
    ):
        kind = by_name.get(kind_name)
        if row is None or (kind is None and kind_name not in batches):
            continue
        if len(verdict.problems) >= SHOWN:
            verdict.more += 1
            continue
        ident = _seal_details(session, seq).get("ident") or {}
        if kind is None:  # a batch-sealed row: its ids are kept by row id
            batch = batches[kind_name]
            kept = ident.get(str(sealed_id)) or []
            name = batch_name(
                session, batch, {"id": sealed_id, **dict(zip(batch.ident, kept, strict=False))}
            )
        else:
            name = record_name(session, kind, ident, sealed_id)
        verdict.add(f"{name} is missing: it was deleted from the database.")


def check(
    session: Session, anchor: Anchor | None = None, uploads_dir: Path | None = None
) -> Verdict:
    """Verify the chain, then every sealed record against it (and the chain against
    ``anchor``), then the files the records name, re-hashed from ``uploads_dir``."""
    walk = _Walk(anchor, audit.keyring_of(session))
    result = audit.verify(session, walk.see)
    verdict = Verdict(result.checked, sealed_on_upgrade=walk.upgrade_at, disposed=walk.disposed)
    verdict.disposed_last = walk.disposed_last
    if not result.ok:
        verdict.add(_chain_problem(result))
        return verdict  # what follows a broken link cannot be trusted to name records
    problem = _anchor_problem(walk, result.checked)
    if problem:
        verdict.add(problem)
    stored: tuple[Kind | Batch, ...] = (*KINDS, *BATCHES)
    for kind in stored:
        _check_stored(session, kind, walk, verdict)
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


def _check_settings_fingerprints(session: Session, verdict: Verdict) -> None:
    """Each settings version's own fingerprint matches its document."""
    query = select(ConfigVersion.id, ConfigVersion.sha256, ConfigVersion.document)
    for version_id, sha, document in rows_by_id(session, query, ConfigVersion.id, 200):
        if hashlib.sha256(document.encode()).hexdigest() != sha:
            verdict.add(
                f"Settings version #{version_id} does not match its own fingerprint: "
                "its text was changed after it was saved."
            )
