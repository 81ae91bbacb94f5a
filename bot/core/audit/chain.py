"""Append-only, keyed, hash-chained audit log: every read and change of sensitive data leaves a
link, and only a holder of the audit key can add one.

Each link is an HMAC-SHA256, with the audit key, of the event and the previous link; the key
(``bot.core.guards.keys.Keyring``, derived from a secret outside the database) reaches a session
through ``session.info[KEYS]``, which the Store sets on every session it makes. A session
without it cannot write to the log at all: ``record`` raises ``AuditKeyError``.

Logs written before the log was keyed hold plain SHA-256 links. ``adopt_key`` (run by
``Store.upgrade``) verifies such a log, then appends a keyed ``audit.keyed`` event recording
how many unkeyed entries there were and the last one's hash; from then on every link is keyed,
and a log with unkeyed links anywhere but before that event fails verification. After the key
changes, ``adopt_key`` appends ``audit.key_changed`` naming both keys (by ``key_id`` only),
endorsed with the previous key when the school still holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from bot.core.guards.keys import Keyring
from bot.core.models import AuditEvent, AuditHead, utcnow

__all__ = [
    "GENESIS",
    "KEYED",
    "KEYS",
    "KEY_CHANGED",
    "REDACTED",
    "AuditKeyError",
    "Entry",
    "VerifyResult",
    "adopt_key",
    "body_of",
    "head_mac",
    "keyed_digest",
    "keyring_of",
    "record",
    "record_many",
    "signer",
    "verify",
]

GENESIS = "0" * 64
KEYS = "audit.keys"  # session.info: the Keyring links are made and checked with
KEYED = "audit.keyed"  # the event that carries an unkeyed log into the keyed one
KEY_CHANGED = "audit.key_changed"
KEY_ACTOR = "system:audit-key"
REDACTED = "audit.redacted"  # events rewritten to drop disposed personal data (``redact``)


class AuditKeyError(RuntimeError):
    """The audit log cannot be written: no key, or another key made its last entry."""


def keyring_of(session: Session) -> Keyring | None:
    """The session's audit keyring, or None when it has none."""
    keys = session.info.get(KEYS)
    return keys if isinstance(keys, Keyring) else None


_SIGNED = ("seq", "at", "actor", "action", "object_type", "object_id", "school_id", "details")


def body_of(prev_hash: str, event: Mapping[str, Any]) -> bytes:
    """One event (its ``_SIGNED`` columns and ``key_id``) chained to the previous one, as
    canonical JSON (UTC microseconds)."""
    fields: dict[str, Any] = {
        "prev": prev_hash,
        "seq": event["seq"],
        "at": event["at"].strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "actor": event["actor"],
        "action": event["action"],
        "type": event["object_type"],
        "id": event["object_id"],
        "school": event["school_id"],
        "details": event["details"],
    }
    if event["key_id"] is not None:
        fields["key"] = event["key_id"]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode()


def keyed_digest(key: bytes | None, body: bytes) -> str:
    """HMAC-SHA256 with ``key`` (links, seals); plain SHA-256 only for those made before
    keying."""
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def head_mac(key: bytes, count: int, last_hash: str) -> str:
    """The head's HMAC: the number of entries and the last one's hash."""
    return keyed_digest(key, f"audit head {count}:{last_hash}".encode())


def _endorsement(key: bytes, new_id: str, count: int, last_hash: str) -> str:
    """The previous key's word that the log continues under ``new_id`` after entry ``count``."""
    return keyed_digest(key, f"audit key change to {new_id} after {count}:{last_hash}".encode())


@dataclass(frozen=True)
class Entry:
    """One event to append (see ``record``)."""

    actor: str
    action: str
    object_type: str
    object_id: str | int | None = None
    school_id: str | None = None
    details: dict[str, Any] | None = None


def signer(session: Session) -> tuple[bytes, str]:
    """The key new links are made with: the session's; none, and nothing is written."""
    keys = keyring_of(session)
    if keys is not None:
        return keys.current, keys.current_id
    raise AuditKeyError(
        "this database session has no audit key: sessions must come from a Store built with "
        "the settings' audit keyring (Store(url, keys=settings.audit_keyring()))"
    )


