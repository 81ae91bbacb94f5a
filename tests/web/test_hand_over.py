"""A web process hands urgent mail over one pass at a time, and never misses a request."""

from __future__ import annotations

import functools
import threading
from collections import Counter

from sqlalchemy import select

from bot.core.models import OutboxMessage, School, utcnow
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.outbox.pause import pause
from bot.engine.web.links import URGENT_PER_REQUEST, HandOver, _hand_over_pass
from tests.support.helpers import SchoolBuilder


def test_requests_during_a_pass_make_it_go_round_again_not_queue() -> None:
    hand_over = HandOver()
    started, release = threading.Event(), threading.Event()
    passes: list[int] = []

    def first_pass() -> bool:
        passes.append(1)
        if len(passes) == 1:
            started.set()
            release.wait(10)
        return False

    runner = threading.Thread(target=hand_over.request, args=(first_pass,))
    runner.start()
    assert started.wait(10)
    others = [threading.Thread(target=hand_over.request, args=(first_pass,)) for _ in range(7)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(10)  # each returns at once: the running pass will go round again
        assert not thread.is_alive()
    assert passes == [1]
    release.set()
    runner.join(10)
    assert passes == [1, 1]  # seven requests during the first pass: one more pass, none missed
    hand_over.request(first_pass)  # idle again: a new request runs a pass of its own
    assert passes == [1, 1, 1]


def test_a_full_pass_goes_round_again_until_one_finds_less() -> None:
    """A burst of reports left more due rows than one pass takes: none are left behind."""
    hand_over = HandOver()
    due = [45]

    def one_pass() -> bool:
        taken = min(due[0], 20)
        due[0] -= taken
        return taken == 20

    hand_over.request(one_pass)
    assert due == [0]


def test_another_mailbox_s_pause_does_not_stop_the_hand_over(
    school: SchoolBuilder, database_url: str
) -> None:
    """A trust: one school's mailbox is at its day's limit. A burst of alerts at another
    school still all go in the one hand-over, not 20 now and the rest at the next minute."""
    context = school.context(database_url)
    now = utcnow()
    with context.store.transaction() as session:
        session.add(School(id="oak", name="Oak"))
        session.flush()
        pause(session, "office@elm.example", now, retry_after=86_400, reason="its day's limit")
        for i in range(URGENT_PER_REQUEST * 2 + 5):
            enqueue_email(
                session,
                school_id="oak",
                key=f"alert{i}",
                purpose="report_alert",
                urgency=Urgency.SAFEGUARDING,
                not_before=now,
                draft=EmailDraft(("dsl@oak.example",), "S", "t", "<p>h</p>"),
            )
    HandOver().request(functools.partial(_hand_over_pass, context))
    with context.store.session() as session:
        states = Counter(session.scalars(select(OutboxMessage.status)))
    assert states == {"sent": URGENT_PER_REQUEST * 2 + 5}
