"""Urgent before routine: the claim's order, the urgent reserve, urgent-only hand-overs, and a
paced mailbox sending at its limit with passes a minute apart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core.database.store import Store
from bot.core.models import MailSend, OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email, enqueue_emails
from bot.core.outbox import pacing as mail_pacing
from bot.core.outbox.claim import claim, start
from bot.core.ports import Mailer, MailPacing, OutgoingEmail, SendResult, UrgentReserve
from tests.support.keys import TEST_KEYS

MINUTE = timedelta(seconds=60)


def _draft(to: str, *cc: str) -> EmailDraft:
    return EmailDraft(to=(to,), cc=cc, subject="S", text="t", html="<p>h</p>")


def _store(url: str, routine: int, *, at: datetime) -> Store:
    """A school with ``routine`` digests queued at ``at``."""
    store = Store(url, keys=TEST_KEYS)
    store.upgrade()
    with store.transaction() as session:
        session.add(School(id="s", name="S"))
        session.flush()
        enqueue_emails(
            session,
            school_id="s",
            purpose="digest",
            urgency=Urgency.ROUTINE,
            not_before=at,
            items=[(f"digest{i}", _draft(f"p{i}@x.org")) for i in range(routine)],
        )
    return store


def _queue(store: Store, key: str, urgency: Urgency, at: datetime) -> None:
    with store.transaction() as session:
        enqueue_email(
            session,
            school_id="s",
            key=key,
            purpose="report_alert",
            urgency=urgency,
            draft=_draft("dsl@x.org", "deputy@x.org"),
            not_before=at,
        )


class _Mailer(Mailer):
    """Accepts everything and keeps the order of the keys it was given."""

    pacing: MailPacing | None = None  # type: ignore[assignment]  # set per test

    def __init__(self, pacing: MailPacing | None) -> None:
        self.pacing = pacing
        self.keys: list[str] = []

    def send(self, message: OutgoingEmail) -> SendResult:
        self.keys.append(message.idempotency_key)
        return SendResult(provider_id=message.idempotency_key)


def _at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


class _Clock:
    """A clock that moves on a little at every look, and sleeps by moving on."""

    def __init__(self, at: datetime, step: float = 0.25) -> None:
        self.at, self.step = at, timedelta(seconds=step)

    def __call__(self) -> datetime:
        self.at += self.step
        return self.at

    def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def _statuses(store: Store) -> Counter[tuple[str, str]]:
    with store.session() as session:
        rows = session.execute(select(OutboxMessage.purpose, OutboxMessage.status)).all()
    return Counter((purpose, status) for purpose, status in rows)


def test_the_most_urgent_due_rows_are_claimed_first_whatever_their_age(database_url: str) -> None:
    """Digests queued an hour before a concern still go after it, and after a receipt someone
    waits for; among equals the oldest goes first. A row not yet due waits whatever it is."""
    now = utcnow()
    store = _store(database_url, 5, at=now - timedelta(hours=1))
    _queue(store, "receipt", Urgency.WAITING, now - timedelta(minutes=2))
    _queue(store, "alert", Urgency.SAFEGUARDING, now - timedelta(minutes=1))
    _queue(store, "later-alert", Urgency.SAFEGUARDING, now + timedelta(hours=1))
    mailer = _Mailer(None)
    dispatch(store, mailer, None, now=lambda: now)
    assert mailer.keys == ["alert", "receipt", *(f"digest{i}" for i in range(5))]
    store.dispose()


def test_a_hand_over_up_to_waiting_never_sends_the_routine_backlog(database_url: str) -> None:
    """What a web request does after it committed a report: its alert and receipt go now, the
    digest backlog stays for the dispatcher."""
    now = utcnow()
    store = _store(database_url, 40, at=now - timedelta(hours=1))
    _queue(store, "alert", Urgency.SAFEGUARDING, now)
    _queue(store, "receipt", Urgency.WAITING, now)
    mailer = _Mailer(MailPacing("bot@x.org", per_minute=30))
    stats = dispatch(store, mailer, None, now=lambda: now, up_to=Urgency.WAITING)
    assert mailer.keys == ["alert", "receipt"] and stats.sent == 2
    assert _statuses(store)[("digest", "pending")] == 40
    store.dispose()


def test_routine_mail_never_spends_the_minutes_urgent_reserve(database_url: str) -> None:
    """30 a minute with one kept: the digests take 29, and a concern filed a second later goes
    at once from the one left; the digests never take it, and nothing is paused."""
    now = utcnow()
    store = _store(database_url, 100, at=now - timedelta(minutes=5))
    pacing = MailPacing("bot@x.org", per_minute=30, reserve=UrgentReserve(1, 0))
    mailer = _Mailer(pacing)
    first = dispatch(store, mailer, None, now=lambda: now)
    assert first.sent == 29 and not first.paused
    assert first.paced_until == now + MINUTE  # the routine share comes back with the minute
    assert dispatch(store, mailer, None, now=lambda: now + timedelta(seconds=1)).sent == 0
    _queue(store, "alert", Urgency.SAFEGUARDING, now + timedelta(seconds=1))
    second = dispatch(store, mailer, None, now=lambda: now + timedelta(seconds=2))
    assert second.sent == 1 and mailer.keys[-1] == "alert"
    assert dispatch(store, mailer, None, now=lambda: now + MINUTE).sent == 29
    assert Counter(mailer.keys).most_common(1)[0][1] == 1  # nothing twice
    store.dispose()


def test_routine_mail_never_spends_the_days_urgent_reserve(database_url: str) -> None:
    """A mailbox of 100 recipients a day keeping 10: digests stop at 90, the channel is not
    paused, and a concern's alert (two recipients) at 14:00 still goes."""
    now = utcnow()
    store = _store(database_url, 200, at=now - timedelta(minutes=5))
    pacing = MailPacing(
        "bot@x.org", per_minute=30, daily_recipients=100, reserve=UrgentReserve(1, 10)
    )
    mailer = _Mailer(pacing)
    sent, moment = 0, now
    for _ in range(6):
        stats = dispatch(store, mailer, None, now=_at(moment))
        sent += stats.sent
        assert not stats.paused  # the routine share spent is no pause: urgent mail still goes
        moment += MINUTE
    assert sent == 90
    assert stats.paced_until is not None and stats.paced_until >= now + timedelta(hours=23)
    _queue(store, "alert", Urgency.SAFEGUARDING, moment)
    assert dispatch(store, mailer, None, now=lambda: moment).sent == 1
    assert mailer.keys[-1] == "alert"
    # the whole mailbox's day spent is a pause, said as such
    for i in range(4):
        _queue(store, f"alert{i}", Urgency.SAFEGUARDING, moment)
    stats = dispatch(store, mailer, None, now=lambda: moment)
    assert stats.sent == 4 and "email" in stats.paused
    store.dispose()


