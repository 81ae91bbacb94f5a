"""Queueing outgoing messages: every message is an outbox row, written in the caller's
transaction with its idempotency key and its urgency, before anything is sent.

A key already queued is never queued twice (a race with another writer ends the same way), and
while a newly set-up school is in preview only what people are waiting for is queued. The
dispatcher (``bot.core.outbox``) delivers the rows.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.core.audit.queued import seal_rows
from bot.core.database.store import bulk_insert, dialect_insert, one_of
from bot.core.deployment.setup_state import is_sending
from bot.core.guards.emails import has_mailbox
from bot.core.models import OutboxAttachmentUse, OutboxMessage, TeamsChat, Urgency, utcnow
from bot.core.outbox import bodies as outbox_bodies
from bot.core.ports import Attachment

if TYPE_CHECKING:
    from bot.core.rendering.rendered import Rendered

__all__ = [
    "NEVER_HELD",
    "EmailDraft",
    "add_merged",
    "enqueue_card",
    "enqueue_chat_card",
    "enqueue_email",
    "enqueue_emails",
    "fall_back",
    "held_in_preview",
    "new_keys",
]

# What still goes while a newly set-up school is in preview: answers to something a person just
# did or is waiting for (a concern's alerts, receipts and deadlines, sign-in links, a receipt for
# their signature, a delivery failure, a sweep step failing, a school's settings failing the
# checks, a policy file refused, the bot answering someone who wrote to it). Everything else
# (reminders, chasing, digests, review alerts) waits until an admin presses "Start sending".
NEVER_HELD = frozenset(
    {
        "link_renewal",
        "signin_link",
        "delivery_alert",
        "aup_receipt",
        "step_failed",
        "settings_problem",
        "document_refused",
        "teams_reply",
    }
)


def held_in_preview(session: Session, school_id: str, purpose: str) -> bool:
    """True when this purpose must not be queued yet because ``school_id`` is in preview
    (another school of the trust having started changes nothing)."""
    if purpose in NEVER_HELD or purpose.startswith("report_"):
        return False
    return not is_sending(session, school_id)


@dataclass(frozen=True)
class EmailDraft:
    """A rendered email waiting for its outbox row."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    from_name: str | None = None
    reply_to: str | None = None
    # the deadline behind a ``live_text.TIME_LEFT`` marker in the text: filled in when sent
    deadline: datetime | None = None
    # a body many drafts share and this draft's values for its slots: the body is stored once
    # and filled when sent (``text`` and ``html`` are then left empty; ``parts`` has them)
    shared: Rendered | None = None
    slots: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Nothing goes to someone kept without an email address: they are dropped from the
        copies, and a message meant for them alone goes to the school office (``reply_to``)."""
        to = tuple(a for a in self.to if has_mailbox(a))
        if not to and self.to and self.reply_to:
            to = (self.reply_to,)
        if not to:
            raise ValueError("an email needs at least one address that mail can reach")
        object.__setattr__(self, "to", to)
        object.__setattr__(self, "cc", tuple(a for a in self.cc if has_mailbox(a) and a not in to))

    def parts(self) -> tuple[str, str]:
        """The text and HTML parts as the recipient will read them."""
        return self.shared.fill(self.slots) if self.shared else (self.text, self.html)

    def whole(self) -> EmailDraft:
        """This draft with its shared body filled in (kept with the message alone)."""
        text, html = self.parts()
        return replace(self, text=text, html=html, shared=None, slots={})


def _row(
    *,
    school_id: str,
    key: str,
    channel: str,
    purpose: str,
    urgency: int,
    recipients: Sequence[str],
    subject: str,
    payload: dict[str, Any],
    cc: Sequence[str] = (),
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """One pending outbox row, as the table keeps it."""
    return dict(
        school_id=school_id,
        idempotency_key=key,
        channel=channel,
        purpose=purpose,
        urgency=int(urgency),
        recipients=list(recipients),
        cc=list(cc),
        subject=subject[:300],
        payload=payload,
        status="pending",
        next_attempt_at=not_before or utcnow(),
    )


def _insert(session: Session, row: dict[str, Any]) -> bool:
    """Insert one pending row (``_row``) unless the key exists (a race with another writer also
    ends in 'already there') or the school is in preview and this kind of message waits for
    "Start sending".

    One statement (``INSERT … ON CONFLICT DO NOTHING``) on the session's connection: a stored
    report queues its alerts with it, and a read, a savepoint and an ORM flush per row cost
    the form's answer more than the write did."""
    if held_in_preview(session, row["school_id"], row["purpose"]):
        return False
    session.flush()  # what the row refers to, added to the session, is written first
    seal_rows(session, [row])
    table = OutboxMessage.__table__
    statement = (
        dialect_insert(session, table)
        .values(row)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    )
    return session.connection().execute(statement).first() is not None


