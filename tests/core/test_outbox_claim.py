"""Claiming and pacing across workers: each row to one worker, each permit counted once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.core.database.store import Store
from bot.core.models import MailSend, OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_emails, recover_stale
from bot.core.outbox import pacing as mail_pacing
from bot.core.outbox.claim import claim, release
from bot.core.ports import Mailer, MailPacing, OutgoingEmail, SendResult
from tests.support.keys import TEST_KEYS


def _store(url: str, rows: int, *, cc: int = 0) -> Store:
    store = Store(url, keys=TEST_KEYS)
    store.upgrade()
    now = utcnow()
    with store.transaction() as session:
        session.add(School(id="s", name="S"))
        session.flush()
        enqueue_emails(
            session,
            school_id="s",
            purpose="test",
            urgency=Urgency.ROUTINE,
            not_before=now,
            items=[
                (
                    f"k{i}",
                    EmailDraft(
                        to=(f"p{i}@x.org",),
                        cc=tuple(f"c{i}.{j}@x.org" for j in range(cc)),
                        subject="S",
                        text="t",
                        html="<p>h</p>",
                    ),
                )
                for i in range(rows)
            ],
        )
    return store


def test_workers_claiming_at_once_take_every_row_exactly_once(database_url: str) -> None:
    """Eight threads, each its own engine, claim pages until nothing is left (SKIP LOCKED on
    PostgreSQL, the guarded UPDATE … RETURNING on SQLite): no row twice, none left out."""
    store = _store(database_url, 400)
    taken: list[int] = []
    guard = threading.Lock()

    def worker() -> None:
        mine = Store(database_url, keys=TEST_KEYS)
        try:
            while got := claim(mine, "email", utcnow(), 7).ids:
                with guard:
                    taken.extend(got)
        finally:
            mine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 400 and len(set(taken)) == 400
    with store.session() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"claimed"}
    store.dispose()


def test_pacing_gives_out_only_what_the_mailbox_allows_and_remembers_it(database_url: str) -> None:
    """30 a minute and 20 recipients a day (two per message): permits are counted in the
    database, so a 'restarted' worker (a new engine) gets none until the window has passed."""
    store = _store(database_url, 40, cc=1)
    pacing = MailPacing("bot@x.org", per_minute=30, daily_recipients=20)
    now = utcnow()
    first = claim(store, "email", now, 50, pacing)
    assert len(first.ids) == 10  # 10 messages × 2 recipients fill the day's 20
    again = Store(database_url, keys=TEST_KEYS)
    later = claim(again, "email", now + timedelta(minutes=5), 50, pacing)
    assert later.ids == ()
    assert later.paced_until is not None
    assert later.paced_until >= now + timedelta(hours=24) - timedelta(seconds=1)
    # what the platform certainly did not send is given back
    release(again, first.ids[:4])
    assert len(claim(again, "email", now + timedelta(minutes=5), 50, pacing).ids) == 4
    again.dispose()
    store.dispose()


class _Counting(Mailer):
    """A mailer that accepts everything and says which keys it saw."""

    pacing: MailPacing | None = None  # type: ignore[assignment]  # set per test

    def __init__(self, pacing: MailPacing) -> None:
        self.pacing = pacing
        self.keys: Counter[str] = Counter()

    def send(self, message: OutgoingEmail) -> SendResult:
        self.keys[message.idempotency_key] += 1
        return SendResult(provider_id=message.idempotency_key)


def test_the_per_minute_window_counts_sends_from_when_they_were_made(database_url: str) -> None:
    store = _store(database_url, 70)
    mailer = _Counting(MailPacing("bot@x.org", per_minute=30))
    now = utcnow()
    stats = dispatch(store, mailer, None, now=lambda: now)
    assert stats.sent == 30
    assert stats.paced_until == now + timedelta(seconds=60)
    assert dispatch(store, mailer, None, now=lambda: now + timedelta(seconds=59)).sent == 0
    assert dispatch(store, mailer, None, now=lambda: now + timedelta(seconds=60)).sent == 30
    with store.session() as session:
        sends = session.scalars(select(MailSend)).all()
    assert len(sends) == 60 and all(s.done for s in sends)
    assert set(mailer.keys.values()) == {1}
    store.dispose()


def test_claimed_rows_a_crashed_worker_left_go_back_to_the_queue(database_url: str) -> None:
    """Claimed is not sending: nothing was handed to the platform, so nothing is uncertain."""
    store = _store(database_url, 5)
    pacing = MailPacing("bot@x.org", per_minute=30)
    now = utcnow()
    assert len(claim(store, "email", now, 5, pacing).ids) == 5
    assert recover_stale(store, now + timedelta(minutes=16), idempotent_mailer=False) == 5
    with store.session() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"pending"}
        assert mail_pacing.usage(session, pacing, now)[0] == (0, 0, 0)  # permits given back
    store.dispose()


def test_a_day_held_back_by_the_mailbox_limit_is_said_in_words(database_url: str) -> None:
    from bot.core.outbox.waiting import pending_summary

    store = _store(database_url, 8)
    mailer = _Counting(MailPacing("bot@x.org", per_minute=30, daily_recipients=5))
    now = utcnow()
    stats = dispatch(store, mailer, None, now=lambda: now)
    assert stats.sent == 5 and "email" in stats.paused
    with store.session() as session:
        (waiting,) = pending_summary(session, now)
    sentence = str(waiting.sentence(now))
    assert sentence.startswith("3 wait because the sending mailbox has sent as much as")
    assert "24 hours" in sentence
    later = now + timedelta(hours=24, seconds=1)
    assert dispatch(store, mailer, None, now=lambda: later).sent == 3
    assert set(mailer.keys.values()) == {1}
    store.dispose()
