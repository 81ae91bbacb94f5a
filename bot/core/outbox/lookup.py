"""Unknown send outcomes settled by the platform: a message left ``delivery_unknown`` (the
platform's answer was lost, or its dispatcher died mid-send) is looked up by its Message-ID in
the sending mailbox's sent items, where the mailer can (``SentItemsLookup``: Graph, Gmail).

Found: the row becomes ``sent`` (audited as the bot's finding, in one guarded UPDATE, so it is
never sent twice and never overrides a person's decision made meanwhile). Not found: looked up
again a little later (a sent item can take a moment to appear), then left for a person with a
plain reason. Not permitted: left for a person at once, saying which permission is missing.
A mailer that cannot look (SMTP, the .eml writer) leaves every such row for a person, as before.

Bounces: a ``sent`` message the platform accepted and then could not deliver (a non-delivery
report came back to the sending mailbox: ``BounceReader``) becomes ``bounced`` — shown, as a
refused message is, for a person to fix the address and resend.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, true, update
from sqlalchemy.sql.elements import ColumnElement

from bot.core import audit
from bot.core.database.store import Store
from bot.core.models import OutboxMessage
from bot.core.ports import BounceReader, ConnectorError, LookupNotPermittedError, SentItemsLookup

__all__ = [
    "BOUNCE_WINDOW",
    "LOOK_AFTER",
    "MAX_LOOKUPS",
    "LookupStats",
    "record_bounces",
    "settle_unknown",
]

log = logging.getLogger("bot.core.outbox")

LOOK_AFTER = timedelta(minutes=1)  # a sent item appears within moments; give it a minute
MAX_LOOKUPS = 3  # a minute, then 10 and 30 minutes later; then a person decides
_AGAIN = (timedelta(minutes=10), timedelta(minutes=30))
PER_PASS = 20  # lookups in one pass at most (each is one platform read)
ACTOR = "bot:sent-items-lookup"
BOUNCE_WINDOW = timedelta(days=2)  # a report comes back within minutes; later ones are rare
BOUNCE_ROWS = 500  # the newest sent rows matched against the reports in one pass


@dataclass
class LookupStats:
    """What one round of lookups found."""

    found: int = 0
    not_found: int = 0
    left_for_a_person: int = 0


def _not_found(row: OutboxMessage, now: datetime) -> str:
    looks = row.sent_lookups + 1
    if looks >= MAX_LOOKUPS:
        return (
            f"not in the sending mailbox's sent items after {looks} looks: a person should "
            "check whether it arrived (then `outbox resolve --sent` or `--resend`)"
        )
    return f"not in the sending mailbox's sent items yet (look {looks} of {MAX_LOOKUPS})"


def settle_unknown(
    store: Store, mailer: object, now: datetime, *, mine: ColumnElement[bool] | None = None
) -> LookupStats:
    """Look up due ``delivery_unknown`` email rows (those ``mine`` selects, when given: the
    schools whose mail the mailbox sends) in the mailbox's sent items; mark the ones found
    ``sent`` (audited), count the looks on the others. Nothing when the mailer cannot."""
    stats = LookupStats()
    if not isinstance(mailer, SentItemsLookup):
        return stats
    with store.session() as session:
        due = session.execute(
            select(OutboxMessage.id, OutboxMessage.idempotency_key)
            .where(
                OutboxMessage.status == "delivery_unknown",
                OutboxMessage.channel == "email",
                OutboxMessage.sent_lookups < MAX_LOOKUPS,
                true() if mine is None else mine,
                OutboxMessage.next_attempt_at <= now,
                (OutboxMessage.claimed_at.is_(None))
                | (OutboxMessage.claimed_at <= now - LOOK_AFTER),
            )
            .order_by(OutboxMessage.urgency, OutboxMessage.id)
            .limit(PER_PASS)
        ).all()
    for row_id, key in due:
        try:
            found = mailer.find_sent(key)
        except LookupNotPermittedError as exc:
            why = f"{exc}; a person should check whether it arrived"
            _mark(store, row_id, "delivery_unknown", sent_lookups=MAX_LOOKUPS, last_error=why[:500])
            stats.left_for_a_person += 1
            continue
        except ConnectorError:  # the platform cannot answer now: the next pass asks again
            continue
        if found is None:
            stats.not_found += 1
            with store.transaction() as session:
                row = session.get(OutboxMessage, row_id, with_for_update=True)
                if row is None or row.status != "delivery_unknown":
                    continue
                row.last_error = _not_found(row, now)
                row.sent_lookups += 1
                if row.sent_lookups < MAX_LOOKUPS:
                    row.next_attempt_at = now + _AGAIN[min(row.sent_lookups - 1, len(_AGAIN) - 1)]
                else:
                    stats.left_for_a_person += 1
            continue
        if _mark(
            store,
            row_id,
            "delivery_unknown",
            actor=ACTOR,
            action="outbox.found_sent",
            status="sent",
            sent_at=now,
            provider_id=found.provider_id,
            last_error=None,
        ):
            stats.found += 1
    if stats.found or stats.left_for_a_person:
        log.info(
            "outbox: %d unknown outcome(s) found sent in the mailbox; %d left for a person",
            stats.found,
            stats.left_for_a_person,
        )
    return stats


def _mark(
    store: Store,
    row_id: int,
    was: str,
    *,
    actor: str = ACTOR,
    action: str | None = None,
    **values: object,
) -> bool:
    """Set ``values`` on a row still ``was`` (one guarded UPDATE: a person's decision made
    meanwhile stands) and audit it as ``action`` (None: not audited, e.g. a row left for a
    person to decide); False when the row had moved on."""
    with store.transaction() as session:
        marked = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status == was)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if not marked.rowcount or action is None:  # type: ignore[attr-defined]
            return bool(marked.rowcount)  # type: ignore[attr-defined]
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        audit.record(
            session,
            actor=actor,
            action=action,
            object_type="outbox",
            object_id=row_id,
            school_id=row.school_id,
            details={"was": was, "purpose": row.purpose},
        )
    return True


def record_bounces(store: Store, mailer: object, now: datetime) -> int:
    """Mark ``bounced`` (audited) the recently sent email rows a non-delivery report in the
    sending mailbox names; returns how many. Nothing when the mailer cannot read reports."""
    if not isinstance(mailer, BounceReader):
        return 0
    since = now - BOUNCE_WINDOW
    with store.session() as session:
        sent: dict[str, int] = {
            key: row_id
            for key, row_id in session.execute(
                select(OutboxMessage.idempotency_key, OutboxMessage.id)
                .where(
                    OutboxMessage.status == "sent",
                    OutboxMessage.channel == "email",
                    OutboxMessage.sent_at >= since,
                )
                .order_by(OutboxMessage.id.desc())
                .limit(BOUNCE_ROWS)
            )
        }
    if not sent:
        return 0
    try:
        bounced = mailer.bounced(list(sent), since)
    except ConnectorError:  # the platform cannot answer now: the next pass asks again
        return 0
    marked = sum(
        _mark(
            store,
            sent[key],
            "sent",
            actor="bot:bounce-reports",
            action="outbox.bounced",
            status="bounced",
            last_error=why[:500],
        )
        for key, why in bounced.items()
    )
    if marked:
        log.warning("outbox: %d sent message(s) bounced (a non-delivery report came back)", marked)
    return marked
