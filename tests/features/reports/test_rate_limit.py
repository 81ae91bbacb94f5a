"""The report form's rate limit is shared by every worker: concurrent posts from one address
through the real app (a live server) store exactly the limit, on SQLite and PostgreSQL; other
addresses are not affected; the form reopens when the window has passed (time injected)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
import time_machine
from sqlalchemy import func, select

from bot.core.models import RateLimitBucket, Report
from tests.features.reports.test_support import csrf_of, make_env
from tests.support.helpers import SchoolBuilder, at

FORM = {
    "category": "cyberbullying",
    "involved": ["pupil"],
    "what_happened": "Messages were sent in a group chat.",
    "occurred": "Monday lunchtime",
    "location": "Online",
    "reporter_name": "Pat Parent",
    "reporter_relationship": "parent",
}
TOO_MANY = (
    "Several reports have just been sent from here, so we have paused the form for a few "
    "minutes to stop misuse. Please try again in 10 minutes. If a child is in immediate danger "
    "call 999, or tell the Designated Safeguarding Lead in person now."
)


def _stored(env: Any) -> int:
    with env.context.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Report)) or 0)


def test_twenty_concurrent_posts_from_one_address_store_exactly_five(
    school: SchoolBuilder, database_url: str, live_server: Any
) -> None:
    env = make_env(school, database_url)
    pages: list[tuple[int, str]] = []
    # every sender has loaded the form (its own session and CSRF token) before anyone posts
    clients = []
    with live_server(env.app) as server:
        for _ in range(20):
            client = httpx.Client(
                base_url=server.url, headers={"X-Forwarded-For": "203.0.113.9"}, timeout=60
            )
            clients.append((client, csrf_of(client.get(env.public_path).text)))
        start = threading.Barrier(len(clients))

        def post(client: httpx.Client, token: str) -> None:
            start.wait()
            answer = client.post(env.public_path, data={**FORM, "csrf_token": token})
            pages.append((answer.status_code, answer.text))

        threads = [threading.Thread(target=post, args=pair) for pair in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # another address is not held up by the first one's limit
        with httpx.Client(
            base_url=server.url, headers={"X-Forwarded-For": "198.51.100.20"}, timeout=60
        ) as other:
            token = csrf_of(other.get(env.public_path).text)
            answer = other.post(env.public_path, data={**FORM, "csrf_token": token})
            assert answer.status_code == 200
        for client, _ in clients:
            client.close()
    assert Counter(status for status, _ in pages) == {200: 5, 429: 15}
    for status, text in pages:
        if status == 429:
            assert " ".join(text.split()).count(TOO_MANY) == 1  # today's words, unchanged
    assert _stored(env) == 6
    with env.context.store.session() as session:
        keys = session.scalars(select(RateLimitBucket.key)).all()
    assert len(keys) == 2 and not any("203.0.113" in k or "198.51" in k for k in keys)
    env.context.store.dispose()


def test_the_form_reopens_when_the_window_has_passed(
    school: SchoolBuilder, database_url: str
) -> None:
    env = make_env(school, database_url)
    with time_machine.travel(at(date(2026, 11, 23), 10), tick=False) as traveller:
        client = env.client()
        for _ in range(5):
            assert env.submit(client).status_code == 200
            traveller.shift(timedelta(minutes=1))
        assert env.submit(client).status_code == 429  # five in the last ten minutes
        traveller.shift(timedelta(minutes=5))  # ten minutes after the first
        assert env.submit(client).status_code == 200
        assert env.submit(client).status_code == 429  # only that one slot came free
    assert _stored(env) == 6
    env.context.store.dispose()
