"""A file many messages carry alike (a policy's review event in every governor's digest) is
stored once, by its content's SHA-256: each message names it, each recipient gets it whole
through a real mail server, exactly once; a stored file changed after queueing is refused,
never sent; retention lets go of it once no message keeping its body carries it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from alembic import command
from icalendar import Calendar, Event
from sqlalchemy import delete, func, select, update

from bot.core.database.store import Store, alembic_config
from bot.core.deployment.settings import RetentionSettings
from bot.core.models import OutboxAttachment, OutboxAttachmentUse, OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email, enqueue_emails
from bot.core.ports import Attachment
from bot.engine.maintenance import run_maintenance
from connectors.local.connector import SmtpMailer
from connectors.mime import KEY_HEADER
from tests.support.helpers import payload_of
from tests.support.keys import TEST_KEYS
from tests.support.smtp import running_smtp

GOVERNORS = ("amy", "ben", "cat")


def _ics(uid: str, day: date) -> Attachment:
    """A review event as a calendar program writes it (the icalendar library)."""
    cal = Calendar()
    cal.add("prodid", "-//test//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime(2026, 11, 23, 7, 0))
    event.add("dtstart", day)
    event.add("summary", "Policy review due")
    cal.add_component(event)
    return Attachment(f"{uid}.ics", "text/calendar; method=PUBLISH", cal.to_ical())


SAFETY = _ics("online-safety", date(2027, 1, 5))
BEHAVIOUR = _ics("behaviour", date(2027, 2, 9))


def _draft(who: str, files: tuple[Attachment, ...]) -> EmailDraft:
    return EmailDraft(
        to=(f"{who}@oak.example",),
        subject="Policy reviews for governors",
        text=f"Dear {who}",
        html=f"<p>Dear {who}</p>",
        attachments=files,
    )


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="oak", name="Oak"))
    yield store
    store.dispose()


def _queue(store: Store, who: tuple[str, ...], day: str = "mon") -> None:
    """Each governor's digest; Cat's carries both events, the others the online-safety one."""
    with store.transaction() as session:
        enqueue_emails(
            session,
            school_id="oak",
            purpose="governor_review",
            urgency=Urgency.ROUTINE,
            items=[
                (
                    f"governor_review:{w}:{day}",
                    _draft(w, (SAFETY, BEHAVIOUR) if w == "cat" else (SAFETY,)),
                )
                for w in who
            ],
        )


def _count(store: Store, model: type[object]) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_file_many_messages_carry_is_stored_once_and_each_gets_it_whole_once(
    store: Store,
) -> None:
    _queue(store, GOVERNORS)
    with store.session() as session:
        stored = dict(session.execute(select(OutboxAttachment.sha256, OutboxAttachment.data)).all())
        assert stored == {hashlib.sha256(f.data).hexdigest(): f.data for f in (SAFETY, BEHAVIOUR)}
        rows = session.scalars(select(OutboxMessage)).all()
        assert all("data" not in a for r in rows for a in r.payload["attachments"])
        assert _count(store, OutboxAttachmentUse) == 4
    with running_smtp() as (inbox, port):
        mailer = SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")
        assert dispatch(store, mailer, None).sent == 3
        assert dispatch(store, mailer, None).sent == 0  # nothing sent twice
    received = {m[KEY_HEADER]: m for m in inbox.messages}
    assert len(inbox.messages) == 3
    for who in GOVERNORS:
        parts = list(received[f"governor_review:{who}:mon"].iter_attachments())
        wanted = (SAFETY, BEHAVIOUR) if who == "cat" else (SAFETY,)
        assert [(p.get_filename(), p.get_payload(decode=True)) for p in parts] == [
            (f.filename, f.data) for f in wanted
        ]
        assert all(p.get_content_type() == "text/calendar" for p in parts)
        assert all(p.get_param("method") == "PUBLISH" for p in parts)


def test_a_message_queued_alone_keeps_its_file_with_it(store: Store) -> None:
    with store.transaction() as session:
        enqueue_email(
            session,
            school_id="oak",
            key="governor_review_moved:amy",
            purpose="governor_review_moved",
            urgency=Urgency.ROUTINE,
            draft=_draft("amy", (SAFETY,)),
        )
    with store.session() as session:
        assert payload_of(session, session.scalars(select(OutboxMessage)).one())["attachments"] == [
            session.scalars(select(OutboxMessage)).one().payload["attachments"][0]
        ]
    assert _count(store, OutboxAttachment) == 0
    with running_smtp() as (inbox, port):
        assert (
            dispatch(
                store, SmtpMailer("127.0.0.1", port, "b@oak.example", security="none"), None
            ).sent
            == 1
        )
    [part] = list(inbox.messages[0].iter_attachments())
    assert part.get_payload(decode=True) == SAFETY.data


def test_a_stored_file_changed_after_queueing_is_refused_never_sent(store: Store) -> None:
    _queue(store, GOVERNORS)
    with store.transaction() as session:
        session.execute(
            update(OutboxAttachment)
            .where(OutboxAttachment.data == BEHAVIOUR.data)
            .values(data=b"BEGIN:VCALENDAR\r\nforged\r\n")
        )
    with running_smtp() as (inbox, port):
        mailer = SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")
        stats = dispatch(store, mailer, None)
    assert stats.sent == 2 and len(inbox.messages) == 2
    with store.session() as session:
        cat = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "governor_review:cat:mon")
        ).one()
        assert cat.status == "failed" and "attachment" in (cat.last_error or "")


def test_retention_lets_go_of_a_file_once_no_message_keeping_its_body_carries_it(
    store: Store,
) -> None:
    now = utcnow()
    _queue(store, ("amy", "ben"), "mon")
    _queue(store, ("cat",), "tue")  # another transaction: its own copy of the shared file
    assert _count(store, OutboxAttachment) == 3
    with store.transaction() as session:
        session.execute(
            update(OutboxMessage).values(
                status="sent", provider_id="<x@oak>", sent_at=now - timedelta(days=40)
            )
        )
        session.execute(  # Ben's went recently: it keeps its body, and the file with it
            update(OutboxMessage)
            .where(OutboxMessage.idempotency_key == "governor_review:ben:mon")
            .values(sent_at=now - timedelta(days=5))
        )
    run_maintenance(store, RetentionSettings(), [], now)
    with store.session() as session:
        assert session.scalars(select(OutboxAttachment.data)).all() == [SAFETY.data]
        ben = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "governor_review:ben:mon")
        ).one()
        assert payload_of(session, ben)["attachments"][0]["filename"] == SAFETY.filename
    with store.transaction() as session:  # Ben's message disposed of (its school's schedule)
        session.execute(
            delete(OutboxMessage).where(OutboxMessage.idempotency_key == "governor_review:ben:mon")
        )
    run_maintenance(store, RetentionSettings(), [], now)
    assert _count(store, OutboxAttachment) == _count(store, OutboxAttachmentUse) == 0


def test_a_waiting_message_keeps_its_file_through_retention(store: Store) -> None:
    _queue(store, ("amy",))
    run_maintenance(store, RetentionSettings(), [], utcnow() + timedelta(days=400))
    with running_smtp() as (inbox, port):
        mailer = SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")
        assert dispatch(store, mailer, None).sent == 1
    [part] = list(inbox.messages[0].iter_attachments())
    assert part.get_payload(decode=True) == SAFETY.data


def test_downgrading_writes_each_stored_file_back_into_its_messages(store: Store) -> None:
    _queue(store, GOVERNORS)
    with store.session() as session:
        expected = {r.id: payload_of(session, r) for r in session.scalars(select(OutboxMessage))}
    command.downgrade(alembic_config(store.engine), "legal_holds")
    with store.engine.connect() as conn:
        table = OutboxMessage.__table__
        stored = dict(conn.execute(select(table.c.id, table.c.payload)).all())
    for payload in expected.values():
        payload["attachments"] = [
            {k: v for k, v in a.items() if k not in ("id", "sha256")}
            for a in payload["attachments"]
        ]
    assert stored == expected and len(stored) == 3
