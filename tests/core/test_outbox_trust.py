"""A trust on one install: each school's own sending mailbox (paced, reserved and claimed on
its own), a shared mailbox taken round the schools, and a web request's hand-over that takes
back a dead worker's urgent claims and sends cards beside emails."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.deployment.context import own_mailboxes
from bot.core.deployment.settings import Settings
from bot.core.models import DispatchWorker, MailSend, OutboxMessage, School, utcnow
from bot.core.outbox import (
    EmailDraft,
    Mailbox,
    Urgency,
    dispatch,
    enqueue_card,
    enqueue_email,
    enqueue_emails,
)
from bot.core.outbox.workers import LEASE
from bot.core.ports import Mailer, MailPacing, OutgoingEmail, SendResult, UrgentReserve
from bot.wiring import build_local
from connectors.local.connector import FileNotifier
from tests.support.keys import TEST_KEYS

AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday morning


class _Mailbox(Mailer):
    """Exchange's limits (30 a minute, one kept for urgent mail) for one address; keeps the
    keys it was given, in order."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.keys: list[str] = []

    @property
    def pacing(self) -> MailPacing:
        return MailPacing(
            self.address, per_minute=30, daily_recipients=10_000, reserve=UrgentReserve(1, 300)
        )

    def send(self, message: OutgoingEmail) -> SendResult:
        self.keys.append(message.idempotency_key)
        return SendResult(provider_id=message.idempotency_key)


