"""The outbox: every outgoing message is a row first, and goes exactly once, the most urgent
first.

What it promises: a message is queued (``queue``) in the transaction that decided it, with an
idempotency key and an urgency (safeguarding, then what people wait for, then routine); any
number of dispatchers (``dispatcher``) claim rows no other holds, the most urgent first
(``claim``), within each mailbox's limits counted in the database (``pacing``), commit each
move to ``sending`` before the platform call and record its answer (``lanes``, ``record``); a
platform's "not now" pauses its channel without costing a message (``pause``), an uncertain
outcome is flagged for a person, never resent blindly (``lookup`` settles it from the mailbox's
sent items where it can), and refused messages reach the school's admins (``delivery``).
Bodies many messages share are kept once (``bodies``); dispatch workers take turns
(``workers``). The tables are ``bot.core.models.outbox``.
"""

from __future__ import annotations

from bot.core.models import Urgency
from bot.core.outbox.dispatcher import MAX_ATTEMPTS, Mailbox, dispatch, recover_stale
from bot.core.outbox.queue import (
    EmailDraft,
    add_emails,
    enqueue_card,
    enqueue_chat_card,
    enqueue_email,
    enqueue_emails,
    new_keys,
)
from bot.core.outbox.record import DispatchStats

__all__ = [
    "MAX_ATTEMPTS",
    "DispatchStats",
    "EmailDraft",
    "Mailbox",
    "Urgency",
    "add_emails",
    "dispatch",
    "enqueue_card",
    "enqueue_chat_card",
    "enqueue_email",
    "enqueue_emails",
    "new_keys",
    "recover_stale",
]
