"""The audit: evidence no one can forge without the school's key.

What it promises: every read and change of sensitive data leaves a link in one append-only,
keyed, hash-chained log (``chain``: ``record``, ``record_many``, ``verify``); every record the
bot keeps is sealed into that log as stored, at the commit that wrote it (``seals`` for rows
the session writes, ``batches`` for bulk-written tables noted by the database); ``check``
verifies the whole log and every record against it, naming what changed (``names``: each
record in the school's words); ``anchor`` publishes
the log's head outside the database, and ``files`` seals the files it keeps. The tables are
``bot.core.models.audit``. ``from bot.core import audit`` gives the chain's names, as before.
"""

from __future__ import annotations

from bot.core.audit.chain import BAD_ENDORSEMENT as BAD_ENDORSEMENT
from bot.core.audit.chain import BAD_HASH as BAD_HASH
from bot.core.audit.chain import BAD_HEAD as BAD_HEAD
from bot.core.audit.chain import GENESIS as GENESIS
from bot.core.audit.chain import KEY_CHANGED as KEY_CHANGED
from bot.core.audit.chain import KEYED as KEYED
from bot.core.audit.chain import KEYS as KEYS
from bot.core.audit.chain import NEVER_KEYED as NEVER_KEYED
from bot.core.audit.chain import NOT_CARRIED as NOT_CARRIED
from bot.core.audit.chain import UNKEYED_AFTER as UNKEYED_AFTER
from bot.core.audit.chain import UNKNOWN_KEY as UNKNOWN_KEY
from bot.core.audit.chain import UNRECORDED_CHANGE as UNRECORDED_CHANGE
from bot.core.audit.chain import AuditKeyError as AuditKeyError
from bot.core.audit.chain import Entry as Entry
from bot.core.audit.chain import VerifyResult as VerifyResult
from bot.core.audit.chain import adopt_key as adopt_key
from bot.core.audit.chain import keyring_of as keyring_of
from bot.core.audit.chain import record as record
from bot.core.audit.chain import record_many as record_many
from bot.core.audit.chain import verify as verify
