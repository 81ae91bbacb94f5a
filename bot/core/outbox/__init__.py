"""The outbox: every outgoing message is a row first, and goes exactly once, the most urgent
first.

What it promises: a message is queued (``queue``) in the transaction that decided it, with an
idempotency key and an urgency (safeguarding, then what people wait for, then routine); any
number of dispatchers (``dispatcher``) claim rows no other holds, the most urgent first
(``claim``), within each mailbox's limits counted in the database (``pacing``), commit each
move to ``sending`` before the platform call and record its answer (``record``); a
platform's "not now" pauses its channel without costing a message (``pause``), an uncertain
outcome is flagged for a person, never resent blindly (``lookup`` settles it from the mailbox's
sent items where it can), and refused messages reach the school's admins (``delivery``).
Bodies many messages share are kept once (``bodies``); dispatch workers take turns
(``workers``). The tables are ``bot.core.models.outbox``.
"""

from __future__ import annotations

from bot.core.models import Urgency as Urgency
from bot.core.outbox.dispatcher import Mailbox as Mailbox
from bot.core.outbox.dispatcher import dispatch as dispatch
from bot.core.outbox.queue import EmailDraft as EmailDraft
from bot.core.outbox.queue import add_merged as add_merged
from bot.core.outbox.queue import enqueue_card as enqueue_card
from bot.core.outbox.queue import enqueue_chat_card as enqueue_chat_card
from bot.core.outbox.queue import enqueue_email as enqueue_email
from bot.core.outbox.queue import enqueue_emails as enqueue_emails
from bot.core.outbox.queue import new_keys as new_keys
from bot.core.outbox.record import DispatchStats as DispatchStats
from bot.core.outbox.recovery import MAX_ATTEMPTS as MAX_ATTEMPTS
from bot.core.outbox.recovery import recover_stale as recover_stale