def record_many(session: Session, entries: Sequence[Entry]) -> None:
    """Append several events under one take of the chain head's row lock (in order)."""
    if entries:
        key, kid = signer(session)
        _append(session, entries, key, kid, adopting=False)


_HEAD_TABLE = cast(Table, AuditHead.__table__)
_EVENTS_TABLE = cast(Table, AuditEvent.__table__)
_HEAD = "audit.head"  # session.info: (transaction, last hash, count, key id) of its own appends
# the head's two statements, built once (every stored report, sent message and page read appends)
_TAKE_HEAD = (
    update(_HEAD_TABLE)
    .where(_HEAD_TABLE.c.id == 1)
    .values(count=_HEAD_TABLE.c.count + bindparam("taken"))
    .returning(_HEAD_TABLE.c.last_hash, _HEAD_TABLE.c.count, _HEAD_TABLE.c.key_id)
)
_MOVE_HEAD = (
    update(_HEAD_TABLE)
    .where(_HEAD_TABLE.c.id == 1)
    .values(
        last_hash=bindparam("new_hash"),
        key_id=bindparam("new_kid"),
        mac=bindparam("new_mac"),
        count=bindparam("new_count"),
    )
)

# one event and the head's move in one statement (PostgreSQL), built once: the event's values
# are parameters named ``_ONE`` + column
_ONE = "event_"
_APPEND_ONE = _MOVE_HEAD.add_cte(
    _EVENTS_TABLE.insert()
    .values(
        {
            c.name: bindparam(_ONE + c.name, type_=c.type)
            for c in _EVENTS_TABLE.columns
            if c.name != "id"
        }
    )
    .cte("appended")
)


def _take_head(session: Session, count: int) -> tuple[str, int, str | None] | None:
    """The chain head as (last hash, entries so far, key id), its row lock taken: read once
    per transaction, then carried in ``session.info`` (this transaction holds the lock, so
    no one else moved it). Inside a savepoint it is read afresh and not kept: a savepoint
    rolled back takes its appends with it. None when the log has no head yet."""
    transaction = session.get_transaction()
    nested = session.in_nested_transaction()
    kept = session.info.get(_HEAD)
    if not nested and kept is not None and kept[0] is transaction:
        return kept[1], kept[2], kept[3]
    session.info.pop(_HEAD, None)
    head = session.connection().execute(_TAKE_HEAD, {"taken": count}).first()
    if head is None:
        return None
    return head[0], head[1] - count, head[2]


def _append(
    session: Session,
    entries: Sequence[Entry],
    key: bytes | None,
    kid: str | None,
    *,
    adopting: bool,
) -> None:
    """Append ``entries`` with ``key``; the head must already be under ``kid`` unless
    ``adopting`` (the event that records the change of key).

    Written with Core statements on the session's connection (on PostgreSQL two: the head
    taken, then the events and the head's move; one for a transaction's later appends): every
    stored report, sent message and sealed batch makes one, and the ORM's bookkeeping for them
    cost more than the writes. What the session holds is flushed first, as an ORM statement
    would (callers read new rows' ids after it)."""
    session.flush()
    head = _take_head(session, len(entries))
    if head is None:
        session.add(AuditHead(id=1, last_hash=GENESIS, count=0))
        session.flush()
        prev_hash, seq, head_key = GENESIS, 1, kid
    else:
        prev_hash, seq, head_key = head[0], head[1] + 1, head[2]
    if not adopting and seq > 1 and head_key != kid:
        raise AuditKeyError(
            "the audit log's last entry was made with another audit key: restart the bot so "
            "that the change of key is recorded (see 'compliance-bot audit rotate-key')"
        )
    at = utcnow()
    rows: list[dict[str, Any]] = []  # the events, as the table's rows
    for offset, entry in enumerate(entries):
        row: dict[str, Any] = {
            "seq": seq + offset,
            "school_id": entry.school_id,
            "at": at,
            "actor": entry.actor,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": None if entry.object_id is None else str(entry.object_id),
            "details": entry.details or {},
            "prev_hash": prev_hash,
            "key_id": kid,
        }
        row["hash"] = prev_hash = keyed_digest(key, body_of(prev_hash, row))
        rows.append(row)
    connection = session.connection()
    count = seq + len(entries) - 1
    moved = {
        "new_hash": prev_hash,
        "new_kid": kid,
        "new_count": count,
        "new_mac": None if key is None else head_mac(key, count, prev_hash),
    }
    if connection.dialect.name == "postgresql" and len(rows) <= _ONE_STATEMENT:
        # the events and the head's move in one statement: the head is locked from
        # ``_take_head`` to the commit, and every round trip in between is one more wait for
        # every other writer
        # (one event: a statement built once, ``_APPEND_ONE``; a list of rows is built and
        # compiled afresh every time)
        if len(rows) == 1:
            connection.execute(_APPEND_ONE, {**moved, **{_ONE + k: v for k, v in rows[0].items()}})
        else:
            appended = _EVENTS_TABLE.insert().values(rows)
            connection.execute(_MOVE_HEAD.add_cte(appended.cte("appended")), moved)
    else:
        # one event (a stored report, a sent message) as one INSERT: the driver's many-row
        # path costs more than the row
        connection.execute(_EVENTS_TABLE.insert(), rows[0] if len(rows) == 1 else rows)
        connection.execute(_MOVE_HEAD, moved)
    # a head this session read (or made) is read afresh, and the head as this transaction
    # left it is kept for its next append (``_take_head``)
    loaded = session.identity_map.get(Session.identity_key(AuditHead, 1))
    if loaded is not None:
        session.expire(loaded)
    if not session.in_nested_transaction():
        session.info[_HEAD] = (session.get_transaction(), prev_hash, count, kid)


