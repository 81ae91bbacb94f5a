"""Rows written outside a session are sealed too, even when the writer is killed first.

The dispatcher records each message on PostgreSQL with one autocommit statement (``outbox.lanes``):
the database notes each sent row (``seal_queue``) and the pass seals them all when it ends.
A pass killed (-9) before its end leaves rows recorded as sent and noted, but not sealed, and
no one would ever seal them: ``audit verify`` would call them written by someone outside the
bot, and that false alarm would never clear.

So each pass notes its rows under a tag of its own (``pass_tag``): the server process of its
first connection (id and start time), a count, and an HMAC with the audit key, so no one
without the key can make one. The pass's seal events carry that tag as their object id. The
dispatchers' recovery, and ``audit verify``, call ``seal_stopped``: notes whose tag is a
valid pass tag, whose server process is gone (so its pass can never seal them) and which no
seal event has carried yet, are sealed as the rows are stored, by ``system:seal-after-stop``.
What it refuses leaves the rows to ``audit verify``:

- a tag not made with the key (made up by someone writing to ``seal_queue`` by hand);
- a tag whose pass already sealed (someone copied a tag seen in ``seal_queue`` during a pass
  and noted their own change under it later): those notes are deleted, and a warning logged.

SQLite needs none of this: there every write, and its seal, is one transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.audit.batches import BACKEND, BATCH_SEALED, drain_tags, micros
from bot.core.keys import Keyring
from bot.core.models import AuditEvent, SealNote

if TYPE_CHECKING:
    from bot.core.store import Store

__all__ = ["AFTER_STOP", "PassTag", "pass_tag", "read_tag", "seal_pass", "seal_stopped"]

log = logging.getLogger(__name__)

AFTER_STOP = "system:seal-after-stop"
_PASSES = "seal_passes"  # connection info: how many pass tags this connection has named
_PURPOSE = b"compliance-bot seal pass\0"
_MAC = 9  # bytes of HMAC-SHA256 kept: 72 bits, checked only online (no one holds the key)


@dataclass(frozen=True)
class PassTag:
    """A pass tag read back: the server process it names, and the tag itself."""

    tag: str
    pid: int
    started: int  # microseconds since 1970


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _PURPOSE + body, hashlib.sha256).digest()[:_MAC]


def pass_tag(keys: Keyring, info: dict[str, Any]) -> str:
    """A new tag for one pass on the connection whose ``info`` is given (its server process
    and a count of its passes, so no two passes share one): 32 characters, as a tag is."""
    pid, started = info.get(BACKEND) or (0, 0)
    count = (info.get(_PASSES, 0) + 1) % 2**32
    info[_PASSES] = count
    body = pid.to_bytes(4, "big") + started.to_bytes(7, "big") + count.to_bytes(4, "big")
    return base64.urlsafe_b64encode(body + _mac(keys.current, body)).decode()


def read_tag(keys: Keyring, tag: str) -> PassTag | None:
    """The pass ``tag`` names, if it was made with one of ``keys`` (None otherwise)."""
    try:
        raw = base64.urlsafe_b64decode(tag.encode())
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 15 + _MAC:
        return None
    body, mac = raw[:15], raw[15:]
    if not any(hmac.compare_digest(_mac(key, body), mac)
               for key in (keys.current, *keys.previous.values())):
        return None
    return PassTag(tag, int.from_bytes(body[:4], "big"), int.from_bytes(body[4:11], "big"))


def seal_pass(store: Store, tags: Sequence[str], lane: str | None) -> None:
    """Seal, in a transaction of ``store``, the rows a pass's autocommit connections noted
    under ``tags``; their events carry ``lane``, the pass's tag (so it is never sealed
    twice: ``seal_stopped``)."""
    if not tags:
        return
    with store.transaction() as session:
        audit.record_many(session, drain_tags(session, tags, lane=lane))


def _alive(session: Session, passes: Sequence[PassTag]) -> set[tuple[int, int]]:
    """The server processes among ``passes``' that still run (one whose start this role may
    not see counts as running: its pass may yet seal its own rows)."""
    pids = sorted({p.pid for p in passes})
    running = session.execute(
        text("SELECT pid, backend_start FROM pg_stat_activity WHERE pid = ANY(:pids)")
        .bindparams(bindparam("pids", type_=ARRAY(Integer))),
        {"pids": pids},
    ).all()
    seen = {(int(pid), micros(started)) for pid, started in running}
    hidden = {int(pid) for pid, started in running if started is None}
    return seen | {(p.pid, p.started) for p in passes if p.pid in hidden}


def _sealed_before(session: Session, tag: str) -> bool:
    """Whether a seal event already carried ``tag`` (its pass, or a recovery, sealed it)."""
    return session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.object_id == tag, AuditEvent.action == BATCH_SEALED)
        .limit(1)
    ) is not None


def seal_stopped(store: Store) -> int:
    """Seal the rows noted by passes whose connection is gone before they sealed them (a
    dispatcher killed mid-pass); returns how many notes were sealed. A look first: most calls
    find nothing to do and write nothing."""
    keys = store.keys
    if keys is None or store.engine.dialect.name != "postgresql":
        return 0
    with store.session() as session:
        tags = session.scalars(select(SealNote.tag).distinct()).all()
        passes = [found for tag in tags if (found := read_tag(keys, tag)) is not None]
        if not passes:
            return 0
        alive = _alive(session, passes)
    sealed = 0
    for stopped in passes:
        if (stopped.pid, stopped.started) in alive:
            continue
        with store.transaction() as session:
            if _sealed_before(session, stopped.tag):
                gone = session.execute(delete(SealNote).where(SealNote.tag == stopped.tag))
                log.warning(
                    "audit: %d row(s) noted under a dispatch pass's tag after that pass had "
                    "sealed its own: not sealed (noted by hand; 'audit verify' names them)",
                    gone.rowcount,  # type: ignore[attr-defined]
                )
                continue
            entries = drain_tags(session, [stopped.tag], actor=AFTER_STOP, lane=stopped.tag)
            audit.record_many(session, entries)
            sealed += sum(len(e.details["rows"]) for e in entries if e.details)
    if sealed:
        log.warning("audit: %d row(s) a stopped dispatch pass recorded were sealed", sealed)
    return sealed
