"""Rows a crash left behind: a dead dispatch worker's claims taken back at once, any other
claim never attempted given back soon, and a send interrupted mid-way flagged (or sent again
where resending is harmless), never lost and never sent twice."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Select, Table, and_, bindparam, func, or_, select

from bot.core.database.store import Store
from bot.core.models import OutboxMessage, Urgency
from bot.core.outbox import workers as outbox_workers

__all__ = [
    "CLAIM_STALE_AFTER",
    "MAX_ATTEMPTS",
    "STALE_AFTER",
    "recover_stale",
    "wait_for_dead_claims",
]


MAX_ATTEMPTS = 8


STALE_AFTER = timedelta(minutes=15)  # a row ``sending`` this long was interrupted mid-send


# a row ``claimed`` this long was never attempted (its worker died, or is slow: see
# ``recover_stale``); well inside the minute an urgent alert has
CLAIM_STALE_AFTER = timedelta(seconds=30)


@functools.cache
def _stale_look() -> Select[int]:
    """``recover_stale``'s look for a row to take back, built once (it runs at every pass)."""
    table = OutboxMessage.__table__
    assert isinstance(table, Table)
    sending = and_(table.c.status == "sending", table.c.claimed_at < bindparam("cutoff"))
    claimed = and_(table.c.status == "claimed", table.c.claimed_at < bindparam("claim_cutoff"))
    return select(table.c.id).where(or_(sending, claimed)).limit(1)


def recover_stale(store: Store, now: datetime, *, idempotent_mailer: bool) -> int:
    """Rows left ``claimed`` or ``sending`` by a crash: a dead dispatch worker's at once
    (``outbox.workers``: its heartbeat stopped, or its process is gone); any other claimed ones
    (never attempted) go back to the queue after ``CLAIM_STALE_AFTER``; sending ones, after
    ``STALE_AFTER``, are requeued when resending is harmless, else flagged.

    A claimed row is given back soon (a killed worker must not hold a concern's alert for
    long), and that is safe even if its worker is only slow: a row moves to ``sending`` only
    from ``claimed``, in one statement, so whichever worker moves it first is the one that
    sends it; the other finds it gone and gives it up.

    Even a harmless resend stops after ``MAX_ATTEMPTS`` crashes: a message that kills the
    process every time is flagged for a person instead of looping for ever.
    """
    released = outbox_workers.release_dead(
        store, now, idempotent_mailer=idempotent_mailer, max_attempts=MAX_ATTEMPTS
    )
    cutoff = now - STALE_AFTER
    with store.session() as session:  # a look first: most passes find nothing, and write nothing
        look = {"cutoff": cutoff, "claim_cutoff": now - CLAIM_STALE_AFTER}
        if session.scalar(_stale_look(), look) is None:
            return released
    with store.transaction() as session:
        return released + outbox_workers.take_back(
            session,
            (OutboxMessage.claimed_at < now - CLAIM_STALE_AFTER,),
            (OutboxMessage.claimed_at < cutoff,),
            idempotent_mailer=idempotent_mailer,
            max_attempts=MAX_ATTEMPTS,
            error="interrupted while sending",
        )


def wait_for_dead_claims(
    store: Store, now: Callable[[], datetime], wait: Callable[[float], object], up_to: Urgency
) -> bool:
    """Wait until an urgent row another dispatcher claimed but never started may be taken
    back (``CLAIM_STALE_AFTER``); False when there is none.

    A live worker starts its urgent rows first, a moment after claiming them: one still only
    claimed is most likely held by a worker that died. Left to the next pass, a minute later,
    a concern's alert claimed just before this pass would wait up to ``CLAIM_STALE_AFTER`` and
    a minute; waiting here, at most ``CLAIM_STALE_AFTER``.
    """
    urgent = min(up_to, Urgency.WAITING)  # routine rows wait for the next pass, as before
    with store.session() as session:
        oldest = session.scalar(
            select(func.min(OutboxMessage.claimed_at)).where(
                OutboxMessage.status == "claimed", OutboxMessage.urgency <= int(urgent)
            )
        )
    if oldest is None:
        return False
    # a second past the cutoff: ``recover_stale`` takes back claims strictly older than it
    wait(max((oldest + CLAIM_STALE_AFTER - now()).total_seconds(), 0.0) + 1.0)
    return True