def test_passes_a_minute_apart_each_send_the_whole_minutes_allowance(database_url: str) -> None:
    """The scheduler's pass runs every 60 s. Each send counts from when it started, and a pass
    that may wait waits the moment until the next permit: 30 every minute, not every other."""
    start_at = utcnow()
    store = _store(database_url, 150, at=start_at - timedelta(minutes=1))
    mailer = _Mailer(MailPacing("bot@x.org", per_minute=30))
    per_pass = []
    for minute in range(5):
        clock = _Clock(start_at + minute * MINUTE)
        per_pass.append(dispatch(store, mailer, None, now=clock, wait=clock.sleep).sent)
    assert per_pass == [30, 30, 30, 30, 30]
    with store.session() as session:
        rows = session.execute(select(OutboxMessage.id, OutboxMessage.claimed_at)).all()
        sends = {s.outbox_id: s.at for s in session.scalars(select(MailSend))}
    assert all(sends[row_id] == started for row_id, started in rows)  # counted from the start
    store.dispose()


def test_a_dead_workers_claims_and_permits_stop_holding_mail_back(database_url: str) -> None:
    """A worker killed with -9 leaves rows claimed (given back after 30 s) and sends in flight
    (counted in every window for two minutes at most, then at their start)."""
    now = utcnow()
    store = _store(database_url, 80, at=now - timedelta(minutes=1))
    pacing = MailPacing("bot@x.org", per_minute=30)
    dead = claim(store, "email", now, 30, pacing)  # the dead worker's page: 30 permits
    assert len(dead.ids) == 30
    start(store, dead.ids[:1], "email", now)  # one of them was in flight when it died
    mailer = _Mailer(pacing)
    # 31 s later the 29 never attempted are back in the queue with their permits
    stats = dispatch(store, mailer, None, now=lambda: now + timedelta(seconds=31))
    assert stats.recovered == 29 and stats.sent == 29  # the in-flight one still holds one
    with store.session() as session:
        assert mail_pacing.usage(session, pacing, now + timedelta(seconds=31))[0][0] == 30
        # after two minutes the in-flight send counts at its start: outside this minute
        assert mail_pacing.usage(session, pacing, now + timedelta(minutes=2, seconds=1))[0][0] == 0
    assert dispatch(store, mailer, None, now=lambda: now + timedelta(minutes=2)).sent == 30
    assert Counter(mailer.keys).most_common(1)[0][1] == 1
    assert _statuses(store)[("digest", "sending")] == 1  # flagged for a person later, not resent
    store.dispose()


def test_a_refusal_alert_is_as_urgent_as_what_it_is_about(database_url: str) -> None:
    """The admins' "could not be delivered" email about a concern's alert goes as safeguarding
    mail; about a reminder, as routine."""
    from bot.core.config import SchoolConfig
    from bot.core.outbox.delivery import ALERT_PURPOSE, AdminAlerts
    from bot.core.ports import PermanentError

    now = utcnow()
    store = _store(database_url, 1, at=now - timedelta(minutes=1))
    _queue(store, "alert", Urgency.SAFEGUARDING, now)

    class _Refusing(_Mailer):
        def send(self, message: OutgoingEmail) -> SendResult:
            if message.idempotency_key.startswith(ALERT_PURPOSE):
                return super().send(message)
            raise PermanentError("no such mailbox")

    school = SchoolConfig(
        id="s", name="S", headteacher="head@x.org", dsl=["dsl@x.org"], admins=["admin@x.org"]
    )
    dispatch(store, _Refusing(None), None, now=lambda: now, alerts=AdminAlerts.of([school]))
    with store.session() as session:
        alerts = (
            session.execute(
                select(OutboxMessage.urgency).where(OutboxMessage.purpose == ALERT_PURPOSE)
            )
            .scalars()
            .all()
        )
    assert sorted(alerts) == [Urgency.SAFEGUARDING, Urgency.ROUTINE]
    store.dispose()
