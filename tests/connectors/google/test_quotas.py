"""#83 item 4: Google's published quotas are counted per project and delegated user: the Admin
SDK Directory's queries a minute per user per project, Gmail's quota units a minute per user
(messages.send: 100 units) and per project. The fake enforces the per-user quotas with 403
userRateLimitExceeded, as Google documents.

A big domain's directory is read page by page under the quota (no 403, the clock waits); two
workers whose pacers share one database keep the quota together (two of their own do not); a
sender whose quota is spent delays only its own mail. Gmail is called from the outbox's pass,
which never waits: a lookup past the user's units is asked again later, and sends are paced by
the mailer (an alert is never held behind routine mail)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bot.core.database.store import Store
from bot.core.guards.ratelimit import DatabasePacer
from bot.core.ports import OutgoingEmail, RetryableError
from connectors.base import LocalPacer
from tests.connectors.contract.kit_google import google_settings, seeded_fake
from tests.support.fakes.google import FakeGoogle, no_real_http  # noqa: F401
from tests.support.fakes.graph import FakeClock

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from connectors.google.client import GoogleClient
from connectors.google.directory import GoogleDirectory
from connectors.google.mail import GmailMailer

pytestmark = pytest.mark.usefixtures("no_real_http")
QUERIES = 3  # Directory queries a minute per admin, small: a big domain needs several minutes


def _fake(clock: FakeClock, staff: int) -> FakeGoogle:
    fake = seeded_fake()
    for n in range(staff):
        fake.add_user(f"staff{n:04d}@oakfield.example", f"Staff Member{n:04d}")
    fake.clock = clock
    fake.user_quotas = {"directory": QUERIES, "gmail": 300}
    return fake


def _client(tmp_path: Path, fake: FakeGoogle, clock: FakeClock, pacer: object) -> GoogleClient:
    client = GoogleClient.from_settings(google_settings(tmp_path).google, http=fake)
    client.sleep, client.directory_queries, client.gmail_units = clock.sleep, QUERIES, 300
    client.pacing.pacer = pacer  # type: ignore[assignment]
    return client


def _read(client: GoogleClient) -> int:
    return len(GoogleDirectory(client.directory(), all_users=True).fetch(None).people)


def test_the_key_names_its_project_and_each_call_its_published_quota(tmp_path: Path) -> None:
    key = json.loads((google_settings(tmp_path).google.service_account_file).read_text())
    client = GoogleClient.from_settings(google_settings(tmp_path).google, http=seeded_fake())
    assert client.project == key["project_id"]
    [directory] = client.quotas("directory.users.list", "admin@oakfield.example")
    assert (directory.calls, directory.window, directory.cost) == (2_400, 60.0, 1)
    user, project = client.quotas("gmail.users.messages.send", "bot@oakfield.example")
    assert (user.calls, project.calls, user.cost, project.cost) == (6_000, 1_200_000, 100, 100)
    assert user.key != project.key and "bot@oakfield.example" in user.key
    assert client.quotas("sheets.spreadsheets.values.get", None) == []


def test_a_big_domain_is_read_page_by_page_under_the_quota(tmp_path: Path) -> None:
    clock = FakeClock()
    fake = _fake(clock, staff=1_600)  # users.list: 500 a page, 4 pages
    started = clock()
    assert _read(_client(tmp_path, fake, clock, LocalPacer(clock))) >= 1_600
    assert fake.over_quota == 0
    assert len(fake.calls("directory.users.list")) > QUERIES
    assert clock() - started >= 60.0  # the fourth query waited for the first to leave


def test_two_workers_sharing_the_database_keep_the_quota_together(
    tmp_path: Path, store: Store
) -> None:
    clock = FakeClock()
    fake = _fake(clock, staff=600)
    for _ in range(2):
        _read(_client(tmp_path, fake, clock, DatabasePacer(lambda: store, clock)))
    assert fake.over_quota == 0
    alone = _fake(clock, staff=600)
    clock.advance(120)
    with pytest.raises(RetryableError):  # Google's 403 userRateLimitExceeded
        for _ in range(2):
            _read(_client(tmp_path, alone, clock, LocalPacer(clock)))
    assert alone.over_quota > 0


def _mail(n: int) -> OutgoingEmail:
    return OutgoingEmail(
        idempotency_key=f"ack:p:{n}:2026:0",
        to=(f"p{n}@oakfield.example",),
        subject=f"Please acknowledge {n}",
        text="Plain",
        html="<p>Rich</p>",
    )


def test_a_gmail_lookup_past_the_users_units_waits_for_a_later_pass_and_only_that_sender(
    tmp_path: Path, store: Store
) -> None:
    """The outbox's pass never waits (an alert would be held behind it): a lookup with the
    user's units spent is refused as 'try later', without asking Google."""
    clock = FakeClock()
    fake = _fake(clock, staff=0)
    fake.add_user("office@oakfield.example", "Office")
    pacer = DatabasePacer(lambda: store, clock)
    client = _client(tmp_path, fake, clock, pacer)
    bot = GmailMailer(
        client.gmail(), client.sender or "", per_minute=60, lookup=client.gmail_lookup
    )
    for n in range(3):  # 300 units a minute: three sends of 100 spend the user's minute
        bot.send(_mail(n))
    started, asked = clock(), len(fake.requests)
    with pytest.raises(RetryableError) as refused:
        bot.find_sent(_mail(0).idempotency_key)  # a lookup's 5 units: none left this minute
    assert clock() == started and len(fake.requests) == asked and fake.over_quota == 0
    clock.sleep(refused.value.__cause__.retry_after)  # type: ignore[union-attr]
    assert bot.find_sent(_mail(0).idempotency_key) is not None  # when it said: room
    office = dataclasses.replace(client, sender="office@oakfield.example")  # as mailer_for
    own = GmailMailer(office.gmail(), "office@oakfield.example", per_minute=60)
    before = clock()
    own.send(_mail(9))
    assert clock() == before  # another user's units: no wait


def test_a_send_is_never_held_by_the_clients_count(tmp_path: Path, store: Store) -> None:
    """The mailer paces sends (its messages a minute, one kept for safeguarding alerts): a send
    it lets go is not held again by the client's count of the user's units, or an alert would
    wait behind routine mail."""
    clock = FakeClock()
    fake = _fake(clock, staff=0)
    fake.user_quotas["gmail"] = 10_000  # Google itself has room; the client's count is full
    client = _client(tmp_path, fake, clock, DatabasePacer(lambda: store, clock))
    bot = GmailMailer(client.gmail(), client.sender or "", per_minute=60)
    for n in range(3):
        bot.send(_mail(n))
    before = clock()
    bot.send(_mail(3))
    assert clock() == before and len(fake.sent) == 4
