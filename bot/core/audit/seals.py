"""Records that matter are sealed into the audit chain when written: a hash of every field.

Reports, chronology entries, attachments, attestations and signatures, training records,
decisions (with their reviews and files), policy versions, policy reviews, task completions,
each school's sending state, name and last good settings (which name its policies' documents
and its administrators) are *sealed*: when a transaction that added, changed or deleted one
commits, an audit event ``record.sealed`` carries the hash of the row as stored (every column;
binary columns by their SHA-256) plus a short hash of each field, so ``audit verify`` can tell
which field changed.
A deletion made by the bot is an event ``record.removed``. Event details hold hashes and
identifiers (a report's reference, a person's id), never contents.

The hooks (``HOOKS``) read the rows back from the database at commit time, so what is sealed
is exactly what ``audit verify`` will read, whichever path wrote it. Every digest is an
HMAC-SHA256 with the audit key (seals made before the log was keyed: plain SHA-256), so a seal
cannot be made or remade without the key. The same commit seals the bulk-written tables
(``audit.batches``), all in one append to the chain.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, inspect, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.audit.batches import BATCHES, canon, drain, forget, read_by_ids, seal_all, sealing_key
from bot.core.audit.chain import keyed_digest
from bot.core.models import (
    Attestation,
    AuditEvent,
    Base,
    Decision,
    DecisionAttachment,
    DecisionReview,
    PolicyReview,
    PolicyVersion,
    Report,
    ReportAttachment,
    ReportEntry,
    School,
    SchoolLifecycle,
    SchoolSettings,
    ScrCheck,
    ScrEntry,
    ScrGap,
    SetupState,
    TaskCompletion,
    TrainingRecord,
)

__all__ = [
    "BASELINE_ACTOR",
    "HOOKS",
    "KINDS",
    "REMOVED",
    "SEALED",
    "Kind",
    "field_digests",
    "record_at_commit",
    "row_digest",
    "seal_baseline",
    "seal_existing",
    "seal_new_kinds",
]

SEALED = "record.sealed"
REMOVED = "record.removed"
SEAL_ACTOR = "system:seal"
BASELINE_ACTOR = "system:upgrade"  # rows that existed before sealing began, sealed on upgrade
_PENDING = "seals.pending"
_CONNECTION = "seals.connection"
_AT_COMMIT = "seals.at_commit"
_CHUNK = 500


@dataclass(frozen=True)
class Kind:
    """One sealed kind of record: its model and the identifying columns kept in its events."""

    name: str
    model: type[Base]
    ident: tuple[str, ...]
    # the migration that made the kind, when it may have filled the table with rows of the
    # records kept before (``seal_new_kinds`` seals those on that upgrade)
    since: str | None = None

    @property
    def table(self) -> Table:
        """The model's table."""
        table = self.model.__table__
        assert isinstance(table, Table)
        return table


KINDS: tuple[Kind, ...] = (
    Kind("report", Report, ("reference",)),
    Kind("report_entry", ReportEntry, ("report_id", "kind")),
    Kind("report_attachment", ReportAttachment, ("report_id",)),
    Kind("attestation", Attestation, ("person_id", "policy_version_id", "kind")),
    Kind("training_record", TrainingRecord, ("person_id", "course")),
    Kind("decision", Decision, ("kind",)),
    Kind("decision_review", DecisionReview, ("decision_id",)),
    Kind("decision_attachment", DecisionAttachment, ("decision_id",)),
    Kind("policy_version", PolicyVersion, ("policy_id", "label")),
    Kind("policy_review", PolicyReview, ("policy_id", "reviewed_on")),
    Kind("task_completion", TaskCompletion, ("requirement_id", "person_id", "cycle")),
    Kind("school_lifecycle", SchoolLifecycle, ("school_id",), since="0042"),
    # what steers mail too: a school's name (said in every email) and its last good settings
    # (its policies' documents, its administrators); the school's id is its record's id
    Kind("school", School, ("id",), since="0046"),
    Kind("school_settings", SchoolSettings, ("school_id",), since="0046"),
    # what an SCR import stored (and who imported it), and each gap's state (opened, closed);
    # where the settings are kept (school.yaml or the pages)
    Kind("scr_entry", ScrEntry, ("person_id", "line"), since="0053"),
    Kind("scr_check", ScrCheck, ("entry_id", "check"), since="0053"),
    Kind("scr_gap", ScrGap, ("kind", "check", "person_id"), since="0053"),
    Kind("setup_state", SetupState, ("id",), since="0053"),
)
_BY_MODEL: dict[type[Any], Kind] = {k.model: k for k in KINDS}