def _store(url: str, schools: dict[str, int]) -> Store:
    """Schools with that many routine digests each, queued school by school."""
    store = Store(url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add_all(School(id=s, name=s.upper()) for s in schools)
        session.flush()
        for school, count in schools.items():
            enqueue_emails(
                session,
                school_id=school,
                purpose="digest",
                urgency=Urgency.ROUTINE,
                not_before=AT,
                items=[
                    (
                        f"{school}-digest{i}",
                        EmailDraft((f"p{i}@{school}.org",), "S", "t", "<p>h</p>"),
                    )
                    for i in range(count)
                ],
            )
    return store


def _alert(store: Store, school: str, key: str) -> None:
    with store.transaction() as session:
        enqueue_email(
            session,
            school_id=school,
            key=key,
            purpose="report_alert",
            urgency=Urgency.SAFEGUARDING,
            not_before=AT,
            draft=EmailDraft((f"dsl@{school}.org",), "S", "t", "<p>h</p>"),
        )


def _schools(keys: list[str]) -> Counter[str]:
    return Counter(key.partition("-")[0] for key in keys)


def test_a_shared_mailbox_takes_the_schools_in_turn_and_urgent_mail_first(
    database_url: str,
) -> None:
    store = _store(database_url, {"a": 40, "b": 40, "c": 40})
    _alert(store, "c", "c-alert")  # queued last, at the last school
    shared = _Mailbox("office@trust.example")
    dispatch(store, shared, None, now=lambda: AT)
    assert shared.keys[0] == "c-alert"
    assert len(shared.keys) == 30  # the minute's limit: 29 routine and the alert
    assert sorted(_schools(shared.keys[1:]).values()) == [9, 10, 10]
    assert [key.partition("-")[0] for key in shared.keys[1:4]] == ["a", "b", "c"]
    # the next minute goes on round the schools, the one that had less first
    dispatch(store, shared, None, now=lambda: AT + timedelta(minutes=1, seconds=1))
    assert sorted(_schools(shared.keys[1:]).values()) == [19, 19, 20]


def test_a_school_s_own_mailbox_is_claimed_paced_and_reserved_on_its_own(database_url: str) -> None:
    store = _store(database_url, {"a": 40, "b": 40, "c": 40})
    install, own = _Mailbox("bot@trust.example"), _Mailbox("office@a.example")
    boxes = (Mailbox(own, frozenset({"a"}), own.address),)
    dispatch(store, install, None, now=lambda: AT, mailboxes=boxes)
    # each mailbox sent its minute's routine share, and only its own schools' mail
    assert _schools(own.keys) == {"a": 29}
    assert set(_schools(install.keys)) == {"b", "c"} and len(install.keys) == 29
    with store.session() as session:
        counted = dict(
            session.execute(select(MailSend.mailbox, func.count()).group_by(MailSend.mailbox)).all()
        )
    assert counted == {"office@a.example": 29, "bot@trust.example": 29}
    # each keeps its own urgent reserve: an alert at school a goes from a's mailbox at once
    _alert(store, "a", "a-alert")
    dispatch(store, install, None, now=lambda: AT + timedelta(seconds=5), mailboxes=boxes)
    assert own.keys[-1] == "a-alert" and len(install.keys) == 29


def test_a_school_names_its_own_sender_and_schools_naming_one_share_it(tmp_path: Path) -> None:
    school = {"headteacher": "head@a.example"}
    schools = [
        SchoolConfig(id="a", name="A", sender="Office@Trust-East.example", **school),
        SchoolConfig(id="b", name="B", sender="office@trust-east.example", **school),
        SchoolConfig(id="c", name="C", **school),
    ]
    with pytest.raises(ValidationError, match="sender"):
        SchoolConfig(id="d", name="D", sender="not an address", **school)
    connectors = build_local(Settings(home=tmp_path))
    boxes = own_mailboxes(schools, connectors)
    assert [box.schools for box in boxes] == [frozenset({"a", "b"})]
    assert getattr(boxes[0].mailer, "sender", None) == "office@trust-east.example"
    assert own_mailboxes(schools, connectors)[0].mailer is boxes[0].mailer  # built once


def test_a_hand_over_takes_back_a_dead_worker_s_urgent_claim_at_once(database_url: str) -> None:
    store = _store(database_url, {"a": 1})
    _alert(store, "a", "a-alert")
    now = utcnow()
    dead = "elsewhere:12:0:dead"
    with store.transaction() as session:
        session.add(
            DispatchWorker(
                id=dead,
                host="elsewhere",
                pid=12,
                started_at=now,
                beat_at=now - LEASE - timedelta(seconds=1),
            )
        )
        for row in session.scalars(select(OutboxMessage)):
            row.status, row.claimed_by, row.claimed_at = "claimed", dead, now
    mailer = _Mailbox("bot@trust.example")
    stats = dispatch(store, mailer, None, now=lambda: now, up_to=Urgency.WAITING)
    assert mailer.keys == ["a-alert"] and stats.recovered == 1
    with store.session() as session:
        states = dict(
            session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status)).all()
        )
    # the routine row is the scheduler's to take back: a hand-over sends urgent mail only
    assert states == {"a-alert": "sent", "a-digest0": "claimed"}


def test_a_hand_over_sends_cards_beside_emails(database_url: str, tmp_path: Path) -> None:
    store = _store(database_url, {"a": 0})
    with store.transaction() as session:
        for i in range(30):
            enqueue_email(
                session,
                school_id="a",
                key=f"a-alert{i}",
                purpose="report_alert",
                urgency=Urgency.SAFEGUARDING,
                not_before=AT,
                draft=EmailDraft(("dsl@a.org",), "S", "t", "<p>h</p>"),
            )
            enqueue_card(
                session,
                school_id="a",
                key=f"a-card{i}",
                purpose="report_alert",
                urgency=Urgency.SAFEGUARDING,
                title="A new concern",
                text="t",
                teams={},
                chat={},
                not_before=AT,
            )
    mailer = _Mailbox("bot@trust.example")
    stats = dispatch(
        store,
        mailer,
        FileNotifier(path=tmp_path / "channel.jsonl"),
        now=lambda: AT,
        up_to=Urgency.WAITING,
        limit=20,
    )
    cards = stats.sent - len(mailer.keys)
    assert stats.sent == 20 and cards >= 9 and len(mailer.keys) >= 9