def _email_row(
    school_id: str,
    key: str,
    purpose: str,
    urgency: int,
    draft: EmailDraft,
    not_before: datetime | None,
    stored: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """One pending email row (``_row``) for ``draft``."""
    return _row(
        school_id=school_id,
        key=key,
        channel="email",
        purpose=purpose,
        urgency=urgency,
        recipients=draft.to,
        cc=draft.cc,
        subject=draft.subject,
        payload=_email_payload(draft, stored),
        not_before=not_before,
    )


def _file(attachment: Attachment, stored: Mapping[str, int]) -> dict[str, Any]:
    """An attachment as a payload keeps it: the stored file it names, or (a message alone)
    its content."""
    said = {"filename": attachment.filename, "content_type": attachment.content_type}
    sha = hashlib.sha256(attachment.data).hexdigest()
    if sha in stored:
        return said | {"sha256": sha, "id": stored[sha]}
    return said | {"data": base64.b64encode(attachment.data).decode()}


def _email_payload(draft: EmailDraft, stored: Mapping[str, int] | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = (
        {"deadline": draft.deadline.isoformat()} if draft.deadline is not None else {}
    )
    if draft.shared is not None:  # the body is its own row (``outbox.bodies``)
        extra["slots"] = dict(draft.slots)
    else:
        extra.update(text=draft.text, html=draft.html)
    return {
        **extra,
        "from_name": draft.from_name,
        "reply_to": draft.reply_to,
        "attachments": [_file(a, stored or {}) for a in draft.attachments],
    }


def enqueue_emails(
    session: Session,
    *,
    school_id: str,
    purpose: str,
    urgency: Urgency,
    items: Sequence[tuple[str, EmailDraft]],
    not_before: datetime | None = None,
    checked: bool = False,
) -> set[str]:
    """Add many emails at once (keys already present are skipped; the first of a key given
    twice is kept); returns the keys added. ``checked``: ``new_keys`` found them new already.

    One query finds existing keys and one bulk INSERT writes the rest: a 10,000-person
    reminder run must not cost 10,000 round trips. In preview nothing held is added.
    """
    if not checked:
        new = new_keys(session, school_id, purpose, [key for key, _ in items])
        items = [(key, draft) for key, draft in items if key in new]
    when = not_before or utcnow()
    fresh: dict[str, EmailDraft] = {}
    for key, draft in items:
        fresh.setdefault(key, draft)
    body_ids = outbox_bodies.store(session, [d.shared for d in fresh.values() if d.shared])
    stored = outbox_bodies.store_files(session, [a for d in fresh.values() for a in d.attachments])
    rows = [
        {
            **_email_row(school_id, key, purpose, urgency, draft, when, stored),
            "body_id": body_ids[draft.shared.sha256] if draft.shared else None,
            "attempts": 0,
            "created_at": utcnow(),
        }
        for key, draft in fresh.items()
    ]
    seal_rows(session, rows, {i: sha for sha, i in body_ids.items()})
    bulk_insert(session, OutboxMessage, rows)
    uses = {(r["idempotency_key"], a["id"]) for r in rows for a in r["payload"]["attachments"]}
    bulk_insert(session, OutboxAttachmentUse, [dict(zip(_USES, u, strict=True)) for u in uses])
    return set(fresh)


_USES = ("message_key", "attachment_id")


def new_keys(session: Session, school_id: str, purpose: str, keys: Sequence[str]) -> set[str]:
    """The keys not in the outbox yet: what ``enqueue_emails`` may add (none held in preview).

    A caller that checks first can prepare what depends on it (a sweep records the reminder
    stage on its duties) and add the emails later in the same transaction.
    """
    if held_in_preview(session, school_id, purpose):
        return set()
    existing: set[str] = set()
    among, chunk = one_of(session, OutboxMessage.idempotency_key, "keys")
    query = select(OutboxMessage.idempotency_key).where(among)
    for start in range(0, len(keys), chunk):
        existing.update(session.scalars(query, {"keys": keys[start : start + chunk]}))
    return set(keys) - existing


def add_merged(
    session: Session,
    *,
    school_id: str,
    purpose: str,
    into: str,
    items: Sequence[tuple[str, EmailDraft]],
) -> None:
    """Keep, under their own keys, messages sent as part of another (``into``): rows with the
    status ``merged`` that no dispatcher claims and that carry no body, so that each key is
    still taken once (nothing sent twice) and still counts where keys are counted (a person's
    reminders in a week); the message ``into`` carries what they said."""
    rows = [
        {
            **_row(
                school_id=school_id,
                key=key,
                channel="email",
                purpose=purpose,
                urgency=Urgency.ROUTINE,
                recipients=draft.to,
                subject=draft.subject,
                payload={"merged_into": into},
            ),
            "status": "merged",
            "body_id": None,
            "attempts": 0,
            "created_at": utcnow(),
        }
        for key, draft in items
    ]
    seal_rows(session, rows)
    bulk_insert(session, OutboxMessage, rows)


def enqueue_email(
    session: Session,
    *,
    school_id: str,
    key: str,
    purpose: str,
    urgency: Urgency,
    draft: EmailDraft,
    not_before: datetime | None = None,
) -> bool:
    """Add an email to the outbox; returns False when the key was already there (no duplicate)."""
    draft = draft.whole()  # one message alone shares nothing: its body goes with it
    return _insert(session, _email_row(school_id, key, purpose, urgency, draft, not_before))


def enqueue_card(
    session: Session,
    *,
    school_id: str,
    key: str,
    purpose: str,
    urgency: Urgency,
    title: str,
    text: str,
    teams: dict[str, Any],
    chat: dict[str, Any],
    not_before: datetime | None = None,
) -> bool:
    """Add a channel card (Teams / Chat / file) to the outbox."""
    return _insert(
        session,
        _row(
            school_id=school_id,
            key=key,
            channel="card",
            purpose=purpose,
            urgency=urgency,
            recipients=(),
            subject=title,
            payload={"text": text, "teams": teams, "chat": chat},
            not_before=not_before,
        ),
    )


def enqueue_chat_card(
    session: Session,
    *,
    school_id: str,
    key: str,
    purpose: str,
    urgency: Urgency,
    recipient: str,
    title: str,
    text: str,
    chat_id: str,
    service_url: str,
    card: dict[str, Any],
    feed: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    fallback: tuple[str, EmailDraft] | None = None,
    quiet: bool = False,
) -> bool:
    """Add a card for one person's chat with the school's Teams bot (channel ``teams``), or
    with ``feed`` an activity-feed notification instead; False when the key was already there
    (no duplicate).

    ``fallback`` (key, email) is what goes instead when Teams refuses the card for good (the
    app uninstalled, the chat gone): the email is queued then, under its key, at most once
    (``outbox.record``). ``quiet``: such a refusal is no admin's concern (a nudge beside a card
    that has its own fallback), so the row is set aside without an alert.
    """
    teams: dict[str, Any] = {"conversation": chat_id, "service_url": service_url, "card": card}
    if feed is not None:
        teams["feed"] = feed
    if fallback is not None:
        fallback_key, draft = fallback
        draft = draft.whole()  # the shared body may be gone by then
        teams["fallback"] = {
            "key": fallback_key,
            "to": list(draft.to),
            "cc": list(draft.cc),
            "subject": draft.subject[:300],
            "payload": _email_payload(draft),
        }
    elif quiet:
        teams["fallback"] = {}
    return _insert(
        session,
        _row(
            school_id=school_id,
            key=key,
            channel="teams",
            purpose=purpose,
            urgency=urgency,
            recipients=(recipient,),
            subject=title,
            payload={"text": text, "teams": teams},
            not_before=not_before,
        ),
    )


def fall_back(session: Session, row: OutboxMessage, now: datetime) -> bool:
    """A ``teams`` row Teams refused for good, when it named what to do then (its
    ``fallback``): set it aside as ``fell_back`` (no admin alert: the person is reached another
    way) and queue its email, once (the email's key is unique), then forget the person's chat
    so their next messages go by email until the bot reaches them again. False when the row
    named no fallback (it fails as any other refused message)."""
    teams = row.payload.get("teams") if isinstance(row.payload, dict) else None
    fallback = teams.get("fallback") if isinstance(teams, dict) else None
    if not isinstance(fallback, dict):
        return False
    row.status = "fell_back"
    if fallback.get("key"):
        _insert(
            session,
            _row(
                school_id=row.school_id,
                key=str(fallback["key"]),
                channel="email",
                purpose=row.purpose,
                urgency=row.urgency,
                recipients=fallback["to"],
                cc=fallback.get("cc") or (),
                subject=str(fallback["subject"]),
                payload=dict(fallback["payload"]),
                not_before=now,
            ),
        )
    if teams is not None and "feed" not in teams and teams.get("conversation"):
        session.execute(delete(TeamsChat).where(TeamsChat.chat_id == teams["conversation"]))
    return True