def _dump(value: Any) -> bytes:
    """Canonical JSON bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def row_digest(row: Mapping[str, Any], fields: Iterable[str], key: bytes | None) -> str:
    """The keyed digest of the row's ``fields`` in canonical form (a missing field counts as
    absent)."""
    body = {name: canon(row[name]) if name in row else "<absent>" for name in fields}
    return keyed_digest(key, _dump(body))


def field_digests(row: Mapping[str, Any], key: bytes | None) -> dict[str, str]:
    """A short keyed digest of each field, so a changed field can be named (never its
    content, nor a guessable hash of it)."""
    return {name: keyed_digest(key, _dump(canon(value)))[:16] for name, value in row.items()}


def _ident(kind: Kind, row: Mapping[str, Any]) -> dict[str, Any]:
    """The identifying columns of a row (references and ids, never contents)."""
    return {name: canon(row.get(name)) for name in kind.ident}


def _details(kind: Kind, row: Mapping[str, Any], key: bytes | None) -> dict[str, Any]:
    """What a seal event carries: the row hash, field hashes and the identifying columns."""
    return {
        "row": row_digest(row, row.keys(), key),
        "fields": field_digests(row, key),
        "ident": _ident(kind, row),
    }


def _rows(
    session: Session, kind: Kind, ids: Sequence[int] | None, columns: Sequence[str] | None
) -> Iterator[Mapping[str, Any]]:
    """The stored rows of ``kind`` (all, or those with ``ids``), as plain mappings, by id."""
    if ids is None:
        table = kind.table
        cols = [c for c in table.columns if columns is None or c.name in columns]
        query = select(*cols).order_by(table.c.id).execution_options(yield_per=_CHUNK)
        for row in session.execute(query):
            yield dict(row._mapping)
        return
    yield from read_by_ids(session, kind.table, kind.table.c.keys(), ids)


def _entries(
    session: Session,
    kind: Kind,
    ids: Sequence[int] | None,
    actor: str,
    columns: Sequence[str] | None,
) -> Iterator[audit.Entry]:
    """The seal events of the stored rows of ``kind`` (all, or ``ids``), by id."""
    key = sealing_key(session)
    for row in _rows(session, kind, ids, columns):
        yield audit.Entry(
            actor, SEALED, kind.name, row["id"], row.get("school_id"), _details(kind, row, key)
        )


def seal_existing(session: Session) -> dict[str, int]:
    """Seal every stored record of every kind as a baseline (the upgrade that starts sealing).

    Only columns the database has are read (a later migration may add more to the models).
    """
    inspector = inspect(session.connection())
    counts: dict[str, int] = {}
    for kind in KINDS:
        columns = [c["name"] for c in inspector.get_columns(kind.table.name)]
        entries = _entries(session, kind, None, BASELINE_ACTOR, columns)
        counts[kind.name] = 0
        while batch := list(itertools.islice(entries, _CHUNK)):  # streamed, 500 a time
            audit.record_many(session, batch)
            counts[kind.name] += len(batch)
    return counts


def seal_new_kinds(session: Session, before: str | None) -> dict[str, int]:
    """Seal, as a baseline, the rows an upgrade from revision ``before`` (None: an empty
    database) wrote into the tables of kinds it created (``Kind.since``), e.g. each school's
    lifecycle copied from the install's setup row, and the stored rows of kinds sealed in
    batches from a later revision (``Batch.since``: a person's language). ``Store.upgrade``
    calls it on that upgrade only: a row added later outside the bot stays unsealed, and
    ``audit verify`` names it."""
    counts: dict[str, int] = {}
    for kind in KINDS:
        if kind.since is None or (before is not None and before >= kind.since):
            continue
        entries = list(_entries(session, kind, None, BASELINE_ACTOR, None))
        audit.record_many(session, entries)
        counts[kind.name] = len(entries)
    later = [b for b in BATCHES if b.since and before is not None and before < b.since]
    return counts | seal_all(session, BASELINE_ACTOR, later)


def seal_baseline(session: Session) -> None:
    """Seal, with the audit key, the records stored before they were sealed: every kind here
    unless an earlier upgrade did (revision 0005, unkeyed), and every bulk-sealed table.
    ``Store.upgrade`` calls it once, with the upgrade that keys the log."""
    done = session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.actor == BASELINE_ACTOR, AuditEvent.action == SEALED)
        .limit(1)
    )
    if done is None:
        seal_existing(session)
    seal_all(session, BASELINE_ACTOR)


# --------------------------------------------------------------------------- the session hook


def _after_flush(session: Session, _context: Any) -> None:
    """Note which sealed rows this flush added, changed or deleted (deleted: with their ids)."""
    pending: dict[tuple[str, int], dict[str, Any] | None] = session.info.setdefault(_PENDING, {})
    for obj in (*session.new, *session.dirty):
        kind = _BY_MODEL.get(type(obj))
        if kind is not None and (
            obj in session.new or session.is_modified(obj, include_collections=False)
        ):
            pending.setdefault((kind.name, obj.id), None)
    for obj in session.deleted:
        kind = _BY_MODEL.get(type(obj))
        if kind is not None:
            row = {name: getattr(obj, name, None) for name in kind.ident}
            pending[(kind.name, obj.id)] = {
                "school_id": getattr(obj, "school_id", None),
                "ident": _ident(kind, row),
            }


def _before_commit(session: Session) -> None:
    """Seal what this transaction wrote, as stored, before it commits (one append).

    A savepoint's release is no commit: what it wrote is sealed with the whole transaction
    (SQLAlchemy calls this hook for both), so the chain's head is taken once, at the end.
    """
    if session.in_nested_transaction():
        return
    session.flush()
    pending: dict[tuple[str, int], dict[str, Any] | None] = session.info.pop(_PENDING, {})
    entries: list[audit.Entry] = []
    written: dict[str, list[int]] = {}  # by kind, in one pass (most commits seal nothing)
    for name, i in pending:
        written.setdefault(name, []).append(i)
    for kind in KINDS:
        if kind.name not in written:
            continue
        ids = sorted(written[kind.name])
        sealed = list(_entries(session, kind, ids, SEAL_ACTOR, None))
        found = {entry.object_id for entry in sealed}
        entries += sealed
        entries += [
            audit.Entry(
                SEAL_ACTOR, REMOVED, kind.name, i, gone["school_id"], {"ident": gone["ident"]}
            )
            for i in ids
            if i not in found and (gone := pending[(kind.name, i)]) is not None
        ]
    connection = session.info.pop(_CONNECTION, None)
    if connection is not None:
        entries += drain(session, connection)
    entries = session.info.pop(_AT_COMMIT, []) + entries
    if entries:
        audit.record_many(session, entries)
        session.flush()


def record_at_commit(session: Session, entry: audit.Entry) -> None:
    """Append ``entry`` to the audit log with this transaction's seals, as it commits: the
    chain's head is one row every writer takes in turn, and taken here it is held for the
    transaction's last statements only, not from the entry to the commit. Inside a savepoint,
    or on a session without the seal hook, the entry is appended at once (``audit.record``)."""
    if session.in_nested_transaction() or _CONNECTION not in session.info:
        audit.record_many(session, [entry])
        return
    session.info.setdefault(_AT_COMMIT, []).append(entry)


def _begun(session: Session, _transaction: Any, connection: Any) -> None:
    """Keep the transaction's connection, for ``audit.batches.drain`` at commit."""
    session.info[_CONNECTION] = connection


def _forget(session: Session, *_args: Any) -> None:
    """A rolled-back transaction seals nothing. A savepoint rolled back is no end of the
    transaction (SQLAlchemy calls this hook for it too): what the transaction wrote before and
    after it is still sealed at commit (the savepoint's own rows went with it)."""
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING, None)
    session.info.pop(_AT_COMMIT, None)
    forget(session.info.pop(_CONNECTION, None))


# what sessions do to seal the records they write (``bot.core.database.store`` listens them)
HOOKS: dict[str, Callable[..., Any]] = {
    "after_flush": _after_flush,
    "before_commit": _before_commit,
    "after_rollback": _forget,
    "after_begin": _begun,
}
