"""A body many messages share is stored once, sent to each person filled with their own values
(exactly as their own render), fingerprinted whole as evidence, and let go by retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, update

from bot.core.database.store import Store, alembic_config
from bot.core.deployment.settings import RetentionSettings
from bot.core.models import OutboxBody, OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_emails
from bot.core.rendering.rendered import Rendered, slot
from bot.engine.maintenance import body_sha256, run_maintenance
from connectors.local.connector import SmtpMailer
from connectors.mime import KEY_HEADER
from tests.support.helpers import payload_of
from tests.support.keys import TEST_KEYS
from tests.support.smtp import running_smtp

BODY = Rendered(
    f"Dear {slot('name')},\nPlease read it: {slot('url0')}\n",
    f'<p>Dear {slot("name")},</p><p><a href="{slot("url0")}">Read</a></p>',
)
PEOPLE = {"amy": "Amy O'Neil & Co", "ben": "Ben <Head>", "cat": "Cat"}


def _draft(who: str, body: Rendered = BODY) -> EmailDraft:
    return EmailDraft(
        to=(f"{who}@oak.example",),
        subject="Action needed: Online Safety Policy",
        text="",
        html="",
        from_name="Oak School",
        reply_to="office@oak.example",
        shared=body,
        slots={"name": PEOPLE[who], "url0": f"https://bot.oak.example/ack/{who}?a=1&b=2"},
    )


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="oak", name="Oak"))
    yield store
    store.dispose()


def _queue(store: Store, who: list[str], body: Rendered = BODY) -> set[str]:
    with store.transaction() as session:
        return enqueue_emails(
            session,
            school_id="oak",
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            items=[(f"reminder:{w}:{body.sha256[:8]}", _draft(w, body)) for w in who],
        )


def test_a_shared_body_is_stored_once_and_each_person_gets_their_own_email(store: Store) -> None:
    assert len(_queue(store, list(PEOPLE))) == 3
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxBody)) == 1
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert {row.body_id for row in rows} == {session.scalar(select(OutboxBody.id))}
        assert all("text" not in row.payload and "html" not in row.payload for row in rows)
        for row, who in zip(rows, PEOPLE, strict=True):
            whole = payload_of(session, row)
            assert (whole["text"], whole["html"]) == _draft(who).parts()
    with running_smtp() as (inbox, port):
        mailer = SmtpMailer("127.0.0.1", port, "bot@oak.example", security="none")
        assert dispatch(store, mailer, None).sent == 3
    received = {m[KEY_HEADER]: m for m in inbox.messages}
    assert len(received) == 3
    for who in PEOPLE:
        message = received[f"reminder:{who}:{BODY.sha256[:8]}"]
        parts = [message.get_body((kind,)) for kind in ("plain", "html")]
        received_parts = tuple(
            p.get_content().replace("\r\n", "\n").rstrip("\n")  # type: ignore[union-attr]
            for p in parts
        )
        assert received_parts == tuple(p.rstrip("\n") for p in _draft(who).parts())
    assert "Dear Ben &lt;Head&gt;," in _draft("ben").parts()[1]
    assert "Dear Ben <Head>," in _draft("ben").parts()[0]


def test_a_body_is_shared_within_one_transaction_only(store: Store) -> None:
    """Retention may delete a body no committed message needs at any moment, so a body written
    earlier is never taken for a new message: the same rendering queued later is stored again."""
    _queue(store, ["amy", "ben"])
    _queue(store, ["cat"])
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxBody)) == 2
        assert len(set(session.scalars(select(OutboxMessage.body_id)))) == 2


def test_retention_fingerprints_the_whole_body_and_lets_go_of_it_when_none_needs_it(
    store: Store,
) -> None:
    now = utcnow()
    _queue(store, ["amy", "ben"])
    other = Rendered(
        f"Hello {slot('name')} {slot('url0')}", f"<p>Hello {slot('name')}</p>{slot('url0')}"
    )
    _queue(store, ["cat"], other)
    with store.transaction() as session:
        rows = {r.recipients[0].split("@")[0]: r for r in session.scalars(select(OutboxMessage))}
        fingerprints = {
            who: body_sha256(row, payload_of(session, row)) for who, row in rows.items()
        }
        session.execute(
            update(OutboxMessage).values(
                status="sent", provider_id="<x@oak>", sent_at=now - timedelta(days=40)
            )
        )
        rows["ben"].sent_at = now - timedelta(days=5)  # too recent: keeps its body (and ours)
    kept = run_maintenance(store, RetentionSettings(), [], now)
    assert kept.bodies == 2
    with store.session() as session:
        rows = {r.recipients[0].split("@")[0]: r for r in session.scalars(select(OutboxMessage))}
        for who in ("amy", "cat"):
            assert rows[who].body_id is None and rows[who].payload == {}
            assert rows[who].body_sha256 == fingerprints[who]  # the evidence of what was sent
        assert payload_of(session, rows["ben"])["text"].startswith("Dear Ben <Head>,")
        assert session.scalar(select(func.count()).select_from(OutboxBody)) == 1  # ben's
    later = run_maintenance(store, RetentionSettings(), [], now + timedelta(days=40))
    assert later.bodies == 1
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxBody)) == 0
        ben = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.startswith("reminder:ben"))
        ).one()
        assert ben.body_sha256 == fingerprints["ben"]


def test_downgrading_writes_each_shared_body_back_into_its_messages(store: Store) -> None:
    _queue(store, ["amy", "ben"])
    with store.session() as session:
        expected = {
            row.id: payload_of(session, row) for row in session.scalars(select(OutboxMessage))
        }
    command.downgrade(alembic_config(store.engine), "0019")
    with store.engine.connect() as conn:
        stored = dict(
            conn.execute(
                select(OutboxMessage.__table__.c.id, OutboxMessage.__table__.c.payload)
            ).all()
        )
    assert stored == expected
    assert stored and all(p["text"].startswith("Dear ") for p in stored.values())
