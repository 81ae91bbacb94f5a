"""The audit: evidence no one can forge without the school's key.

What it promises: every read and change of sensitive data leaves a link in one append-only,
keyed, hash-chained log (``chain``: ``record``, ``record_many``, ``verify``); every record the
bot keeps is sealed into that log as stored, at the commit that wrote it (``seals`` for rows
the session writes, ``batches`` for bulk-written tables noted by the database, ``autocommit``
for what a dispatch pass killed before its end had written); ``check``
verifies the whole log and every record against it, naming what changed; ``anchor`` publishes
the log's head outside the database, and ``files`` seals the files it keeps. The tables are
``bot.core.models.audit``. ``from bot.core import audit`` gives the chain's names, as before.
"""

from __future__ import annotations

from bot.core.audit.chain import (
    BAD_ENDORSEMENT,
    BAD_HASH,
    BAD_HEAD,
    GENESIS,
    KEY_CHANGED,
    KEYED,
    KEYS,
    NEVER_KEYED,
    NOT_CARRIED,
    UNKEYED_AFTER,
    UNKNOWN_KEY,
    UNRECORDED_CHANGE,
    AuditKeyError,
    AuditRefused,
    Entry,
    VerifyResult,
    adopt_key,
    keyring_of,
    record,
    record_many,
    refuse_if_unaudited,
    unaudited,
    verify,
)

__all__ = [
    "BAD_ENDORSEMENT",
    "BAD_HASH",
    "BAD_HEAD",
    "GENESIS",
    "KEYED",
    "KEYS",
    "KEY_CHANGED",
    "NEVER_KEYED",
    "NOT_CARRIED",
    "UNKEYED_AFTER",
    "UNKNOWN_KEY",
    "UNRECORDED_CHANGE",
    "AuditKeyError",
    "AuditRefused",
    "Entry",
    "VerifyResult",
    "adopt_key",
    "keyring_of",
    "record",
    "record_many",
    "refuse_if_unaudited",
    "unaudited",
    "verify",
]
