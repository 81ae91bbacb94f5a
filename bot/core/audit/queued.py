"""What steers a queued message is sealed when it is queued, and checked before it is sent.

A pending row's recipients, body and urgency decide who is told what and how soon; someone
who can write to the database could point a waiting safeguarding alert elsewhere, and the
dispatcher would send it and seal the sent row with the forged address. So each row carries
(``outbox.seal``) keyed digests of its parts as queued: who (recipients and copies), what
(subject, payload and a shared body's content), how urgent, and which message (school,
channel, purpose), each bound to the row's idempotency key and made with the audit key, so a
seal cannot be moved to another row nor made again without the key. The dispatcher refuses a
row whose parts no longer match (``changed``), and ``audit verify`` names the part.

The seal is ``<key id>:<who>.<what>.<urgency>.<which>`` (16 hex digits each; key id ``-``
for a store without an audit key, whose digests are plain SHA-256).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.audit.chain import keyed_digest
from bot.core.guards.keys import Keyring, key_id
from bot.core.models import OutboxBody, OutboxMessage
from bot.core.rendering.rendered import Rendered

__all__ = [
    "PARTS",
    "WAITING",
    "changed",
    "changed_rows",
    "make",
    "seal_rows",
    "seal_waiting",
    "unsealed",
]

PARTS = ("recipients", "body", "urgency", "message")  # in the seal's order
_UNKEYED = "-"
WAITING = ("pending", "claimed")  # not yet in the provider's hands: what the seal guards
_COLUMNS = (
    "id",
    "idempotency_key",
    "recipients",
    "cc",
    "subject",
    "payload",
    "urgency",
    "school_id",
    "channel",
    "purpose",
    "body_id",
    "seal",
)


def _parts(row: Mapping[str, Any], body_sha: str | None) -> tuple[list[Any], ...]:
    """The values each part covers, each with the row's idempotency key."""
    key = row["idempotency_key"]
    return (
        [key, list(row["recipients"] or []), list(row["cc"] or [])],
        [key, row["subject"], row["payload"] or {}, body_sha],
        [key, int(row["urgency"])],
        [key, row["school_id"], row["channel"], row["purpose"]],
    )


def _digests(key: bytes | None, row: Mapping[str, Any], body_sha: str | None) -> list[str]:
    return [
        keyed_digest(key, orjson.dumps([name, *values], option=orjson.OPT_SORT_KEYS))[:16]
        for name, values in zip(PARTS, _parts(row, body_sha), strict=True)
    ]


def make(keys: Keyring | None, row: Mapping[str, Any], body_sha: str | None = None) -> str:
    """The seal of a row about to be queued (``body_sha``: its shared body's fingerprint)."""
    key = keys.current if keys is not None else None
    name = key_id(key) if key is not None else _UNKEYED
    return f"{name}:" + ".".join(_digests(key, row, body_sha))


def seal_rows(
    session: Session, rows: list[dict[str, Any]], body_shas: Mapping[int, str] | None = None
) -> None:
    """Give each row (the outbox table's columns) its seal, with the session's audit key."""
    keys = audit.keyring_of(session)
    shas = body_shas or {}
    for row in rows:
        row["seal"] = make(keys, row, shas.get(row.get("body_id") or 0))


def changed(
    keys: Keyring | None, seal: str | None, row: Mapping[str, Any], body_sha: str | None = None
) -> list[str]:
    """The parts of ``row`` (``PARTS``) that no longer match its seal; ``["seal"]`` when it
    has none or it cannot be read (a key this store does not hold counts as unreadable)."""
    name, _, digests = (seal or "").partition(":")
    if name == _UNKEYED:
        if keys is not None:  # a store with a key makes keyed seals only
            return ["seal"]
        key: bytes | None = None
    else:
        found = keys.find(name) if keys is not None else None
        if found is None:
            return ["seal"]
        key = found
    sealed = digests.split(".")
    if len(sealed) != len(PARTS):
        return ["seal"]
    now = _digests(key, row, body_sha)
    return [part for part, old, new in zip(PARTS, sealed, now, strict=True) if old != new]


def _waiting(session: Session, only_unsealed: bool) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Each waiting row (its sealed columns) with its shared body's fingerprint, by id."""
    table = OutboxMessage.__table__
    query = (
        select(*(table.c[name] for name in _COLUMNS))
        .where(table.c.status.in_(WAITING))
        .order_by(table.c.id)
    )
    if only_unsealed:
        query = query.where(table.c.seal.is_(None))
    rows = [dict(row._mapping) for row in session.execute(query)]
    ids = {row["body_id"] for row in rows if row["body_id"]}
    shas: dict[int, str] = {}
    if ids:
        for body in session.scalars(select(OutboxBody).where(OutboxBody.id.in_(ids))):
            shas[body.id] = Rendered.joined(body.text, body.html).sha256
    for row in rows:
        yield row, shas.get(row["body_id"]) if row["body_id"] else None


def seal_waiting(session: Session) -> int:
    """Seal the rows queued before seals were made (the upgrade that adds them, with the
    audit key: ``Store.upgrade``); how many."""
    keys = audit.keyring_of(session)
    values = [
        {"row_id": row["id"], "seal": make(keys, row, sha)}
        for row, sha in _waiting(session, only_unsealed=True)
    ]
    if values:
        session.connection().execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == bindparam("row_id"))
            .values(seal=bindparam("seal")),
            values,
        )
    return len(values)


def unsealed(session: Session) -> Iterator[tuple[int, str, list[str]]]:
    """(id, purpose, parts changed) of each waiting row that no longer matches its seal
    (``audit verify``)."""
    keys = audit.keyring_of(session)
    for row, sha in _waiting(session, only_unsealed=False):
        if parts := changed(keys, row["seal"], row, sha):
            yield row["id"], row["purpose"], parts


def changed_rows(
    session: Session, rows: Sequence[OutboxMessage], bodies: Mapping[int, Rendered]
) -> dict[int, list[str]]:
    """The rows (with their shared ``bodies``) whose parts no longer match their seal, with
    the parts that changed: the dispatcher's check before it sends."""
    keys = audit.keyring_of(session)
    found: dict[int, list[str]] = {}
    for row in rows:
        columns = {name: getattr(row, name) for name in _COLUMNS}
        body = bodies.get(row.body_id) if row.body_id else None
        if parts := changed(keys, row.seal, columns, body.sha256 if body else None):
            found[row.id] = parts
    return found