_ONE_STATEMENT = 50  # events appended with the head's move in one statement (PostgreSQL)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    school_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event. Takes the chain head's row lock so concurrent writers stay in order.

    ``details`` must never hold report contents: ids, fields changed, counts only.
    """
    record_many(session, [Entry(actor, action, object_type, object_id, school_id, details)])


def adopt_key(session: Session, *, carry_unkeyed: bool = False) -> None:
    """Record in the chain that it continues under the session's key, when it does not yet.

    A log last written with another key gets ``audit.key_changed`` (endorsed by that key when
    the keyring still holds it). An unkeyed log is carried over only with ``carry_unkeyed``
    (the upgrade that keys the log; ``Store.upgrade`` decides): it is verified first, then an
    ``audit.keyed`` event records its length and head. An unkeyed log found at any other time
    was put there by someone without the key and is left to fail verification.
    """
    keys = keyring_of(session)
    if keys is None:
        raise AuditKeyError("adopting a key needs a session with an audit keyring")
    head = session.execute(  # takes the head's lock before reading what to record
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(count=AuditHead.count)
        .returning(AuditHead.count, AuditHead.last_hash, AuditHead.key_id)
    ).first()
    if head is None or head[0] == 0 or head[2] == keys.current_id:
        return
    count, last_hash, old_id = head
    if old_id is None and not carry_unkeyed:
        return
    if old_id is None:
        found = verify(session)
        held = found.ok or found.reason == NEVER_KEYED
        details: dict[str, Any] = {
            "key": keys.current_id,
            "unkeyed_entries": count,
            "unkeyed_head": last_hash,
            "unkeyed_log_verified": held,
            "first_broken": None if held else found.broken_seq,
        }
        entry = Entry(KEY_ACTOR, KEYED, "audit_log", None, None, details)
    else:
        old = keys.find(old_id)
        endorsed = None if old is None else _endorsement(old, keys.current_id, count, last_hash)
        details = {"from": old_id, "to": keys.current_id, "endorsement": endorsed}
        entry = Entry(KEY_ACTOR, KEY_CHANGED, "audit_log", None, None, details)
    _append(session, [entry], keys.current, keys.current_id, adopting=True)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check: ``reason`` is one of the codes below, ``key_id`` the key of
    the entry that failed when that matters."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None
    key_id: str | None = None


MISSING = "an event is missing"
BAD_LINK = "previous-hash link does not match"
BAD_HASH = "event content does not match its hash"
TRUNCATED = "events after the last one were removed"
UNKNOWN_KEY = "made with a key this installation does not hold"
UNKEYED_AFTER = "an unkeyed event after the log was keyed"
NOT_CARRIED = "the first keyed event does not carry the unkeyed log"
NEVER_KEYED = "no event is keyed"
UNRECORDED_CHANGE = "another key without a recorded change"
BAD_ENDORSEMENT = "the key change is not endorsed by the previous key"
BAD_HEAD = "the head's signature does not match"


def _check_change(
    event: AuditEvent, prev: str, seq: int, last_key: str | None, keys: Keyring | None
) -> str | None:
    """Why a keyed event that follows unkeyed ones, or another key's, does not hold (or None)."""
    details = event.details or {}
    if last_key is None:
        carried = event.action == KEYED and details.get("unkeyed_entries") == seq - 1
        return None if carried and details.get("unkeyed_head") == prev else NOT_CARRIED
    if (
        event.action != KEY_CHANGED
        or details.get("from") != last_key
        or (details.get("to") != event.key_id)
    ):
        return UNRECORDED_CHANGE
    old = keys.find(last_key) if keys is not None else None
    endorsed = details.get("endorsement")
    if (
        old is not None
        and endorsed is not None
        and event.key_id is not None
        and (not hmac.compare_digest(str(endorsed), _endorsement(old, event.key_id, seq - 1, prev)))
    ):
        return BAD_ENDORSEMENT
    return None


def verify(session: Session, on_event: Callable[[AuditEvent], None] | None = None) -> VerifyResult:
    """Walk the chain in order; stop at the first event whose link or key does not hold.

    Keys come from the session's keyring (``KEYS``); without one only an unkeyed log can be
    checked. ``on_event`` sees every event that held, in order (streamed).
    """
    keys = keyring_of(session)
    vouched = _redactions(session, keys)
    prev = GENESIS
    checked = 0
    last_key: str | None = None  # the key of the last keyed event seen
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        seq = event.seq
        if seq != checked + 1:
            return VerifyResult(False, checked, checked + 1, MISSING)
        if event.prev_hash != prev:
            return VerifyResult(False, checked, seq, BAD_LINK)
        kid = event.key_id
        key: bytes | None = None
        if kid is None:
            if last_key is not None:
                return VerifyResult(False, checked, seq, UNKEYED_AFTER)
        else:
            changed = kid != last_key and (last_key is not None or seq > 1)
            if changed and (why := _check_change(event, prev, seq, last_key, keys)):
                return VerifyResult(False, checked, seq, why, kid)
            key = keys.find(kid) if keys is not None else None
            if key is None:
                return VerifyResult(False, checked, seq, UNKNOWN_KEY, kid)
        body = body_of(prev, {"key_id": kid, **{name: getattr(event, name) for name in _SIGNED}})
        if not hmac.compare_digest(keyed_digest(key, body), event.hash) and not (
            (proof := vouched.get(seq))
            and hmac.compare_digest(keyed_digest(proof[0], body), proof[1])
        ):
            return VerifyResult(False, checked, seq, BAD_HASH, kid)
        if on_event is not None:
            on_event(event)
        prev = event.hash
        last_key = kid or last_key
        checked += 1
    return _check_head(session, keys, prev, checked, last_key) or VerifyResult(True, checked)


def _redactions(session: Session, keys: Keyring | None) -> dict[int, tuple[bytes, str]]:
    """What the ``REDACTED`` events vouch for (the latest for each event): its key and the
    digest of its form after the redaction. They are walked and checked with the rest: a
    forged one breaks the chain where it stands."""
    vouched: dict[int, tuple[bytes, str]] = {}
    query = select(AuditEvent.details).where(AuditEvent.action == REDACTED).order_by(AuditEvent.seq)
    for details in session.scalars(query):
        for seq, (kid, digest) in (details.get("events") or {}).items():
            key = keys.find(kid) if keys is not None else None
            if key is not None:
                vouched[int(seq)] = (key, str(digest))
    return vouched


def _check_head(
    session: Session, keys: Keyring | None, prev: str, checked: int, last_key: str | None
) -> VerifyResult | None:
    """Why the head (count, last hash and its signature) does not match the log, or None."""
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_hash != prev or head.count != checked):
        return VerifyResult(False, checked, checked + 1, TRUNCATED)
    if checked and keys is not None and last_key is None:
        return VerifyResult(False, checked, 1, NEVER_KEYED)
    if head is not None and last_key is not None:
        key = keys.find(last_key) if keys is not None else None
        if (
            key is None
            or head.mac is None
            or not hmac.compare_digest(head.mac, head_mac(key, head.count, head.last_hash))
        ):
            return VerifyResult(False, checked, checked, BAD_HEAD, last_key)
    return None
